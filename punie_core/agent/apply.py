"""Apply a code block a model showed to the file it was about (an editor's "apply").

Shown a file and asked to fix it, small models answer with the corrected function as a
```python block and call no tool, however often they are told that showing code changes
nothing. What they mean is unambiguous when the block's functions and classes are ones the file
defines: replace those definitions (decorators included) with the block's, add the block's
imports the file lacks, and leave everything else as it is. The result is an ordinary
`write_file` call (the gate asks permission and shows the diff); nothing is written otherwise.

`apply_block` is the pure part; `apply_shown_code` picks the block and the file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Mapping

_PYTHON_BLOCK = re.compile(r"```[ \t]*(?:python|py|python3)[ \t]*\n(.*?)(?:```|\Z)", re.S)

_CHANGE = re.compile(
    r"\b(?:fix|add|change|update|rename|remove|delete|replace|implement|make|turn|convert"
    r"|refactor|escape|set|rewrite|correct|edit|annotate|sort|clean)\b",
    re.IGNORECASE,
)


def asks_for_a_change(user_text: str) -> bool:
    """True when the user's message asks for a change ("fix", "add", "rename", ...)."""
    return bool(_CHANGE.search(user_text or ""))


def _definitions(tree: ast.Module) -> dict[str, ast.stmt]:
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }


_ELIDED = re.compile(r"#\s*(?:\.\.\.|rest of|existing|unchanged|same as|omitted)", re.I)


def _elides(block: str, definitions: Collection[ast.stmt]) -> bool:
    """A definition that stands for code left out (`...`, `# rest of the code`): not a whole one."""
    for node in definitions:
        for inner in ast.walk(node):
            if (
                isinstance(inner, ast.Expr)
                and isinstance(inner.value, ast.Constant)
                and inner.value.value is Ellipsis
            ):
                return True
        text = ast.get_source_segment(block, node) or ""
        if _ELIDED.search(text):
            return True
    return False


def _start(node: ast.stmt) -> int:
    """The first line of a definition, its decorators included (1-based)."""
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(d.lineno for d in decorators)])


def apply_block(original: str, block: str) -> str | None:
    """The file's text with the block's definitions and imports applied, or None.

    Args:
        original: The file's text.
        block: The code the model showed.

    Returns:
        The new text when every top-level function or class of the block replaces one of the
        same name in the file (and at least one does), else None: a block that defines
        something new, or nothing, is not clearly meant for this file.
    """
    try:
        source_tree = ast.parse(original)
        block_tree = ast.parse(block)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    existing = _definitions(source_tree)
    shown = _definitions(block_tree)
    if not shown or not set(shown) <= set(existing) or _elides(block, shown.values()):
        return None
    lines = original.splitlines(keepends=True)
    block_lines = block.splitlines(keepends=True)
    # Replace from the bottom up so earlier line numbers stay valid.
    for name in sorted(shown, key=lambda n: _start(existing[n]), reverse=True):
        old, new = existing[name], shown[name]
        text = "".join(block_lines[_start(new) - 1 : new.end_lineno])
        if not text.endswith("\n"):
            text += "\n"
        lines[_start(old) - 1 : old.end_lineno] = [text]
    updated = "".join(lines)
    missing = [
        ast.get_source_segment(block, node) or ast.unparse(node)
        for node in block_tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and ast.unparse(node) not in {ast.unparse(n) for n in source_tree.body}
    ]
    if missing:
        updated = _with_imports(updated, source_tree, missing)
    return None if updated == original else updated


def _with_imports(text: str, tree: ast.Module, imports: list[str]) -> str:
    """`imports` inserted after the module docstring and the existing imports."""
    after = 0
    for node in tree.body:
        is_docstring = (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        )
        if is_docstring or isinstance(node, (ast.Import, ast.ImportFrom)):
            after = node.end_lineno or after
            continue
        break
    lines = text.splitlines(keepends=True)
    added = "".join(f"{line}\n" for line in imports)
    if after == 0:
        return added + ("\n" if lines and lines[0].strip() else "") + text
    return "".join(lines[:after]) + added + "".join(lines[after:])


def apply_shown_code(
    reply: str, files: Mapping[str, str], tools: Collection[str]
) -> tuple[str, str] | None:
    """The file and new text a reply's shown code means, or None.

    Args:
        reply: The model's reply.
        files: The files the model was shown: path -> their text now.
        tools: The names callable in Code Mode (a block that calls one is no shown code).

    Returns:
        (path, new text) for the first ```python block that applies to exactly one file.
    """
    for body in _PYTHON_BLOCK.findall(reply):
        try:
            tree = ast.parse(body)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        if any(
            isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in tools
            for node in ast.walk(tree)
        ):
            continue
        applied = [(path, new) for path, text in files.items() if (new := apply_block(text, body))]
        if len(applied) == 1:
            return applied[0]
    return None
