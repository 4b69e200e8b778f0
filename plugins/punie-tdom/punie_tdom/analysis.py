"""A static model of one module's tdom code: imports, components, templates, html() calls.

Built with one libcst visitor pass (no matchers and no metadata: both are slow to import or
resolve); positions are resolved only when a rule reports something. Templates are parsed
the way tdom 0.1.20 parses them: interpolations become placeholders and the text goes
through `html.parser.HTMLParser`, so tag structure, component tags and their attributes
are known exactly as tdom will see them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal

import libcst as cst

from punie_core import (
    Import,
    ParamKind,
    ParsedModule,
    decorator_names,
    dotted,
    import_bindings,
    parameters,
    parse_module,
    walk,
)
from punie_core import Param as BaseParam

TEMPLATE_TYPES = frozenset({"Template", "ScopedTemplate"})
"""Return annotations (last dotted segment) that say "this is a component's result"."""

CALLABLE_TYPES = frozenset({"Callable", "ComponentObject"})
"""Return annotations of factory components (they return a zero-argument callable)."""

HTML_FUNCTIONS = frozenset(
    {
        ("tdom", "html"),
        ("tdom", "svg"),
        ("tdom.processor", "html"),
        ("tdom.processor", "svg"),
        ("tdom_svcs", "html"),
        ("tdom_svcs.processor", "html"),
    }
)
"""The functions that render a Template to a `str`."""

TDOM_MODULES = frozenset({"tdom", "tdom_svcs", "tdom.processor", "tdom_svcs.processor"})

REMOVED_API = frozenset({"Node", "Element", "Fragment", "Text", "Comment", "DocumentType"})
"""Names tdom 0.1.15 removed (components return Templates, not nodes)."""

VOID_ELEMENTS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
"""Elements tdom closes by itself (tdom/htmlspec.py)."""

DATACLASS_DECORATORS = frozenset({"dataclass", "define", "frozen", "mutable", "attrs"})

PLACEHOLDER = re.compile(r"punieph(\d+)x")


def placeholder(index: int) -> str:
    """The stand-in for interpolation `index` while a template's HTML is parsed."""
    return f"punieph{index}x"


def kebab_to_snake(name: str) -> str:
    """How tdom turns an attribute name into a parameter name (`data-id` -> `data_id`)."""
    return name.replace("-", "_").lower()


def last_segment(annotation: str | None) -> str:
    """`Template` for `string.templatelib.Template` or `t.Template`; '' for None."""
    if not annotation:
        return ""
    base = annotation.split("[", 1)[0].strip().strip("\"'")
    return base.rsplit(".", 1)[-1]


# ---------------------------------------------------------------------------------------------
# Definitions.


class Param(BaseParam):
    """A parameter of a component callable (or a dataclass field)."""

    @property
    def injected(self) -> bool:
        return last_segment(self.annotation) == "Inject"


@dataclass
class Definition:
    """A top-level function or class that is, or could be, a component."""

    name: str
    kind: Literal["function", "dataclass", "class"]
    node: cst.FunctionDef | cst.ClassDef
    params: list[Param]
    complete: bool
    returns: str | None
    return_values: list[cst.BaseExpression]
    has_call: bool
    call_node: cst.FunctionDef | None

    @property
    def doc(self) -> str:
        """The docstring's first line (computed on demand: it evaluates a literal)."""
        return _docstring(self.node)

    @property
    def named_params(self) -> set[str]:
        return {p.name for p in self.params if p.named}

    @property
    def required_named(self) -> set[str]:
        return {p.name for p in self.params if p.named and not p.has_default}

    @property
    def positional_problems(self) -> list[Param]:
        """Parameters that make tdom refuse the component (required positional-only, *args)."""
        return [
            p
            for p in self.params
            if (p.kind == "positional_only" and not p.has_default) or p.kind == "var_positional"
        ]

    @property
    def accepts_kwargs(self) -> bool:
        return any(p.kind == "var_keyword" for p in self.params)

    @property
    def accepts_children(self) -> bool:
        return "children" in self.named_params

    @property
    def returns_template_by_shape(self) -> bool:
        """Annotated `-> Template` or returning a t-string: a component by its shape."""
        if last_segment(self.returns) in TEMPLATE_TYPES:
            return True
        return any(isinstance(v, cst.TemplatedString) for v in self.return_values)


