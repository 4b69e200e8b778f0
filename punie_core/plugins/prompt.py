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

from punie_core.plugins.records import first_line
from punie_core.plugins.stubs import format_annotation, ordered_nouns, signature_line

if TYPE_CHECKING:
    from punie_core.plugins.toolbox import Toolbox

INTRO = """\
You are Punie, a coding agent for Python web projects. You work in the user's project through tools.
Act with execute_code(code): Python that calls the tools below as plain functions (no await, no
import needed) and prints what you need. One snippet can call many tools: loop, branch and
aggregate in Python instead of asking again. Results are typed: read fields (r.error_count,
r.errors) instead of printing whole results. When done, answer in plain text."""

CODE_MODE = """\
Code Mode is a Python subset. Each execute_code call starts fresh (no variable survives) and
returns its last expression. Works: functions, comprehensions, f-strings, try/except, match,
with, @dataclass, simple classes. Not supported: inheritance (no custom exception classes),
yield, del, @property, @staticmethod, super, open. Importable: json re math datetime collections
itertools functools dataclasses typing random hashlib csv. Files, commands and network only
through the tools. A refused or failed tool call raises a catchable exception (PermissionError,
FileNotFoundError, ValueError).
Example:
for p in list_files("**/*.py"):
    if "TODO" in read_file(p):
        print(p)"""


_PIECES = re.compile(
    r"""'(?:[sdmt]|ll|ve|re)|[^\r\n\w]?[^\W\d_]+|_[^\W\d_]*|\d{1,3}"""
    r"""| ?[^\s\w]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    re.IGNORECASE,
)
"""The pre-tokenizer split of cl100k_base / o200k_base, approximated with Python's `re`."""


def estimate_tokens(text: str) -> int:
    """Estimate the tokens of a text for the BPE vocabularies local and hosted models use.

    The text is split the way cl100k_base's pre-tokenizer splits it (words with their leading
    space, identifier parts at underscores, digit groups of up to 3, punctuation runs, newline
    runs); then a word costs one token per 7 letters (at least one), a digit group one, a
    punctuation run one per 3 characters, an indentation or newline run one. Measured against
    the exact cl100k_base and o200k_base tokenizers on Punie's prompt, stubs, docs and sources
    it lands within about 10% (see bench/bench_prompt.py); it needs no tokenizer download.
    """
    total = 0
    for piece in _PIECES.findall(text):
        core = piece.strip(" ")
        if not core:
            total += 1 if len(piece) > 1 else 0  # indentation; a lone space joins the next word
        elif not core.strip():
            total += 1  # a run of newlines
        elif any(char.isalpha() for char in core):
            total += max(1, math.ceil(sum(char.isalpha() for char in core) / 7))
        elif core.isdigit():
            total += 1
        else:
            total += math.ceil(len(core.strip()) / 3)
    return total


def tool_lines(toolbox: Toolbox) -> list[str]:
    """`name(params) -> result: summary` for every tool."""
    return [
        f"{signature_line(toolbox.stub_texts[tool.name], tool.name)}: {tool.description}"
        for tool in toolbox.tools
    ]


PLAIN_TYPES = frozenset({"str", "int", "float", "bool", "None"})
"""Field types the Types section leaves out: the model guesses them, and the stubs check them."""


def field_text(name: str, annotation: object) -> str:
    """`name: type` for a noun field, or `name` alone when its type is plain (`str`, `int`)."""
    rendered = format_annotation(annotation)
    if set(rendered.split(" | ")) <= PLAIN_TYPES:
        return name
    return f"{name}: {rendered}"


def returned_models(toolbox: Toolbox) -> set[type]:
    """The nouns some tool returns (`list[X]` included): that tool's summary line describes them."""
    from typing import get_type_hints

    from punie_core.plugins.stubs import _models_in

    found: set[type] = set()
    for tool in toolbox.tools:
        found.update(_models_in(get_type_hints(tool.function).get("return")))
    return found


def noun_lines(toolbox: Toolbox) -> list[str]:
    """`Name(field, field: structured type, ...): summary` for every noun.

    A noun a tool returns goes without its summary (the tool's line already says what it is),
    which keeps the Types section to the facts the model cannot guess: field names and
    structured field types.
    """
    returned = returned_models(toolbox)
    lines = []
    for noun in ordered_nouns(toolbox.nouns):
        fields = ", ".join(
            field_text(name, info.annotation) for name, info in noun.model.model_fields.items()
        )
        summary = "" if noun.model in returned else first_line(noun.model.__doc__)
        lines.append(f"{noun.name}({fields})" + (f": {summary}" if summary else ""))
    return lines


def system_prompt(toolbox: Toolbox) -> str:
    """Render the full system prompt for a toolbox."""
    sections = [INTRO, CODE_MODE]
    sections.append("Tools (tool_help(name) shows full docs):\n" + "\n".join(tool_lines(toolbox)))
    nouns = noun_lines(toolbox)
    if nouns:
        sections.append(
            "Types (keyword-only constructors; str/int/float/bool field types not shown):\n"
            + "\n".join(nouns)
        )
    if toolbox.skills:
        catalogue = "\n".join(f"- {s.name}: {s.description.strip()}" for s in toolbox.skills)
        sections.append("Skills (load_skill(name) before working in that area):\n" + catalogue)
    if toolbox.vocabulary:
        terms = "\n".join(f"- {t.name}: {t.meaning.strip()}" for t in toolbox.vocabulary)
        sections.append("Vocabulary:\n" + terms)
    return "\n\n".join(sections) + "\n"
