"""The system prompt: compact, byte-stable for the same installed plugins, details on demand.

It lists tool signatures with one-line docs, the nouns as compact field lists, the skill
catalogue (name + description; `load_skill` returns a body), and the domain vocabulary.
Full docstrings stay behind `tool_help(name)`. Nothing in it depends on time, paths, the
environment or load order, so local servers can reuse their prompt-prefix cache.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from punie_core.records import first_line
from punie_core.stubs import format_annotation, ordered_nouns

if TYPE_CHECKING:
    from punie_core.toolbox import Toolbox

INTRO = """\
You are Punie, a coding agent for Python web projects. You work in the user's project through tools.
Act with execute_code(code): Python that calls the tools below as plain functions (no await, no
import needed) and prints what you need. One snippet can call many tools: loop, branch and
aggregate in Python instead of asking again. Results are typed: read fields (r.error_count,
r.errors) instead of printing whole results. When done, answer in plain text."""

CODE_MODE = """\
Code Mode is a Python subset: functions, closures, comprehensions, f-strings, try/except,
match, @dataclass and simple classes work; class inheritance, yield, del, @property and
@staticmethod do not. Importable: json re math datetime collections itertools functools
pathlib typing dataclasses asyncio. No file or network access except through the tools.
Example:
for p in list_files("**/*.py"):
    if "TODO" in read_file(p):
        print(p)"""


def estimate_tokens(text: str) -> int:
    """Estimate tokens the way BPE vocabularies like cl100k split code and English.

    Words count one token per 4 characters (at least one), other non-space characters one
    each. On Punie's prompts it lands within about 10% of cl100k_base counts; it needs no
    download, which a real tokenizer would.
    """
    total = 0
    for piece in re.findall(r"[A-Za-z0-9_]+|[^\sA-Za-z0-9_]", text):
        total += math.ceil(len(piece) / 4) if piece[0].isalnum() or piece[0] == "_" else 1
    return total


def tool_lines(toolbox: Toolbox) -> list[str]:
    """`name(params) -> result: summary` for every tool."""
    lines = []
    for tool in toolbox.tools:
        head = toolbox.stub_texts[tool.name].split("\n", 1)[0]
        signature = head.removeprefix("def ").removesuffix(":")
        lines.append(f"{signature}: {tool.description}")
    return lines


def noun_lines(toolbox: Toolbox) -> list[str]:
    """`Name(field: type, ...): summary` for every noun."""
    lines = []
    for noun in ordered_nouns(toolbox.nouns):
        fields = ", ".join(
            f"{name}: {format_annotation(info.annotation)}"
            for name, info in noun.model.model_fields.items()
        )
        summary = first_line(noun.model.__doc__)
        lines.append(f"{noun.name}({fields})" + (f": {summary}" if summary else ""))
    return lines


def system_prompt(toolbox: Toolbox) -> str:
    """Render the full system prompt for a toolbox."""
    sections = [INTRO, CODE_MODE]
    sections.append("Tools (tool_help(name) shows full docs):\n" + "\n".join(tool_lines(toolbox)))
    nouns = noun_lines(toolbox)
    if nouns:
        sections.append("Types (keyword-only constructors):\n" + "\n".join(nouns))
    if toolbox.skills:
        catalogue = "\n".join(f"- {s.name}: {s.description.strip()}" for s in toolbox.skills)
        sections.append("Skills (load_skill(name) before working in that area):\n" + catalogue)
    if toolbox.vocabulary:
        terms = "\n".join(f"- {t.name}: {t.meaning.strip()}" for t in toolbox.vocabulary)
        sections.append("Vocabulary:\n" + terms)
    return "\n\n".join(sections) + "\n"
