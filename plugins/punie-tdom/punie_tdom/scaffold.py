"""Code generation from a `ComponentSpec`: the component module and a test that renders it."""

from __future__ import annotations

import keyword
import re

from punie_tdom.nouns import ComponentScaffold, ComponentSpec, Prop

LINE_LIMIT = 100

_SAMPLES = {
    "int": "{1}",
    "float": "{1.5}",
    "bool": "{True}",
    "Template": '{t"<b>sample</b>"}',
    "list": "{[]}",
    "dict": "{dict()}",
}


def snake_case(name: str) -> str:
    """`UserCard` -> `user_card`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def kebab_case(name: str) -> str:
    """`user_card` or `UserCard` -> `user-card`."""
    return snake_case(name).replace("_", "-")


def _check_spec(spec: ComponentSpec) -> None:
    if not spec.name.isidentifier() or keyword.iskeyword(spec.name):
        raise ValueError(f"component name {spec.name!r} is not a Python identifier")
    seen = set()
    for prop in spec.props:
        if not prop.name.isidentifier() or keyword.iskeyword(prop.name):
            raise ValueError(f"prop name {prop.name!r} is not a Python identifier")
        if prop.name == "children":
            raise ValueError("`children` is not a prop: set accepts_children=True instead")
        if prop.name in seen:
            raise ValueError(f"prop {prop.name!r} is listed twice")
        seen.add(prop.name)
    if spec.kind == "dataclass" and spec.accepts_extra_attrs:
        raise ValueError("a dataclass component cannot take **attrs; use kind='function'")
    if spec.kind == "class":
        raise ValueError("scaffold kind must be 'function' or 'dataclass'")


def default_template(spec: ComponentSpec) -> str:
    """Markup showing every prop (and the children), when the spec gives none."""
    attrs = " {attrs}" if spec.accepts_extra_attrs else ""
    inner = "".join(
        f'<span class="{kebab_case(p.name)}">{{{p.name}}}</span>'
        for p in spec.props
        if not p.injected
    )
    children = "{children}" if spec.accepts_children else ""
    return f'<div class="{kebab_case(spec.name)}"{attrs}>{inner}{children}</div>'


def _quote(template: str) -> str:
    """Choose quotes for a t-string literal holding `template`."""
    if "\n" in template:
        return '"""' if '"""' not in template and not template.endswith('"') else "'''"
    if '"' not in template:
        return '"'
    if "'" not in template:
        return "'"
    return '"""'


def _tstring(template: str) -> str:
    quote = _quote(template)
    return f"t{quote}{template}{quote}"


def _self_template(template: str, names: set[str]) -> str:
    """Rewrite `{title}` to `{self.title}` for a dataclass's `__call__`."""
    import libcst as cst

    from punie_core import parse_module

    source = _tstring(template)
    try:
        module = parse_module(f"__template__ = {source}\n")
    except cst.ParserSyntaxError as exc:
        raise ValueError(f"the template is not a valid t-string body: {exc}") from None

    class ToSelf(cst.CSTTransformer):
        def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute) -> cst.Attribute:
            return updated.with_changes(attr=original.attr)  # `x.title` keeps its attribute

        def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.BaseExpression:
            if updated.value in names:
                return cst.Attribute(value=cst.Name("self"), attr=cst.Name(updated.value))
            return updated

    code = module.visit(ToSelf()).code
    return code[len("__template__ = ") :].rstrip("\n")


def _validate_template(template: str) -> None:
    import libcst as cst

    from punie_core import parse_module

    try:
        parse_module(f"x = {_tstring(template)}\n")
    except cst.ParserSyntaxError as exc:
        raise ValueError(f"the template is not a valid t-string body: {exc}") from None


def _param(prop: Prop) -> str:
    text = f"{prop.name}: {prop.type or 'Any'}"
    if prop.default is not None:
        text += f" = {prop.default}"
    return text


def _needs_any(spec: ComponentSpec) -> bool:
    return spec.accepts_extra_attrs or any(
        re.search(r"\bAny\b", p.type or "Any") for p in spec.props
    )