# ---------------------------------------------------------------------------------------------
# Templates.


@dataclass
class TagUse:
    """A component used in a template: `<{Card} title="x">...</{Card}>`."""

    template: cst.TemplatedString
    callee: cst.BaseExpression
    callee_code: str
    attrs: list[tuple[str, str | None]]
    self_closing: bool
    has_children: bool = False
    offset: tuple[int, int] = (0, 0)
    scopes: tuple[Any, ...] = ()  # the enclosing functions, innermost last

    @property
    def shadowed(self) -> frozenset[str]:
        """Names bound by the enclosing functions (they hide module-level components)."""
        return scope_names(self.scopes)

    @property
    def spread(self) -> bool:
        """True when an attribute is a spread `{attrs}` (props then cannot be known)."""
        return any(PLACEHOLDER.fullmatch(name) for name, _ in self.attrs)


@dataclass
class TemplateProblem:
    """A structural problem tdom's parser raises on, at an offset inside a template."""

    rule: str
    message: str
    template: cst.TemplatedString
    offset: tuple[int, int]


class _TemplateParser(HTMLParser):
    """tdom's parse, statically: the stack of open elements and components (tdom/parser.py)."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.codes = codes
        self.stack: list[tuple[str, int | None, tuple[int, int], TagUse | None]] = []
        self.uses: list[TagUse] = []
        self.problems: list[tuple[str, str, tuple[int, int]]] = []
        self.in_tags: set[int] = set()  # interpolations inside tags (names, attributes)

    def _component_index(self, tag: str) -> int | None | Literal[False]:
        """The interpolation index of a component tag; None for an element; False if malformed."""
        found = PLACEHOLDER.findall(tag)
        if not found:
            return None
        if len(found) != 1 or not PLACEHOLDER.fullmatch(tag):
            return False
        return int(found[0])

    def _code(self, index: int) -> str:
        return self.codes[index] if 0 <= index < len(self.codes) else "?"

    def _attribute_problems(self, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            names = PLACEHOLDER.findall(name)
            if not names:
                continue
            if value is not None:
                self.problems.append(
                    (
                        "TDOM013",
                        "an attribute name cannot contain an interpolation when its value "
                        "is also interpolated (tdom raises ValueError)",
                        self.getpos(),
                    )
                )
            elif len(names) != 1 or not PLACEHOLDER.fullmatch(name):
                self.problems.append(
                    (
                        "TDOM013",
                        "a spread attribute must be exactly one interpolation, like "
                        "`<div {attrs}>` (tdom raises ValueError)",
                        self.getpos(),
                    )
                )

    def _open(self, tag: str, attrs: list[tuple[str, str | None]], closing: bool) -> None:
        self._mark_children()
        self._attribute_problems(attrs)
        for text in [tag, *(n for n, _ in attrs), *(v for _, v in attrs if v)]:
            self.in_tags.update(int(i) for i in PLACEHOLDER.findall(text))
        index = self._component_index(tag)
        position = self.getpos()
        if index is False:
            self.problems.append(
                (
                    "TDOM006",
                    "a component tag must be exactly one interpolation, like `<{Card}>`",
                    position,
                )
            )
            return
        if index is None:
            if not closing and tag not in VOID_ELEMENTS:
                self.stack.append((tag, None, position, None))
            return
        use = TagUse(
            template=None,  # type: ignore[arg-type]  # set by the caller
            callee=None,  # type: ignore[arg-type]
            callee_code=self._code(index),
            attrs=list(attrs),
            self_closing=closing,
            offset=position,
        )
        use.callee = index  # type: ignore[assignment]  # replaced by the node by the caller
        self.uses.append(use)
        if not closing:
            self.stack.append((tag, index, position, use))

    def _mark_children(self) -> None:
        if self.stack and self.stack[-1][3] is not None:
            self.stack[-1][3].has_children = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, closing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, closing=True)

    def handle_endtag(self, tag: str) -> None:
        position = self.getpos()
        self.in_tags.update(int(i) for i in PLACEHOLDER.findall(tag))
        index = self._component_index(tag)
        shown = f"</{{{self._code(index)}}}>" if isinstance(index, int) else f"</{tag}>"
        if not self.stack:
            self.problems.append(
                (
                    "TDOM007",
                    f"closing tag {shown} has no opening tag (tdom raises ValueError)",
                    position,
                )
            )
            return
        open_tag, open_index, _, use = self.stack.pop()
        opened = f"<{{{self._code(open_index)}}}>" if open_index is not None else f"<{open_tag}>"
        if open_index is None:
            if index is not None:
                self.problems.append(
                    ("TDOM006", f"{opened} is closed by the component tag {shown}", position)
                )
            elif tag != open_tag:
                self.problems.append(
                    (
                        "TDOM006",
                        f"{opened} is closed by {shown} (tdom raises ValueError: "
                        "mismatched closing tag)",
                        position,
                    )
                )
            return
        if index is None or index is False:
            self.problems.append(
                (
                    "TDOM006",
                    f"component {opened} is closed by {shown}; close it with "
                    f"</{{{self._code(open_index)}}}>",
                    position,
                )
            )
        elif self._code(index) != self._code(open_index):
            self.problems.append(
                (
                    "TDOM006",
                    f"component {opened} is closed by {shown}: tdom raises TypeError "
                    "(start and end tag must be the same callable)",
                    position,
                )
            )

    def handle_data(self, data: str) -> None:
        if data.strip():
            self._mark_children()

    def finish(self) -> None:
        self.close()
        for tag, index, position, _ in self.stack:
            shown = f"<{{{self._code(index)}}}>" if index is not None else f"<{tag}>"
            close = f"</{{{self._code(index)}}}>" if index is not None else f"</{tag}>"
            self.problems.append(
                (
                    "TDOM007",
                    f"{shown} is never closed; add {close} or make it self-closing "
                    "(tdom raises ValueError: unclosed tags remain)",
                    position,
                )
            )


@dataclass
class TemplateText:
    """A template's text with placeholders, and how to map a data offset back to the source."""

    data: str
    codes: list[str]
    expressions: list[cst.TemplatedStringExpression]
    # (data_start, raw_start, is_text) per part, and the raw source text of the template body.
    segments: list[tuple[int, int, bool]]
    raw: str

    def source_offset(self, line: int, column: int) -> tuple[int, int]:
        """(line delta, column) in the source for HTMLParser's (line, column) in `data`."""
        lines = self.data.split("\n")
        offset = sum(len(text) + 1 for text in lines[: line - 1]) + column
        raw_offset = 0
        for data_start, raw_start, is_text in self.segments:
            if data_start > offset:
                break
            raw_offset = raw_start + (offset - data_start if is_text else 0)
        before = self.raw[:raw_offset]
        delta = before.count("\n")
        col = raw_offset - (before.rfind("\n") + 1) if delta else raw_offset
        return delta, col


