"""A model-written tool's source: its one function, read with `ast` and never run on the host.

The host never executes model-written code: it reads the function's name, parameters,
annotations, defaults and docstring from the syntax tree, builds real types from a fixed set of
names (no `eval`), and makes a `Tool` record whose implementation runs the source in the Monty
sandbox (`run_made_tool`), where every tool it calls passes the toolbox gate.
"""

from __future__ import annotations

import ast
import builtins
import functools
import hashlib
import inspect
import keyword
import math
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from punie_core.plugins.context import tool_context
from punie_core.plugins.contract import tool_problems
from punie_core.plugins.prompt import IMPORTABLE as PROMPT_MODULES
from punie_core.plugins.records import NAME_PATTERN, RecordError, Tool
from punie_core.plugins.stubs import render_tool, signature_line
from punie_core.plugins.toolbox import current_toolbox
from punie_core.sandbox.runner import execute_code

IMPORTABLE = frozenset(PROMPT_MODULES)
"""Modules a made tool may import: the ones the system prompt offers every snippet."""

UNSAFE_BUILTINS = frozenset(
    "open exec eval compile __import__ input globals locals vars breakpoint help exit quit "
    "getattr setattr delattr memoryview".split()
)
"""Builtins a made tool may not call (Monty refuses most anyway; this names the rule early)."""

CALLABLE_BUILTINS = frozenset(
    name for name in dir(builtins) if not name.startswith("_") and name not in UNSAFE_BUILTINS
)

PARAMETER_TYPES: dict[str, Any] = {
    "str": str,
    "int": int,
    "float": float,
    "bool": bool,
    "None": type(None),
    "list": list,
    "dict": dict,
    "tuple": tuple,
}
"""Annotation names a made tool's parameters may use: JSON-able data only, so a call can be
written into the sandbox as literals."""

MAX_DEPTH = 4
"""Made tools calling made tools: the deepest nesting (each level is a sandbox session)."""

_depth: ContextVar[int] = ContextVar("punie_made_tool_depth", default=0)


class DraftError(ValueError):
    """The source breaks a rule; the message says which and where."""


class MadeToolFailed(RuntimeError):
    """A made tool's code failed in the sandbox (its error is in the message)."""


@dataclass(frozen=True)
class ToolSource:
    """The parsed, checked shape of a made tool.

    Attributes:
        name: The function's name.
        source: The source as the model wrote it.
        sha256: Hash of `source`.
        parameters: The signature's parameters, with real annotation types.
        returns: The return type.
        doc: The function's docstring.
    """

    name: str
    source: str
    sha256: str
    parameters: tuple[inspect.Parameter, ...]
    returns: Any
    doc: str

    @property
    def signature(self) -> inspect.Signature:
        return inspect.Signature(list(self.parameters), return_annotation=self.returns)


