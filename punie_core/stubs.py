"""Python stub text for tools and nouns: what the model reads and what Code Mode type-checks against.

Tools render as functions with their full Google docstring; nouns (Pydantic models) render as
keyword-only dataclasses with their fields, so `result.errors` and `Spec(name=...)` type-check
exactly as they behave. The module is a stub (`.pyi`): bodies are `...`.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, get_type_hints

from punie_core.hookspecs import hookimpl
from punie_core.records import Noun, Tool

if TYPE_CHECKING:
    from pydantic import BaseModel

    from punie_core.toolbox import Toolbox

STUB_HEADER = '''"""Punie tools for Code Mode: call them as plain functions (no await, no import)."""

from dataclasses import dataclass
from typing import Any, Literal
'''


class DefaultRenderer:
    """The core's `punie_render_stub`, registered last so any plugin can take over."""

    @hookimpl(trylast=True)
    def punie_render_stub(self, record: Tool | Noun) -> str | None:
        if isinstance(record, Tool):
            return render_tool(record)
        if isinstance(record, Noun):
            return render_noun(record.model, record.name)
        return None


def format_annotation(annotation: Any) -> str:
    """Render a type annotation as stub source (`list[Violation] | None`)."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        return "Any"
    if annotation is None or annotation is type(None):
        return "None"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(format_annotation(a) for a in args)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin is typing.Annotated:
        return format_annotation(args[0])
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        if name in ("Sequence", "Iterable", "Collection"):
            name = "list"  # the sandbox passes lists; keep the model's vocabulary small
        if name == "Mapping":
            name = "dict"
        if not args:
            return name
        inner = ", ".join("..." if a is Ellipsis else format_annotation(a) for a in args)
        return f"{name}[{inner}]"
    if isinstance(annotation, type):
        return annotation.__name__
    if isinstance(annotation, str):
        return annotation
    return repr(annotation)


def _docstring(doc: str | None, indent: str) -> str:
    text = inspect.cleandoc(doc or "")
    if not text:
        return ""
    text = text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    lines = text.split("\n")
    body = "\n".join((indent + line) if line.strip() else "" for line in lines)
    closing = f"\n{indent}" if len(lines) > 1 else ""
    return f'{indent}"""{body.lstrip()}{closing}"""\n'


def _default(value: Any) -> str:
    if value is None or isinstance(value, (bool, int, float, str)):
        text = repr(value)
        return text if len(text) <= 40 else "..."
    return "..."


def render_tool(tool: Tool) -> str:
    """A `def` stub for a tool: its signature, resolved types and full docstring."""
    signature = inspect.signature(tool.function)
    hints = get_type_hints(tool.function)
    params = []
    for name, param in signature.parameters.items():
        text = f"{name}: {format_annotation(hints.get(name, param.annotation))}"
        if param.default is not inspect.Parameter.empty:
            text += f" = {_default(param.default)}"
        if param.kind is inspect.Parameter.KEYWORD_ONLY and "*" not in params:
            params.append("*")
        params.append(text)
    returns = format_annotation(hints.get("return", signature.return_annotation))
    head = f"def {tool.name}({', '.join(params)}) -> {returns}:\n"
    return head + _docstring(tool.function.__doc__, "    ") + "    ...\n"


def render_noun(model: type[BaseModel], name: str | None = None) -> str:
    """A keyword-only dataclass stub for a Pydantic model: docstring and typed fields."""
    lines = ["@dataclass(kw_only=True)\n", f"class {name or model.__name__}:\n"]
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


def _models_in(annotation: Any) -> Iterable[type[BaseModel]]:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def nouns_used_by(tools: Iterable[Tool]) -> list[type[BaseModel]]:
    """Every Pydantic model a tool's parameters or result mention, with the models their fields use."""
    found: dict[type, None] = {}
    pending: list[type[BaseModel]] = []
    for tool in tools:
        for hint in get_type_hints(tool.function).values():
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


def stub_module(toolbox: Toolbox) -> str:
    """The whole stub module: header, nouns (dependencies first), then tools, sorted by name."""
    parts = [STUB_HEADER]
    for noun in ordered_nouns(toolbox.nouns):
        parts.append("\n\n" + toolbox.stub_texts[noun.name])
    for tool in toolbox.tools:
        parts.append("\n\n" + toolbox.stub_texts[tool.name])
    return "".join(parts)


def signature_line(tool: Tool) -> str:
    """`name(params) -> result` without the docstring, for the compact prompt listing."""
    stub = render_tool(tool)
    return stub.split("\n", 1)[0].removeprefix("def ").removesuffix(":")