def template_text(module: cst.Module, node: cst.TemplatedString) -> TemplateText:
    """The HTML tdom parses for a t-string: text parts verbatim, `{...}` as placeholders."""
    data: list[str] = []
    raw: list[str] = []
    codes: list[str] = []
    expressions: list[cst.TemplatedStringExpression] = []
    segments: list[tuple[int, int, bool]] = []
    data_len = raw_len = 0
    for part in node.parts:
        if isinstance(part, cst.TemplatedStringText):
            text = part.value.replace("{{", "{").replace("}}", "}")
            text = text.replace('\\"', '"').replace("\\'", "'")
            segments.append((data_len, raw_len, True))
            data.append(text)
            raw.append(part.value)
            data_len += len(text)
            raw_len += len(part.value)
        elif isinstance(part, cst.TemplatedStringExpression):
            code = module.code_for_node(part.expression).strip()
            token = placeholder(len(codes))
            codes.append(code)
            expressions.append(part)
            source = module.code_for_node(part)
            segments.append((data_len, raw_len, False))
            data.append(token)
            raw.append(source)
            data_len += len(token)
            raw_len += len(source)
    return TemplateText("".join(data), codes, expressions, segments, "".join(raw))


FRAGMENT = re.compile(r"<>|</>")
TAG_START = re.compile(r"<[A-Za-z/!]|<punieph")