def source_hash(source: str) -> str:
    """The sha256 of a tool's source text (UTF-8)."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def parse_source(source: str) -> ast.Module:
    """The syntax tree of `source`.

    Raises:
        DraftError: It is not valid Python.
    """
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        raise DraftError(f"line {exc.lineno}: {exc.msg}") from None


def read_tool(
    source: str,
    name: str,
    *,
    tools: set[str],
    nouns: dict[str, type[BaseModel]],
    check_calls: bool = True,
) -> ToolSource:
    """Read and check the one function of a made tool.

    Args:
        source: The source.
        name: The name the function must have.
        tools: Names of the tools it may call (the toolbox's).
        nouns: The toolbox's nouns by name (allowed as return types and calls).
        check_calls: Check that every called name exists (off for library tools already
            checked when made: the sandbox's type checker still checks them at every call).

    Raises:
        DraftError: A rule is broken: the message names it.
    """
    tree = parse_source(source)
    function = _the_function(tree, name)
    parameters = tuple(_parameters(function))
    returns = _result_type(function, nouns)
    doc = ast.get_docstring(function) or ""
    shape = ToolSource(name, source, source_hash(source), parameters, returns, doc)
    problems = tool_problems(made_tool(shape))
    if problems:
        raise DraftError(problems[0].removeprefix(f"tool {name!r}: "))
    if check_calls:
        _check_calls(function, tools | set(nouns))
    return shape


def _the_function(tree: ast.Module, name: str) -> ast.FunctionDef:
    if not NAME_PATTERN.match(name) or keyword.iskeyword(name):
        raise DraftError(f"{name!r} is not a snake_case name")
    functions: list[ast.FunctionDef] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            functions.append(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            _check_import(node)
        elif isinstance(node, ast.AsyncFunctionDef):
            raise DraftError(
                f"line {node.lineno}: write a plain `def` (tools are called without await)"
            )
        else:
            kind = type(node).__name__
            raise DraftError(
                f"line {node.lineno}: only imports and one function may stand at the top level "
                f"(found {kind})"
            )
    if len(functions) != 1:
        raise DraftError(f"the source must define exactly one function, found {len(functions)}")
    function = functions[0]
    if function.name != name:
        raise DraftError(f"the function is named {function.name!r}, not {name!r}")
    if function.decorator_list:
        raise DraftError(f"line {function.lineno}: decorators are not allowed")
    for node in ast.walk(function):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            _check_import(node)
        elif isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await, ast.Global, ast.Nonlocal)):
            raise DraftError(f"line {node.lineno}: {type(node).__name__} is not allowed in a tool")
    return function


def _check_import(node: ast.Import | ast.ImportFrom) -> None:
    modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
    for module in modules:
        if module.split(".")[0] not in IMPORTABLE:
            allowed = " ".join(sorted(IMPORTABLE))
            raise DraftError(
                f"line {node.lineno}: import of {module!r} is not allowed (importable: {allowed})"
            )


def _parameters(function: ast.FunctionDef) -> list[inspect.Parameter]:
    arguments = function.args
    if arguments.vararg or arguments.kwarg or arguments.posonlyargs:
        raise DraftError("parameters must be plain named parameters (no *args, **kwargs or /)")
    plain = [(a, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in arguments.args]
    keyword_only = [(a, inspect.Parameter.KEYWORD_ONLY) for a in arguments.kwonlyargs]
    defaults: list[ast.expr | None] = [None] * (len(arguments.args) - len(arguments.defaults))
    defaults += list(arguments.defaults) + list(arguments.kw_defaults)
    parameters = []
    for (argument, kind), default in zip(plain + keyword_only, defaults, strict=True):
        if argument.annotation is None:
            raise DraftError(f"parameter {argument.arg!r} has no type annotation")
        annotation = build_type(argument.annotation, PARAMETER_TYPES)
        value: Any = inspect.Parameter.empty
        if default is not None:
            try:
                value = ast.literal_eval(default)
            except ValueError:
                raise DraftError(
                    f"parameter {argument.arg!r}: the default must be a literal"
                ) from None
        parameters.append(
            inspect.Parameter(argument.arg, kind, default=value, annotation=annotation)
        )
    return parameters


def _result_type(function: ast.FunctionDef, nouns: dict[str, type[BaseModel]]) -> Any:
    if function.returns is None:
        raise DraftError("no return annotation")
    return build_type(function.returns, PARAMETER_TYPES | nouns)


def build_type(node: ast.expr, names: dict[str, Any]) -> Any:
    """The type an annotation names, built from `names` only (never evaluated as code).

    Raises:
        DraftError: The annotation uses something else.
    """
    if isinstance(node, ast.Constant) and node.value is None:
        return type(None)
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return build_type(node.left, names) | build_type(node.right, names)
    elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        origin = node.value.id
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if origin in ("list", "dict", "tuple"):
            if origin == "tuple" and items and isinstance(items[-1], ast.Constant):
                if items[-1].value is Ellipsis and len(items) == 2:
                    return tuple[build_type(items[0], names), ...]  # type: ignore[misc]
            args = tuple(build_type(item, names) for item in items)
            generic = {"list": list, "dict": dict, "tuple": tuple}[origin]
            return generic[args]  # type: ignore[index]
    shown = ast.unparse(node)
    allowed = ", ".join(sorted(names))
    raise DraftError(f"annotation {shown!r} is not allowed here (use {allowed}, [], |)")


def _check_calls(function: ast.FunctionDef, known: set[str]) -> None:
    """Every called name is a tool, a noun, a safe builtin or defined in the source."""
    local = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
    for node in ast.walk(function):
        if isinstance(node, (ast.FunctionDef, ast.Lambda)) and node is not function:
            local.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
            if isinstance(node, ast.FunctionDef):
                local.add(node.name)
        elif isinstance(node, ast.ClassDef):
            local.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            local.add(node.id)
        elif isinstance(node, ast.alias):
            local.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            local.add(node.name)
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            called = node.func.id
            if called in UNSAFE_BUILTINS:
                raise DraftError(f"line {node.lineno}: {called}() is not allowed in a tool")
            if called not in known and called not in local and called not in CALLABLE_BUILTINS:
                raise DraftError(
                    f"line {node.lineno}: {called}() is not a tool, a noun or a builtin "
                    "(see tool_help() for the tools)"
                )


def made_tool(
    shape: ToolSource,
    *,
    plugin: str = "draft",
    on_call: Callable[[str, str, bool], None] | None = None,
) -> Tool:
    """The `Tool` record of a made tool: calls run `shape.source` in the sandbox.

    Args:
        shape: The checked tool.
        plugin: Who provides it: `draft` (this session) or `library` (the project's).
        on_call: Told `(name, plugin, ok)` after every call (usage counts).
    """
    signature = shape.signature
    adapter = _result_adapter(shape.returns)

    async def run(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        ok = False
        try:
            result = await run_made_tool(shape, dict(bound.arguments), adapter)
            ok = True
            return result
        finally:
            if on_call is not None:
                on_call(shape.name, plugin, ok)

    doc = shape.doc
    run.__name__ = run.__qualname__ = shape.name
    run.__doc__ = doc
    run.__signature__ = signature  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in shape.parameters} | {
        "return": shape.returns
    }
    run.__module__ = "punie_made_tools"
    try:
        return Tool(run, name=shape.name, kind="other", plugin=plugin, distribution="project")
    except RecordError as exc:
        raise DraftError(str(exc)) from None


@functools.cache
def _result_adapter(returns: Any) -> TypeAdapter[Any]:
    return TypeAdapter(returns)


async def run_made_tool(
    shape: ToolSource, arguments: dict[str, Any], adapter: TypeAdapter[Any]
) -> Any:
    """Run a made tool: its source plus one call, in a fresh sandbox session, under the gate.

    Raises:
        MadeToolFailed: The code raised, hit a limit, or returned a value of the wrong type.
    """
    depth = _depth.get()
    if depth >= MAX_DEPTH:
        raise MadeToolFailed(f"{shape.name}: made tools nested deeper than {MAX_DEPTH} levels")
    call = ", ".join(
        f"{key}={_literal(shape.name, key, value)}" for key, value in arguments.items()
    )
    code = f"{shape.source.rstrip()}\n\n{shape.name}({call})\n"
    token = _depth.set(depth + 1)
    try:
        result = await execute_code(code, toolbox=current_toolbox(), context=tool_context())
    finally:
        _depth.reset(token)
    if result.error is not None:
        error = result.error
        where = f" (line {error.line})" if error.line else ""
        raise MadeToolFailed(f"{shape.name} failed{where}: {error.type}: {error.message}")
    try:
        return adapter.validate_python(result.value)
    except ValidationError as exc:
        problem = exc.errors()[0]["msg"]
        raise MadeToolFailed(
            f"{shape.name} returned a value that is not its declared type: {problem}"
        ) from None


def _literal(tool: str, name: str, value: Any) -> str:
    """`value` as Python source the sandbox reads back as the same value."""
    if isinstance(value, float) and not math.isfinite(value):
        raise MadeToolFailed(f"{tool}(): argument {name!r} is not a finite number")
    if isinstance(value, (list, tuple)):
        items = ", ".join(_literal(tool, name, v) for v in value)
        return (
            f"[{items}]"
            if isinstance(value, list)
            else f"({items}{',' if len(value) == 1 else ''})"
        )
    if isinstance(value, dict):
        items = ", ".join(
            f"{_literal(tool, name, k)}: {_literal(tool, name, v)}" for k, v in value.items()
        )
        return "{" + items + "}"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    raise MadeToolFailed(
        f"{tool}(): argument {name!r} of type {type(value).__name__} cannot be passed"
    )


def signature_text(shape: ToolSource) -> str:
    """`name(params) -> result`, as the stubs show it."""
    return signature_line(render_tool(made_tool(shape)), shape.name)


__all__ = [
    "DraftError",
    "MadeToolFailed",
    "ToolSource",
    "made_tool",
    "read_tool",
    "signature_text",
    "source_hash",
]
