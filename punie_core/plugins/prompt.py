"""The system prompt: compact, byte-stable for the same installed plugins, details on demand.

It must fit a small local model's budget: the first request (this text, the tool definitions and
a one-line user message) stays within PROMPT_BUDGET tokens with every first-party plugin, which
`tests/core/test_prompt_budget.py` checks with the exact cl100k_base tokenizer. So it lists the
tools grouped by plugin, one line per group with parameters only, and the skill catalogue (name +
description; `load_skill` returns a body). Summaries, types, result fields (nouns) and the
domain vocabulary stay behind `tool_help(name)`. Nothing in it depends on time, paths, the
environment or load order, so local servers can reuse their prompt-prefix cache.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable
from typing import get_type_hints

from punie_core.plugins.records import first_line
from punie_core.plugins.stubs import (
    MergedRecords,
    _models_in,
    format_annotation,
    ordered_nouns,
    signature_line,
)

INTRO = """\
You are Punie, a coding agent working in the user's Python web project.
To act, call execute_code(code): Python that calls the tools below as plain functions with keyword
arguments and prints what it needs; you then see the output. One snippet can call many tools,
loop and branch. Use only these tools, and real paths (list_files() shows them). Anything about
this project (its files, tests, code) needs the tools first: never guess. To change a file,
read_file it, then write_file(path=..., content=...) with its whole new text: showing new code
changes nothing. When the work is done, answer in plain text; a general question, or a request
to see code, you answer directly."""

BLOCKS_INTRO = '''\
You are Punie, a coding agent working in the user's Python web project.
To act, reply with a ```python block that calls the tools below as plain functions with keyword
arguments and prints what it needs. It runs at once; you see its output, then write the next
block or the answer. Anything about this project (its files, tests, code) needs a block first:
never guess, and use real paths (list_files() shows them). Showing new code changes nothing:
write it with write_file(path=..., content=...), the file's whole new text. When the work is
done, answer in plain text without code. A general question you answer directly.
Example. User: Add a docstring to f() in app/x.py. You:
```python
print(read_file(path="app/x.py"))
```
User: Output:
def f():
    return 1
You:
```python
write_file(path="app/x.py", content='def f():\\n    """Return 1."""\\n    return 1\\n')
```
User: Output: ...
You: Added a docstring to f().'''
"""The intro for models that write ```python blocks instead of tool calls (`tool_format`)."""

EXAMPLE_PATH = "app/x.py"
"""The file of the prompts' examples: small models copy it (see `example_copied`)."""


def example_copied(code: str, exists: Callable[[str], bool]) -> str | None:
    """A message for the model when its code uses the examples' file and that file does not exist.

    Small models copy an example's path, or the whole example, as if it were the task's.

    Args:
        code: The model's snippet.
        exists: Whether a workspace path exists.
    """
    if EXAMPLE_PATH not in code or exists(EXAMPLE_PATH):
        return None
    return (
        f"{EXAMPLE_PATH} is the example in your instructions, not a file of this project: "
        "nothing ran. Use the paths of the user's request (list_files() shows them)."
    )


IMPORTABLE = (
    "json",
    "re",
    "math",
    "datetime",
    "collections",
    "itertools",
    "functools",
    "dataclasses",
    "typing",
)
"""Modules the prompt tells the model it may import in Code Mode (model-written tools too)."""

CODE_MODE = f"""\
Code Mode is a Python subset; each snippet starts afresh (no variables from earlier ones).
No open(): use read_file and write_file.
Importable: {" ".join(IMPORTABLE)}. A failed
tool call raises an exception you can catch; print(result) shows a short summary.
Example:
for path in list_files(pattern="**/*.py"):
    print(path, len(read_file(path=path).splitlines()))"""


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


PROMPT_BUDGET = 900
"""Most cl100k_base tokens of a first request: system text, tool definitions, one-line prompt."""

GROUP_NAMES = {"core": "files"}
"""The catalogue's name for a plugin's group (the plugin's name without `punie-` otherwise)."""


def compact_signature(stub: str, name: str) -> str:
    """`name(a, b=None)`: the tool's parameters with their defaults, no annotations."""
    header = signature_line(stub, name)
    try:
        node = ast.parse(f"def {header.split(' ->', 1)[0]}: ...").body[0]
    except SyntaxError:
        return header.split(" ->", 1)[0]
    assert isinstance(node, ast.FunctionDef)
    args = node.args
    params: list[str] = []
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for arg, default in zip(positional, defaults, strict=True):
        params.append(arg.arg if default is None else f"{arg.arg}={ast.unparse(default)}")
    if args.vararg:
        params.append(f"*{args.vararg.arg}")
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(arg.arg if default is None else f"{arg.arg}={ast.unparse(default)}")
    if args.kwarg:
        params.append(f"**{args.kwarg.arg}")
    return f"{name}({', '.join(params)})"


def tool_lines(toolbox: MergedRecords) -> list[str]:
    """One line per plugin: `- group tools: tool(a, b=None); tool(...)`, core tools first.

    Each tool shows its parameters and defaults only: its summary, types and result fields are
    behind `tool_help(name)`, which keeps the prompt within its budget however many plugins are
    installed. Tools with a `prompt_group` (an MCP server with many tools, the `ide_*` tools) are
    folded into one entry per group; `tool_help(group)` lists them.
    """
    groups: dict[str, list[str]] = {}
    folded: dict[str, int] = {}
    for tool in toolbox.tools:
        group = getattr(tool, "prompt_group", None)
        if group:
            folded[group] = folded.get(group, 0) + 1
            continue
        label = GROUP_NAMES.get(tool.plugin, tool.plugin.removeprefix("punie-"))
        groups.setdefault(label, []).append(
            compact_signature(toolbox.stub_texts[tool.name], tool.name)
        )
    order = sorted(groups, key=lambda label: (label != "files", label))
    # "- files tools:", not "files:": a small model reads a bare label as a function name.
    lines = [f"- {label} tools: {'; '.join(groups[label])}" for label in order]
    lines += [
        f"- {group}_*: {count} more tools (tool_help(name='{group}') lists them)"
        for group, count in sorted(folded.items())
    ]
    return lines


PLAIN_TYPES = frozenset({"str", "int", "float", "bool", "None"})
"""Field types the Types section leaves out: the model guesses them, and the stubs check them."""


def field_text(name: str, annotation: object) -> str:
    """`name: type` for a noun field, or `name` alone when its type is plain (`str`, `int`)."""
    rendered = format_annotation(annotation)
    if set(rendered.split(" | ")) <= PLAIN_TYPES:
        return name
    return f"{name}: {rendered}"


def returned_models(toolbox: MergedRecords) -> set[type]:
    """The nouns some tool returns (`list[X]` included): that tool's summary line describes them."""
    found: set[type] = set()
    for tool in toolbox.tools:
        found.update(_models_in(get_type_hints(tool.function).get("return")))
    return found


def noun_lines(toolbox: MergedRecords) -> list[str]:
    """`Name(field, field: structured type, ...): summary` for every noun.

    A noun a tool returns goes without its summary (the tool's line already says what it is),
    which keeps the Types section to the facts the model cannot guess: field names and
    structured field types.
    """
    returned = returned_models(toolbox)
    lines = []
    for noun in ordered_nouns(toolbox.nouns):
        if getattr(noun, "prompt_group", None):
            continue  # a folded group's noun: tool_help shows it with the group's tools
        fields = ", ".join(
            field_text(name, info.annotation) for name, info in noun.model.model_fields.items()
        )
        summary = "" if noun.model in returned else first_line(noun.model.__doc__)
        lines.append(f"{noun.name}({fields})" + (f": {summary}" if summary else ""))
    return lines


def system_prompt(toolbox: MergedRecords, context: str = "", tool_format: str = "tools") -> str:
    """Render the full system prompt for a toolbox.

    Args:
        toolbox: The merged toolbox.
        context: The project's context index (`punie_core.specs.index`), appended last so
            the toolbox's part stays a byte-identical prefix across projects; empty for none.
        tool_format: `tools` (the model calls `execute_code`) or `blocks` (it writes ```python
            blocks: `punie_core.agent.code_blocks`).
    """
    blocks = tool_format == "blocks"
    sections = [BLOCKS_INTRO if blocks else INTRO, CODE_MODE]
    sections.append(
        "Tools (tool_help(name=...) shows a tool's docs and result fields):\n"
        + "\n".join(tool_lines(toolbox))
    )
    if toolbox.skills and blocks:
        # Small models take a skill's description for the task's tool ("quality-triad" for
        # "how many tests fail?"): names only.
        names = ", ".join(s.name for s in toolbox.skills)
        sections.append(f"Skills, for larger work (load_skill(name=...) returns one): {names}.")
    elif toolbox.skills:
        catalogue = "\n".join(f"- {s.name}: {s.description.strip()}" for s in toolbox.skills)
        sections.append("Skills (load_skill(name=...) before working in that area):\n" + catalogue)
    if context:
        sections.append(context.strip())
    return "\n\n".join(sections) + "\n"