def parse_template(
    module: cst.Module, node: cst.TemplatedString
) -> tuple[list[TagUse], list[TemplateProblem], set[int]]:
    """Component uses, structural problems and in-tag interpolations of one template.

    Only the first structural problem is kept: tdom raises there, and what follows is
    usually a consequence of it. The third item holds the indices of interpolations that
    sit inside tags (component callables, attribute names and values) rather than content.
    """
    text = template_text(module, node)
    uses: list[TagUse] = []
    problems: list[TemplateProblem] = []
    prefix = len(node.start)

    def where(position: tuple[int, int]) -> tuple[int, int]:
        delta, column = text.source_offset(*position)
        return delta, column + (prefix if delta == 0 else 0)

    fragments = list(FRAGMENT.finditer(text.data))
    if any(match.group() == "<>" for match in fragments):
        fragments = [match for match in fragments if match.group() == "<>"]
    for match in fragments:
        before = text.data[: match.start()]
        line = before.count("\n") + 1
        column = match.start() - (before.rfind("\n") + 1)
        problems.append(
            TemplateProblem(
                "TDOM008",
                "anonymous fragments `<>...</>` are not supported by tdom (they render as "
                "escaped text); return the sibling elements directly, a template may have "
                "several roots",
                node,
                where((line, column)),
            )
        )
    if not TAG_START.search(text.data):
        return uses, problems, set()
    parser = _TemplateParser(text.codes)
    try:
        parser.feed(text.data)
        parser.finish()
    except Exception:  # HTMLParser is tolerant; anything else is not ours to report
        return uses, problems, set()
    for use in parser.uses:
        index = use.callee  # type: ignore[assignment]
        use.template = node
        use.callee = text.expressions[index].expression  # type: ignore[index]
        use.offset = where(use.offset)
        uses.append(use)
    structural = [p for p in parser.problems if p[0] in ("TDOM006", "TDOM007")][:1]
    for rule, message, position in parser.problems:
        if rule in ("TDOM006", "TDOM007") and (rule, message, position) not in structural:
            continue
        problems.append(TemplateProblem(rule, message, node, where(position)))
    return uses, problems, parser.in_tags


# ---------------------------------------------------------------------------------------------
# The module model.


@dataclass
class HtmlCall:
    """A call of tdom's `html()`/`svg()` (or tdom-svcs's `html()`)."""

    node: cst.Call
    in_template: bool
    value_position: bool


@dataclass
class ModuleModel(ParsedModule):
    """Everything the tdom rules need from one module."""

    imports: dict[str, Import] = field(default_factory=dict)
    definitions: dict[str, Definition] = field(default_factory=dict)
    templates: list[cst.TemplatedString] = field(default_factory=list)
    tag_uses: list[TagUse] = field(default_factory=list)
    problems: list[TemplateProblem] = field(default_factory=list)
    html_calls: list[HtmlCall] = field(default_factory=list)
    template_fstrings: list[cst.BaseExpression] = field(default_factory=list)
    removed_imports: list[tuple[cst.CSTNode, str]] = field(default_factory=list)

    def offset_position(self, node: cst.CSTNode, offset: tuple[int, int]) -> tuple[int, int]:
        """The position of a line/column offset inside a node (a template)."""
        line, column = self.position(node)
        delta, col = offset
        return (line + delta, col + 1) if delta else (line, column + col)

    def is_html_function(self, func: cst.BaseExpression, shadowed: frozenset[str]) -> bool:
        """True when `func` names tdom's html/svg here (through imports; not shadowed)."""
        if isinstance(func, cst.Name):
            if func.value in shadowed:
                return False
            imported = self.imports.get(func.value)
            return bool(imported and (imported.module, imported.name) in HTML_FUNCTIONS)
        if isinstance(func, cst.Attribute):
            base = dotted(func.value)
            if base is None or base.split(".", 1)[0] in shadowed:
                return False
            imported = self.imports.get(base.split(".", 1)[0])
            if imported is None:
                return False
            full = (
                imported.module if imported.name is None else f"{imported.module}.{imported.name}"
            )
            rest = base.split(".", 1)[1] if "." in base else ""
            module = f"{full}.{rest}" if rest else full
            return (module, func.attr.value) in HTML_FUNCTIONS
        return False

    @property
    def uses_tdom(self) -> bool:
        return any(i.module.split(".")[0] in ("tdom", "tdom_svcs") for i in self.imports.values())


