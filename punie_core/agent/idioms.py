"""Plain-Python file idioms small models write, turned into the tools before a snippet runs.

Code Mode has no `open()` and nothing to import the tools from, yet small coder models write
`with open("config.json", "w") as f: f.write(text)` and `from tools import read_file` out of
habit. Rather than fail such a snippet, the common shapes are rewritten to the equivalent tool
calls, which go through the same gate (permissions, workspace confinement) as any other call:

- `from ANY import tool, ...` / `import tools`: dropped when every imported name is a tool;
- `open(P).read()`, `open(P).readlines()`, `open(P, "w").write(X)`;
- `with open(P) as f:` whose body only uses `f.read()`, `f.readlines()` or `for line in f`;
- `with open(P, "w") as f:` whose body only uses `f.write(X)`, `f.writelines(L)`,
  `json.dump(obj, f, ...)` or `print(x, file=f)`: the text is collected, then one write_file.

Anything else that uses `open()` is left alone: the type check reports it with a hint.
"""

from __future__ import annotations

import ast
from collections.abc import Collection
from dataclasses import dataclass, field

TOOL_MODULES = frozenset({"tools", "punie", "punie_tools", "functions", "quality", "code"})
"""Module names models invent for the tools (`import tools` is dropped; `from X import` always
is when every name is a tool)."""

_CHUNKS = "_written"


@dataclass
class Rewritten:
    """A snippet after rewriting.

    Attributes:
        code: The code to run (the input when nothing changed).
        reads: Paths read through `open()` (as written in the code, when literal).
        writes: Paths written through `open()`; None for a path that is not a literal string.
        changed: Something was rewritten or dropped.
    """

    code: str
    reads: list[str | None] = field(default_factory=list)
    writes: list[str | None] = field(default_factory=list)
    changed: bool = False


