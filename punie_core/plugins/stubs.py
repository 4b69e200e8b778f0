"""Python stub text for tools and nouns: what the model reads and Code Mode type-checks against.

Tools render as functions with their full Google docstring; nouns (Pydantic models) render as
keyword-only dataclasses with their fields, so `result.errors` and `Spec(name=...)` type-check
exactly as they behave. The module is a stub (`.pyi`): bodies are `...`.

Types the model cannot name are simplified on purpose: enums become `Literal[...]` of their
values, standard-library classes are written module-qualified (`datetime.date`, with the
`import` added to the module), and any other class becomes `Any`. The stub must stay valid for
`ast` and `ty` whatever a plugin's annotations hold.
"""

from __future__ import annotations

import ast
import builtins
import collections.abc
import enum
import inspect
import sys
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, get_type_hints

from pydantic import BaseModel

from punie_core.plugins.hookspecs import hookimpl
from punie_core.plugins.records import Noun, RecordError, Skill, Term, Tool

STUB_DOC = '"""Punie tools for Code Mode: call them as plain functions (no await, no import)."""\n'
STUB_IMPORTS = ("from dataclasses import dataclass", "from typing import Any, Literal")
STUB_HEADER = STUB_DOC + "\n" + "\n".join(STUB_IMPORTS) + "\n"
"""The start of every stub module (standard-library imports a stub needs follow it)."""

HEADER_NAMES = frozenset({"dataclass", "Any", "Literal"})
"""Names the header defines: a noun may not take one of them."""

_ABSTRACT_TO_CONCRETE = {
    "Sequence": "list",
    "MutableSequence": "list",
    "Iterable": "list",
    "Collection": "list",
    "Mapping": "dict",
    "MutableMapping": "dict",
    "Set": "set",
    "AbstractSet": "set",
    "MutableSet": "set",
}
"""The sandbox passes plain containers; naming them keeps the model's vocabulary small."""


class DefaultRenderer:
    """The core's `punie_render_stub`, registered last so any plugin can take over."""

    @hookimpl(trylast=True)
    def punie_render_stub(self, record: Tool | Noun) -> str | None:
        """Render any tool or noun the plugins left to the core."""
        if isinstance(record, Tool):
            return render_tool(record)
        if isinstance(record, Noun):
            return render_noun(record.model, record.name)
        return None


def _public_module(cls: type) -> str | None:
    """The importable standard-library module that names `cls` (`pathlib`, not `pathlib._local`)."""
    module = getattr(cls, "__module__", "") or ""
    top = module.split(".", 1)[0]
    if top not in sys.stdlib_module_names or top.startswith("_"):
        return None
    if "." not in module and not module.startswith("_"):
        return module
    # A class defined in a private submodule is usually re-exported by its package.
    package = sys.modules.get(top)
    if package is not None and getattr(package, cls.__qualname__, None) is cls:
        return top
    return None if any(part.startswith("_") for part in module.split(".")) else module