def value_positions(node: cst.BaseExpression) -> Iterator[cst.BaseExpression]:
    """The sub-expressions whose value becomes the interpolated value (or returned value).

    `cond and X`, `X if c else Y`, `[X for ...]`, `(X, Y)`: an f-string in those places
    is what tdom receives; inside a call argument it is that call's business.
    """
    if isinstance(node, cst.IfExp):
        yield from value_positions(node.body)
        yield from value_positions(node.orelse)
    elif isinstance(node, cst.BooleanOperation):
        yield from value_positions(node.left)
        yield from value_positions(node.right)
    elif isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        for element in node.elements:
            if isinstance(element, cst.Element):
                yield from value_positions(element.value)
    elif isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
        yield from value_positions(node.elt)
    else:
        yield node


def is_fstring_value(node: cst.BaseExpression) -> bool:
    """An f-string, or a concatenation containing one."""
    if isinstance(node, cst.FormattedString):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return is_fstring_value(node.left) or is_fstring_value(node.right)
    return False


def is_join_of_fstrings(node: cst.BaseExpression) -> bool:
    """`"".join(f"..." for x in xs)`: joined markup that a template would escape."""
    from punie_tdom.fixes import is_join_of_fstrings as check

    return check(node)


def is_plain_string(node: cst.BaseExpression) -> bool:
    """A str literal (or concatenation of them) without any f- or t-part."""
    if isinstance(node, cst.SimpleString):
        return "b" not in node.prefix.lower()
    if isinstance(node, cst.ConcatenatedString):
        return is_plain_string(node.left) and is_plain_string(node.right)
    return False


def function_params(
    node: cst.FunctionDef, module: cst.Module, skip_self: bool = False
) -> list[Param]:
    """Parameters of a def, by kind (tdom's `CallableInfo.from_callable`)."""
    params = parameters(node.params, module, Param)
    if skip_self and params and params[0].kind in ("positional_only", "positional"):
        params = params[1:]
    return params


def _docstring(node: cst.FunctionDef | cst.ClassDef) -> str:
    body = node.body
    if isinstance(body, cst.IndentedBlock) and body.body:
        first = body.body[0]
        if isinstance(first, cst.SimpleStatementLine) and first.body:
            expr = first.body[0]
            if isinstance(expr, cst.Expr) and isinstance(expr.value, cst.SimpleString):
                value = expr.value.evaluated_value
                if isinstance(value, str):
                    return value.strip().split("\n", 1)[0]
    return ""


def _returns(node: cst.FunctionDef) -> list[cst.BaseExpression]:
    """Values of the def's own `return` statements (not those of nested defs or classes)."""
    found: list[cst.BaseExpression] = []

    class Returns:
        def visit_FunctionDef(self, inner: cst.FunctionDef) -> bool:
            return inner is node

        def visit_ClassDef(self, inner: cst.ClassDef) -> bool:
            return False

        def visit_Lambda(self, inner: cst.Lambda) -> bool:
            return False

        def visit_Return(self, ret: cst.Return) -> None:
            if ret.value is not None:
                found.append(ret.value)

    walk(node, Returns())
    return found


def _is_classvar(annotation: str | None) -> bool:
    return last_segment(annotation) in ("ClassVar", "KW_ONLY")


def _field_default(
    value: cst.BaseExpression | None, module: cst.Module
) -> tuple[bool, str | None, bool]:
    """(in __init__, default source or None, has default) for a dataclass field's value."""
    if value is None:
        return True, None, False
    if isinstance(value, cst.Call) and (dotted(value.func) or "").rsplit(".", 1)[-1] == "field":
        init = True
        default: str | None = None
        has = False
        for arg in value.args:
            key = arg.keyword.value if arg.keyword else None
            if key == "init" and isinstance(arg.value, cst.Name) and arg.value.value == "False":
                init = False
            if key in ("default", "default_factory"):
                has = True
                default = module.code_for_node(arg.value)
                if key == "default_factory":
                    default = f"{default}()"
        return init, default, has
    return True, module.code_for_node(value), True


