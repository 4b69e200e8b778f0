"""The rules every tool's signature keeps: annotated parameters and result, `Args:` for each.

Plugin authors' contract check (`punie_core.testing`) and model-written tools
(`punie_core.toolmaking`) apply the same rules, from here.
"""

from __future__ import annotations

import inspect
import re
from typing import get_type_hints

from punie_core.plugins.records import Tool

_ARGS_HEADER = re.compile(r"^(\s*)(Args|Arguments|Parameters):\s*$")
_ARG_ENTRY = re.compile(r"^\*{0,2}([A-Za-z_][A-Za-z0-9_]*)\s*(\([^)]*\))?\s*:")


def documented_args(doc: str | None) -> set[str]:
    """Parameter names documented in a Google-style docstring's `Args:` section."""
    lines = inspect.cleandoc(doc or "").splitlines()
    names: set[str] = set()
    in_args = False
    entry_indent: int | None = None
    for line in lines:
        if _ARGS_HEADER.match(line):
            in_args, entry_indent = True, None
            continue
        if not in_args:
            continue
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_args = False  # the next section (Returns:, Raises:, ...)
            continue
        if entry_indent is None:
            entry_indent = indent
        if indent == entry_indent:
            match = _ARG_ENTRY.match(line.strip())
            if match:
                names.add(match.group(1))
    return names


def tool_problems(tool: Tool) -> list[str]:
    """Every way `tool`'s signature or docstring breaks the tool rules (empty: none)."""
    problems = []
    where = f"tool {tool.name!r}"
    signature = inspect.signature(tool.function)
    try:
        hints = get_type_hints(tool.function)
    except Exception as exc:
        return [f"{where}: annotations cannot be resolved: {exc}"]
    params = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
    for param in params:
        if param.name not in hints:
            problems.append(f"{where}: parameter {param.name!r} has no type annotation")
    if "return" not in hints:
        problems.append(f"{where}: no return annotation")
    documented = documented_args(tool.function.__doc__)
    missing = [p.name for p in params if p.name not in documented]
    if missing:
        problems.append(f"{where}: docstring has no `Args:` entry for {', '.join(missing)}")
    extra = sorted(documented - {p.name for p in params})
    if extra:
        problems.append(f"{where}: `Args:` documents unknown parameters {', '.join(extra)}")
    return problems