def component_code(spec: ComponentSpec) -> str:
    """The module source for the component."""
    template = spec.template or default_template(spec)
    doc = spec.doc or f"Render the {spec.name} component."
    imports = []
    if spec.kind == "dataclass":
        imports.append("from dataclasses import dataclass, field")
    imports.append("from string.templatelib import Template")
    if _needs_any(spec):
        imports.append("from typing import Any")
    header = f'"""The {spec.name} component."""\n\n' + "\n".join(imports) + "\n\n\n"
    if spec.kind == "dataclass":
        names = {p.name for p in spec.props} | ({"children"} if spec.accepts_children else set())
        body = _self_template(template, names)
        fields = [f"    {_param(p)}" for p in spec.props]
        if spec.accepts_children:
            fields.append('    children: Template = field(default_factory=lambda: t"")')
        lines = [
            "@dataclass(kw_only=True)",
            f"class {spec.name}:",
            f'    """{doc}"""',
            "",
            *fields,
            "",
            "    def __call__(self) -> Template:",
            f"        return {body}",
        ]
        return header + "\n".join(lines) + "\n"
    _validate_template(template)
    params = [_param(p) for p in spec.props]
    if spec.accepts_children:
        params.append('children: Template = t""')
    if spec.accepts_extra_attrs:
        params.append("**attrs: Any")
    signature = (
        f"def {spec.name}(*, {', '.join(params)}) -> Template:"
        if params
        else (f"def {spec.name}() -> Template:")
    )
    if len(signature) > LINE_LIMIT:
        inner = "".join(f"    {p},\n" for p in params)
        signature = f"def {spec.name}(\n    *,\n{inner}) -> Template:"
    body = f'    """{doc}"""\n    return {_tstring(template)}\n'
    return header + signature + "\n" + body


def _sample_attr(prop: Prop) -> tuple[str, str | None]:
    """The attribute text for a required prop and, for strings, the text to look for."""
    base = (prop.type or "str").split("|")[0].split("[")[0].strip()
    attribute = prop.name.replace("_", "-")
    if base == "str":
        sample = f"Sample {prop.name.replace('_', ' ')}"
        return f'{attribute}="{sample}"', sample
    return f"{attribute}={_SAMPLES.get(base, '{None}')}", None


def module_name(path: str) -> str:
    """`src/app/components/card.py` -> `app.components.card`."""
    text = path.removesuffix(".py").removeprefix("./")
    text = text.removeprefix("src/")
    return text.replace("/", ".").removesuffix(".__init__")


def component_test_code(spec: ComponentSpec, path: str) -> str:
    """A pytest module that renders the component with tdom's `html()`."""
    snake = snake_case(spec.name)
    required = [p for p in spec.props if p.default is None and not p.injected]
    attrs: list[str] = []
    expected: list[str] = []
    for prop in required:
        attribute, sample = _sample_attr(prop)
        attrs.append(attribute)
        if sample:
            expected.append(sample)
    opening = " ".join([f"<{{{spec.name}}}", *attrs])
    lines = [
        f'"""Tests for the {spec.name} component."""',
        "",
        "from tdom import html",
        "",
        f"from {module_name(path)} import {spec.name}",
        "",
        "",
        f"def test_{snake}_renders() -> None:",
        f"    result = html({_tstring(opening + ' />')})",
    ]
    if expected:
        lines += [f"    assert {text!r} in result" for text in expected]
    else:
        lines.append('    assert result.startswith("<")')
    if spec.accepts_children:
        children_open = opening + ">"
        lines += [
            "",
            "",
            f"def test_{snake}_renders_its_children() -> None:",
            f"    result = html({_tstring(children_open + '<p>Inside</p></{' + spec.name + '}>')})",
            '    assert "<p>Inside</p>" in result',
        ]
    return "\n".join(lines) + "\n"


def scaffold(spec: ComponentSpec) -> ComponentScaffold:
    """The component module and its test for a spec.

    Raises:
        ValueError: The spec cannot become valid code (bad names, a template that is not
            a t-string body, a dataclass with extra attributes).
    """
    _check_spec(spec)
    snake = snake_case(spec.name)
    path = spec.path or f"components/{snake}.py"
    return ComponentScaffold(
        path=path,
        code=component_code(spec),
        test_path=f"tests/test_{snake}.py",
        test=component_test_code(spec, path),
    )