def class_definition(node: cst.ClassDef, module: cst.Module) -> Definition:
    """A class as a component: a dataclass's fields or `__init__`'s params, and `__call__`."""
    decorators = decorator_names(node)
    is_dataclass = any(d in DATACLASS_DECORATORS for d in decorators)
    methods = {
        stmt.name.value: stmt
        for stmt in (node.body.body if isinstance(node.body, cst.IndentedBlock) else [])
        if isinstance(stmt, cst.FunctionDef)
    }
    bases = [dotted(b.value) or "?" for b in node.bases]
    plain_bases = all(b.rsplit(".", 1)[-1] in ("object", "Generic", "Protocol") for b in bases)
    params: list[Param] = []
    complete = plain_bases
    if "__init__" in methods:
        params = function_params(methods["__init__"], module, skip_self=True)
        complete = True
    elif is_dataclass:
        kw_only = False
        for stmt in node.body.body if isinstance(node.body, cst.IndentedBlock) else []:
            if not isinstance(stmt, cst.SimpleStatementLine):
                continue
            for small in stmt.body:
                if not isinstance(small, cst.AnnAssign) or not isinstance(small.target, cst.Name):
                    continue
                annotation = module.code_for_node(small.annotation.annotation)
                if last_segment(annotation) == "KW_ONLY":
                    kw_only = True
                    continue
                if _is_classvar(annotation):
                    continue
                init, default, has = _field_default(small.value, module)
                if not init:
                    continue
                kind: ParamKind = "keyword_only" if kw_only else "positional"
                params.append(
                    Param(small.target.value, kind, annotation, default if has else None, small)
                )
    call = methods.get("__call__")
    returns = None
    values: list[cst.BaseExpression] = []
    if call is not None:
        returns = module.code_for_node(call.returns.annotation) if call.returns else None
        values = _returns(call)
    return Definition(
        name=node.name.value,
        kind="dataclass" if is_dataclass else "class",
        node=node,
        params=params,
        complete=complete,
        returns=returns,
        return_values=values,
        has_call=call is not None,
        call_node=call,
    )


def function_definition(node: cst.FunctionDef, module: cst.Module) -> Definition:
    """A function as a component: its parameters and its return annotation and values."""
    return Definition(
        name=node.name.value,
        kind="function",
        node=node,
        params=function_params(node, module),
        complete=True,
        returns=module.code_for_node(node.returns.annotation) if node.returns else None,
        return_values=_returns(node),
        has_call=True,
        call_node=node,
    )


_scope_cache: dict[int, tuple[Any, frozenset[str]]] = {}


def scope_names(functions: tuple[Any, ...]) -> frozenset[str]:
    """The names bound inside any of `functions` (cached per function node)."""
    names: set[str] = set()
    for function in functions:
        cached = _scope_cache.get(id(function))
        if cached is None or cached[0] is not function:
            if len(_scope_cache) > 50_000:
                _scope_cache.clear()
            cached = (function, local_names(function))
            _scope_cache[id(function)] = cached
        names |= cached[1]
    return frozenset(names)


def local_names(node: cst.FunctionDef | cst.Lambda) -> frozenset[str]:
    """Names bound inside a function (parameters, assignments, imports): they shadow globals."""
    names: set[str] = set()
    params = node.params
    for param in [*params.posonly_params, *params.params, *params.kwonly_params]:
        names.add(param.name.value)
    for extra in (params.star_arg, params.star_kwarg):
        if isinstance(extra, cst.Param):
            names.add(extra.name.value)
    if isinstance(node, cst.Lambda):
        return frozenset(names)

    class Binders:
        def visit_FunctionDef(self, inner: cst.FunctionDef) -> bool:
            if inner is node:
                return True
            names.add(inner.name.value)
            return False

        def visit_ClassDef(self, inner: cst.ClassDef) -> bool:
            names.add(inner.name.value)
            return False

        def visit_AssignTarget(self, target: cst.AssignTarget) -> None:
            names.update(_target_names(target.target))

        def visit_AnnAssign(self, assign: cst.AnnAssign) -> None:
            names.update(_target_names(assign.target))

        def visit_For(self, loop: cst.For) -> None:
            names.update(_target_names(loop.target))

        def visit_AsName(self, alias: cst.AsName) -> None:
            names.update(_target_names(alias.name))

        def visit_ImportAlias(self, alias: cst.ImportAlias) -> None:
            if alias.asname is None:
                name = dotted(alias.name)
                if name:
                    names.add(name.split(".", 1)[0])

    walk(node, Binders())
    return frozenset(names)