def rewrite_idioms(code: str, tools: Collection[str]) -> Rewritten:
    """Rewrite `open()` file idioms to read_file/write_file and drop imports of tools.

    Args:
        code: The snippet.
        tools: The names callable in Code Mode.

    Returns:
        The rewritten snippet and the paths it reads and writes through `open()`; the code is
        returned unchanged when it does not parse or uses none of these idioms.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return Rewritten(code)
    rewriter = _Rewriter(set(tools))
    try:
        new_tree = rewriter.visit(tree)
    except _Unsupported:
        return Rewritten(code)
    if not rewriter.changed:
        return Rewritten(code)
    ast.fix_missing_locations(new_tree)
    return Rewritten(ast.unparse(new_tree) + "\n", rewriter.reads, rewriter.writes, changed=True)


class _Unsupported(Exception):
    """A shape this module does not rewrite: keep the snippet as written."""


def _open_call(node: ast.AST | None) -> tuple[ast.expr, str] | None:
    """`open(P)` / `open(P, "w")` / `open(P, mode="w", encoding=...)`: (P, "r"|"w"|"a") or None."""
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "open"
        and node.args
    ):
        return None
    mode_node = node.args[1] if len(node.args) > 1 else None
    for keyword in node.keywords:
        if keyword.arg == "mode":
            mode_node = keyword.value
    mode = "r"
    if mode_node is not None:
        if not (isinstance(mode_node, ast.Constant) and isinstance(mode_node.value, str)):
            return None
        mode = mode_node.value.replace("t", "").replace("+", "")
    if mode not in ("r", "w", "a"):
        return None  # binary and exclusive modes: left alone
    return node.args[0], mode


def _path_text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _call(name: str, **arguments: ast.expr) -> ast.Call:
    return ast.Call(
        func=ast.Name(name, ast.Load()),
        args=[],
        keywords=[ast.keyword(arg=key, value=value) for key, value in arguments.items()],
    )


def _method(value: ast.expr, name: str, *args: ast.expr, **keywords: ast.expr) -> ast.Call:
    return ast.Call(
        func=ast.Attribute(value=value, attr=name, ctx=ast.Load()),
        args=list(args),
        keywords=[ast.keyword(arg=key, value=v) for key, v in keywords.items()],
    )


def _lines_of(text: ast.expr) -> ast.Call:
    return _method(text, "splitlines", keepends=ast.Constant(True))


class _Rewriter(ast.NodeTransformer):
    def __init__(self, tools: set[str]) -> None:
        self.tools = tools
        self.reads: list[str | None] = []
        self.writes: list[str | None] = []
        self.dropped_imports = False

    @property
    def changed(self) -> bool:
        return bool(self.reads or self.writes or self.dropped_imports)

    # Imports of the tools -------------------------------------------------------------------
    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST | None:  # noqa: N802
        if node.names and all(alias.name in self.tools for alias in node.names):
            self.dropped_imports = True
            return None
        return node

    def visit_Import(self, node: ast.Import) -> ast.AST | None:  # noqa: N802
        if node.names and all(alias.name in TOOL_MODULES for alias in node.names):
            self.dropped_imports = True
            return None
        return node

    # open(P).read(), open(P, "w").write(X) ----------------------------------------------------
    def visit_Call(self, node: ast.Call) -> ast.AST:  # noqa: N802
        self.generic_visit(node)
        if not isinstance(node.func, ast.Attribute):
            return node
        opened = _open_call(node.func.value)
        if opened is None:
            return node
        path, mode = opened
        method = node.func.attr
        if mode == "r" and method in ("read", "readlines") and not node.args:
            self.reads.append(_path_text(path))
            text = _call("read_file", path=path)
            return text if method == "read" else _lines_of(text)
        if mode == "w" and method == "write" and len(node.args) == 1:
            self.writes.append(_path_text(path))
            return _call("write_file", path=path, content=node.args[0])
        return node

    # with open(P[, mode]) as f: ... -------------------------------------------------------------
    def visit_With(self, node: ast.With) -> ast.AST | list[ast.stmt]:  # noqa: N802
        if len(node.items) != 1:
            return self.generic_visit(node)
        item = node.items[0]
        opened = _open_call(item.context_expr)
        if opened is None or not isinstance(item.optional_vars, ast.Name):
            return self.generic_visit(node)
        path, mode = opened
        handle = item.optional_vars.id
        body = [self.visit(statement) for statement in node.body]
        body = [s for s in body if s is not None]
        if mode == "r":
            reader = _ReadHandle(handle, path)
            new_body = [reader.visit(statement) for statement in body]
            if reader.other_use or not reader.used:
                raise _Unsupported
            self.reads.append(_path_text(path))
            return new_body
        writer = _WriteHandle(handle)
        new_body = [writer.visit(statement) for statement in body]
        if writer.other_use or not writer.used:
            raise _Unsupported
        self.writes.append(_path_text(path))
        start: ast.expr = ast.List(elts=[], ctx=ast.Load())
        if mode == "a":
            start = ast.List(elts=[_call("read_file", path=path)], ctx=ast.Load())
        collect = ast.Assign(targets=[ast.Name(_CHUNKS, ast.Store())], value=start)
        joined = _method(ast.Constant(""), "join", ast.Name(_CHUNKS, ast.Load()))
        write = ast.Expr(_call("write_file", path=path, content=joined))
        return [collect, *new_body, write]


class _ReadHandle(ast.NodeTransformer):
    """`f.read()` -> read_file(path=P); `f.readlines()` and `for line in f` -> its lines."""

    def __init__(self, handle: str, path: ast.expr) -> None:
        self.handle, self.path = handle, path
        self.used = False
        self.other_use = False

    def _text(self) -> ast.Call:
        self.used = True
        return _call("read_file", path=self.path)

    def visit_Call(self, node: ast.Call) -> ast.AST:  # noqa: N802
        func = node.func
        if isinstance(func, ast.Attribute) and _is_name(func.value, self.handle) and not node.args:
            if func.attr == "read":
                return self._text()
            if func.attr == "readlines":
                return _lines_of(self._text())
        return self.generic_visit(node)

    def visit_For(self, node: ast.For) -> ast.AST:  # noqa: N802
        if _is_name(node.iter, self.handle):
            node.iter = _lines_of(self._text())
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:  # noqa: N802
        if node.id == self.handle:
            self.other_use = True
        return node


class _WriteHandle(ast.NodeTransformer):
    """`f.write(X)`, `f.writelines(L)`, `json.dump(o, f, ...)`, `print(x, file=f)` -> collected."""

    def __init__(self, handle: str) -> None:
        self.handle = handle
        self.used = False
        self.other_use = False

    def _append(self, value: ast.expr, method: str = "append") -> ast.Call:
        self.used = True
        return _method(ast.Name(_CHUNKS, ast.Load()), method, value)

    def visit_Call(self, node: ast.Call) -> ast.AST:  # noqa: N802
        func = node.func
        if isinstance(func, ast.Attribute) and _is_name(func.value, self.handle):
            if func.attr == "write" and len(node.args) == 1:
                return self._append(self.visit(node.args[0]))
            if func.attr == "writelines" and len(node.args) == 1:
                return self._append(self.visit(node.args[0]), "extend")
        if (
            isinstance(func, ast.Attribute)
            and _is_name(func.value, "json")
            and func.attr == "dump"
            and len(node.args) == 2
            and _is_name(node.args[1], self.handle)
        ):
            dumps = ast.Call(
                func=ast.Attribute(value=ast.Name("json", ast.Load()), attr="dumps"),
                args=[self.visit(node.args[0])],
                keywords=node.keywords,
            )
            return self._append(dumps)
        if isinstance(func, ast.Name) and func.id == "print" and len(node.args) == 1:
            target = next((k for k in node.keywords if k.arg == "file"), None)
            if target is not None and _is_name(target.value, self.handle):
                if len(node.keywords) > 1:
                    raise _Unsupported
                line = ast.BinOp(
                    left=_call_name("str", self.visit(node.args[0])),
                    op=ast.Add(),
                    right=ast.Constant("\n"),
                )
                return self._append(line)
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:  # noqa: N802
        if node.id == self.handle:
            self.other_use = True
        return node


def _call_name(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