def _literal_value(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    return repr(value)


def format_annotation(annotation: Any) -> str:
    """Render a type annotation as stub source (`list[Violation] | None`).

    Enums become `Literal` of their values, standard-library classes are module-qualified,
    and classes the stub cannot name become `Any`.
    """
    if annotation is inspect.Parameter.empty or annotation is Any:
        return "Any"
    if annotation is None or annotation is type(None):
        return "None"
    if isinstance(annotation, str):
        return annotation if annotation.isidentifier() else "Any"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        rendered = [format_annotation(a) for a in args]
        return " | ".join(dict.fromkeys(rendered))  # Path | str may both become Any
    if origin is typing.Literal:
        return f"Literal[{', '.join(_literal_value(a) for a in args)}]"
    if origin is typing.Annotated:
        return format_annotation(args[0])
    if origin is collections.abc.Callable or origin is type:
        return "Any"
    if origin is not None:
        name = getattr(origin, "__name__", "")
        name = _ABSTRACT_TO_CONCRETE.get(name, name)
        if (
            origin is not getattr(builtins, name, None)
            and name not in _ABSTRACT_TO_CONCRETE.values()
        ):
            return "Any"  # a generic class the stub cannot import
        if not args:
            return name
        inner = ", ".join("..." if a is Ellipsis else format_annotation(a) for a in args)
        return f"{name}[{inner}]"
    if isinstance(annotation, type):
        if issubclass(annotation, enum.Enum):
            values = ", ".join(_literal_value(member) for member in annotation)
            return f"Literal[{values}]" if values else "Any"
        if issubclass(annotation, BaseModel):
            return annotation.__name__
        if getattr(builtins, annotation.__name__, None) is annotation:
            return annotation.__name__
        name = _ABSTRACT_TO_CONCRETE.get(annotation.__name__)
        if name and annotation.__module__ in ("collections.abc", "typing"):
            return name
        module = _public_module(annotation)
        if module is not None:
            return f"{module}.{annotation.__qualname__}"
        return "Any"
    return "Any"


def _docstring(doc: str | None, indent: str) -> str:
    text = inspect.cleandoc(doc or "")
    if not text:
        return ""
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if text.endswith('"'):
        text = text[:-1] + '\\"'  # a closing quote would merge with the docstring's end
    lines = text.split("\n")
    body = "\n".join((indent + line) if line.strip() else "" for line in lines)
    closing = f"\n{indent}" if len(lines) > 1 else ""
    return f'{indent}"""{body.lstrip()}{closing}"""\n'


def _default(value: Any) -> str:
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return "..."
    if value is None or isinstance(value, (bool, int, float, str)):
        text = repr(value)
        return text if len(text) <= 40 else "..."
    return "..."


def _tool_hints(tool: Tool) -> dict[str, Any]:
    """A tool's resolved annotations (`get_type_hints`).

    Raises:
        RecordError: An annotation cannot be resolved (a name that is not importable).
    """
    try:
        return get_type_hints(tool.function)
    except Exception as exc:
        raise RecordError(
            f"tool {tool.name!r}: cannot resolve its type annotations: {exc}"
        ) from exc


def render_tool(tool: Tool) -> str:
    """A `def` stub for a tool: its signature, resolved types and full docstring.

    Raises:
        RecordError: An annotation cannot be resolved (a name that is not importable).
    """
    signature = inspect.signature(tool.function)
    hints = _tool_hints(tool)
    params: list[str] = []
    positional_only = False
    star_done = False
    for name, param in signature.parameters.items():
        annotation = format_annotation(hints.get(name, param.annotation))
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            positional_only = True
        elif positional_only:
            params.append("/")
            positional_only = False
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            params.append(f"*{name}: {annotation}")
            star_done = True
            continue
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            params.append(f"**{name}: {annotation}")
            continue
        if param.kind is inspect.Parameter.KEYWORD_ONLY and not star_done:
            params.append("*")
            star_done = True
        text = f"{name}: {annotation}"
        if param.default is not inspect.Parameter.empty:
            text += f" = {_default(param.default)}"
        params.append(text)
    if positional_only:
        params.append("/")
    returns = format_annotation(hints.get("return", signature.return_annotation))
    head = f"def {tool.name}({', '.join(params)}) -> {returns}:\n"
    return head + _docstring(tool.function.__doc__, "    ") + "    ...\n"


def render_noun(model: type[BaseModel], name: str | None = None) -> str:
    """A keyword-only dataclass stub for a Pydantic model: docstring and typed fields."""
    lines = ["@dataclass(kw_only=True, frozen=True)\n", f"class {name or model.__name__}:\n"]
    doc = _docstring(model.__doc__, "    ")
    if doc:
        lines.append(doc + "\n")
    fields = model.model_fields
    for field_name, info in fields.items():
        annotation = format_annotation(info.annotation)
        if info.is_required():
            lines.append(f"    {field_name}: {annotation}\n")
        elif info.default_factory is not None:
            lines.append(f"    {field_name}: {annotation} = ...\n")
        else:
            lines.append(f"    {field_name}: {annotation} = {_default(info.default)}\n")
    if not fields and not doc:
        lines.append("    ...\n")
    return "".join(lines)


def check_stub(text: str, name: str, function: bool = False) -> None:
    """Check one record's stub text parses and defines `name` at top level.

    Args:
        text: The stub source.
        name: The name it must define.
        function: `name` must be a function (a tool), not a class.

    Raises:
        RecordError: The text is not valid Python, or does not define `name` as required.
    """
    try:
        tree = ast.parse(text)
    except SyntaxError as exc:
        raise RecordError(
            f"stub for {name!r} is not valid Python: {exc.msg} (line {exc.lineno})"
        ) from None
    kinds = (
        (ast.FunctionDef, ast.AsyncFunctionDef)
        if function
        else (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    )
    defined = {node.name for node in tree.body if isinstance(node, kinds)}
    if name not in defined:
        what = "a function" if function else "a class or function"
        raise RecordError(f"stub for {name!r} does not define {what} named {name!r}")


def _models_in(annotation: Any) -> Iterable[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def nouns_used_by(tools: Iterable[Tool]) -> list[type[BaseModel]]:
    """Every Pydantic model a tool's parameters or result mention, with the models their fields use.

    Raises:
        RecordError: A tool's annotations cannot be resolved.
    """
    found: dict[type[BaseModel], None] = {}
    pending: list[type[BaseModel]] = []
    for tool in tools:
        for hint in _tool_hints(tool).values():
            pending.extend(_models_in(hint))
    while pending:
        model = pending.pop()
        if model in found:
            continue
        found[model] = None
        for info in model.model_fields.values():
            pending.extend(_models_in(info.annotation))
    return list(found)


def ordered_nouns(nouns: Iterable[Noun]) -> list[Noun]:
    """Nouns sorted by name, each after the nouns its fields use (so the module reads top-down)."""
    by_model = {n.model: n for n in nouns}
    done: dict[str, Noun] = {}

    def visit(noun: Noun, trail: tuple[str, ...] = ()) -> None:
        if noun.name in done or noun.name in trail:
            return
        deps = sorted(
            {
                by_model[m].name: by_model[m]
                for info in noun.model.model_fields.values()
                for m in _models_in(info.annotation)
                if m in by_model and m is not noun.model
            }.items()
        )
        for _, dep in deps:
            visit(dep, (*trail, noun.name))
        done[noun.name] = noun

    for noun in sorted(by_model.values(), key=lambda n: n.name):
        visit(noun)
    return list(done.values())


def stdlib_imports(body: str) -> list[str]:
    """`import X` lines for the standard-library modules a stub body names but does not define."""
    tree = ast.parse(body)
    defined = {
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            root = node
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name):
                roots.add(root.id)
    modules = sorted(
        name for name in roots - defined - HEADER_NAMES if name in sys.stdlib_module_names
    )
    return [f"import {name}" for name in modules]


class MergedRecords(Protocol):
    """What the stub module and the system prompt are rendered from: the merged toolbox.

    The toolbox passes itself; rendering needs only its sorted records and their stubs.
    """

    @property
    def tools(self) -> Sequence[Tool]: ...

    @property
    def nouns(self) -> Sequence[Noun]: ...

    @property
    def skills(self) -> Sequence[Skill]: ...

    @property
    def vocabulary(self) -> Sequence[Term]: ...

    @property
    def stub_texts(self) -> Mapping[str, str]: ...


def stub_module(toolbox: MergedRecords) -> str:
    """The whole stub module: header, nouns (dependencies first), then tools, sorted by name."""
    parts = []
    for noun in ordered_nouns(toolbox.nouns):
        parts.append("\n\n" + toolbox.stub_texts[noun.name])
    for tool in toolbox.tools:
        parts.append("\n\n" + toolbox.stub_texts[tool.name])
    body = "".join(parts)
    imports = stdlib_imports(body)
    header = (
        STUB_HEADER
        if not imports
        else STUB_DOC + "\n" + "\n".join([*imports, *STUB_IMPORTS]) + "\n"
    )
    return header + body


def signature_line(stub: str, name: str) -> str:
    """`name(params) -> result` of the function `name` in a stub, without its docstring."""
    lines = stub.splitlines()
    for node in ast.parse(stub).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            # The source text as written (ast.unparse would respace `x: int = 1` as `x: int=1`).
            first = node.body[0]
            if first.lineno == node.lineno:
                header = lines[node.lineno - 1][: first.col_offset]
            else:
                header = " ".join(
                    line.strip() for line in lines[node.lineno - 1 : first.lineno - 1]
                )
            header = (
                header.strip()
                .removeprefix("async ")
                .removeprefix("def ")
                .rstrip()
                .removesuffix(":")
            )
            return header.replace("( ", "(").replace(", )", ")").strip()
    raise RecordError(f"stub does not define a function {name!r}")