def _target_names(node: cst.BaseExpression | cst.CSTNode) -> set[str]:
    if isinstance(node, cst.Name):
        return {node.value}
    if isinstance(node, (cst.Tuple, cst.List)):
        found: set[str] = set()
        for element in node.elements:
            found |= _target_names(element.value)
        return found
    if isinstance(node, cst.StarredElement):
        return _target_names(node.value)
    return set()


class _Builder:
    """One pass over the module filling a `ModuleModel` (driven by `punie_core.walk`)."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self.functions: list[cst.FunctionDef | cst.Lambda] = []
        self.template_depth = 0
        self.value_nodes: list[set[int]] = []
        self.depth = 0
        self.in_tag_expressions: set[int] = set()

    # scopes -------------------------------------------------------------------------------

    def shadowed(self) -> frozenset[str]:
        return scope_names(tuple(self.functions))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self.functions and self.depth == 0:
            self.model.definitions[node.name.value] = function_definition(node, self.model.module)
        self.functions.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.functions.append(node)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.functions.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        if not self.functions and self.depth == 0:
            self.model.definitions[node.name.value] = class_definition(node, self.model.module)
        self.depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.depth -= 1

    # imports ------------------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        for local, imported, rebinds in import_bindings(node):
            if rebinds:
                self.model.imports[local] = imported
            else:
                self.model.imports.setdefault(local, imported)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        for local, imported, _ in import_bindings(node):
            self.model.imports[local] = imported
            if (
                imported.level == 0
                and imported.module in TDOM_MODULES
                and imported.name in REMOVED_API
            ):
                self.model.removed_imports.append((imported.node, imported.name))

    # templates ----------------------------------------------------------------------------

    def visit_TemplatedString(self, node: cst.TemplatedString) -> None:
        self.model.templates.append(node)
        uses, problems, in_tags = parse_template(self.model.module, node)
        expressions = [p for p in node.parts if isinstance(p, cst.TemplatedStringExpression)]
        for index in in_tags:
            if index < len(expressions):
                self.in_tag_expressions.add(id(expressions[index]))
        scopes = tuple(self.functions)
        for use in uses:
            use.scopes = scopes
        self.model.tag_uses.extend(uses)
        self.model.problems.extend(problems)

    def visit_TemplatedStringExpression(self, node: cst.TemplatedStringExpression) -> None:
        self.template_depth += 1
        values: set[int] = set()
        if id(node) in self.in_tag_expressions:
            # An attribute value (a class list of str, a title) is not content: f-strings
            # and strings are what belongs there.
            self.value_nodes.append(values)
            return
        for value in value_positions(node.expression):
            values.add(id(value))
            if is_fstring_value(value) or is_join_of_fstrings(value):
                self.model.template_fstrings.append(value)
        self.value_nodes.append(values)

    def leave_TemplatedStringExpression(self, original_node: cst.TemplatedStringExpression) -> None:
        self.template_depth -= 1
        self.value_nodes.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if not self.model.is_html_function(node.func, frozenset()):
            return  # cheap test first; scopes are computed only for candidates
        if self.model.is_html_function(node.func, self.shadowed()):
            in_value = bool(self.value_nodes) and id(node) in self.value_nodes[-1]
            self.model.html_calls.append(HtmlCall(node, self.template_depth > 0, in_value))


def build_model(path: str, source: str) -> ModuleModel:
    """Parse `source` and build its model.

    Raises:
        libcst.ParserSyntaxError: The source does not parse (the syntax gate reports it).
    """
    module = parse_module(source)
    model = ModuleModel(path=path, source=source, module=module)
    walk(module, _Builder(model))
    return model
