"""Run t-string code on Python 3.11, for checking that auto-fixes keep behaviour.

tdom needs Python 3.14, which this machine lacks. `desugar` rewrites every t-string into a
call building a `Template` (strings plus interpolations with their expression, conversion
and format spec, exactly PEP 750's parts), so fixed modules run here. `render` turns a
Template into HTML the way tdom renders content: strings escaped, nested Templates and
lists of them inserted as markup, None/False dropped. Component tags are out of scope:
behaviour checks exercise content templates only.
"""

from __future__ import annotations

import html as html_escaping
import types
from dataclasses import dataclass
from typing import Any

import libcst as cst

from punie_core import parse_module


@dataclass(frozen=True)
class Interpolation:
    value: Any
    expression: str
    conversion: str | None
    format_spec: str


@dataclass(frozen=True)
class Template:
    strings: tuple[str, ...]
    interpolations: tuple[Interpolation, ...]


def _string_literal(node: cst.TemplatedString, text: str) -> cst.SimpleString:
    prefix = node.start[: -len(node.end)].lower().replace("t", "")
    return cst.SimpleString(
        f"{prefix}{node.end}{text.replace('{{', '{').replace('}}', '}')}{node.end}"
    )


def _spec(node: cst.TemplatedStringExpression, template: cst.TemplatedString) -> cst.BaseExpression:
    if not node.format_spec:
        return cst.SimpleString('""')
    parts: list[cst.BaseFormattedStringContent] = []
    for part in node.format_spec:
        if isinstance(part, cst.TemplatedStringText):
            parts.append(cst.FormattedStringText(part.value))
        elif isinstance(part, cst.TemplatedStringExpression):
            parts.append(cst.FormattedStringExpression(expression=part.expression))
    quote = "'" if template.end == '"' else '"'
    return cst.FormattedString(parts=parts, start=f"f{quote}", end=quote)  # type: ignore[arg-type]


class _Desugar(cst.CSTTransformer):
    def __init__(self, module: cst.Module) -> None:
        self.module = module

    def leave_TemplatedString(
        self, original_node: cst.TemplatedString, updated_node: cst.TemplatedString
    ) -> cst.BaseExpression:
        strings: list[cst.BaseExpression] = []
        interpolations: list[cst.BaseExpression] = []
        text = ""
        for original, part in zip(original_node.parts, updated_node.parts, strict=True):
            if isinstance(part, cst.TemplatedStringText):
                text += part.value
                continue
            assert isinstance(part, cst.TemplatedStringExpression)
            strings.append(_string_literal(original_node, text))
            text = ""
            code = self.module.code_for_node(original.expression)  # type: ignore[union-attr]
            conversion = (
                cst.SimpleString(repr(part.conversion)) if part.conversion else cst.Name("None")
            )
            interpolations.append(
                cst.Call(
                    func=cst.Name("__interpolation__"),
                    args=[
                        cst.Arg(part.expression),
                        cst.Arg(cst.SimpleString(repr(code))),
                        cst.Arg(conversion),
                        cst.Arg(_spec(part, original_node)),
                    ],
                )
            )
        strings.append(_string_literal(original_node, text))
        return cst.Call(
            func=cst.Name("__template__"),
            args=[
                cst.Arg(cst.Tuple([cst.Element(s) for s in strings])),
                cst.Arg(cst.Tuple([cst.Element(i) for i in interpolations])),
            ],
        )

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        return False  # rebuilt in leave: a concatenation of calls is not a valid node

    def leave_ConcatenatedString(
        self, original_node: cst.ConcatenatedString, updated_node: cst.ConcatenatedString
    ) -> cst.BaseExpression:
        left = original_node.left.visit(self)
        right = original_node.right.visit(self)
        if isinstance(left, cst.Call) or isinstance(right, cst.Call):
            return cst.Call(func=cst.Name("__concat__"), args=[cst.Arg(left), cst.Arg(right)])
        return updated_node


def concat(left: Template, right: Template) -> Template:
    """`t"a" t"b"`: the parts of both, the touching strings joined."""
    strings = (*left.strings[:-1], left.strings[-1] + right.strings[0], *right.strings[1:])
    return Template(strings, left.interpolations + right.interpolations)


def desugar(source: str) -> str:
    """The source with every t-string replaced by a `__template__(...)` call."""
    module = parse_module(source)
    return module.visit(_Desugar(module)).code


def _format(interpolation: Interpolation) -> Any:
    value = interpolation.value
    if interpolation.conversion == "r":
        value = repr(value)
    elif interpolation.conversion == "s":
        value = str(value)
    elif interpolation.conversion == "a":
        value = ascii(value)
    if interpolation.format_spec:
        value = format(value, interpolation.format_spec)
    return value


def render(template: Template, *, escape_strings: bool = True) -> str:
    """Content rendering as tdom does it (strings escaped unless `escape_strings` is False)."""
    out: list[str] = []
    for index, text in enumerate(template.strings):
        out.append(text)
        if index < len(template.interpolations):
            out.append(_render_value(_format(template.interpolations[index]), escape_strings))
    return "".join(out)


def _render_value(value: Any, escape_strings: bool) -> str:
    if value is None or value is False:
        return ""
    if isinstance(value, Template):
        return render(value, escape_strings=escape_strings)
    if isinstance(value, (list, tuple, types.GeneratorType)):
        return "".join(_render_value(v, escape_strings) for v in value)
    text = str(value)
    return html_escaping.escape(text) if escape_strings else text


def strict_html(template: Any) -> str:
    """tdom's contract: html() takes a Template (a str raises TypeError)."""
    if not isinstance(template, Template):
        raise TypeError(f"html() expects a Template, got {type(template).__name__}")
    return render(template)


def intended_html(template: Any) -> str:
    """What the author of a str-based template meant: strings pass through unescaped."""
    if isinstance(template, str):
        return template
    return render(template, escape_strings=False)


def load(source: str, name: str, html_function: Any) -> types.ModuleType:
    """Execute desugared source as a module whose `tdom` is a stand-in with `html_function`."""
    import sys

    tdom = types.ModuleType("tdom")
    tdom.html = html_function  # type: ignore[attr-defined]
    tdom.svg = html_function  # type: ignore[attr-defined]
    templatelib = types.ModuleType("string.templatelib")
    templatelib.Template = Template  # type: ignore[attr-defined]
    templatelib.Interpolation = Interpolation  # type: ignore[attr-defined]
    saved = {k: sys.modules.get(k) for k in ("tdom", "string.templatelib")}
    sys.modules["tdom"] = tdom
    sys.modules["string.templatelib"] = templatelib
    try:
        module = types.ModuleType(name)
        module.__dict__["__template__"] = lambda s, i: Template(tuple(s), tuple(i))
        module.__dict__["__interpolation__"] = Interpolation
        module.__dict__["__concat__"] = concat
        exec(compile(desugar(source), name, "exec"), module.__dict__)
        return module
    finally:
        for key, value in saved.items():
            if value is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = value
