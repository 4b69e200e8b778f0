"""A static model of one module's tdom code: imports, components, templates, html() calls.

Built with one libcst visitor pass (no matchers and no metadata: both are slow to import or
resolve); positions are resolved only when a rule reports something. Templates are parsed
the way tdom 0.1.20 parses them: interpolations become placeholders and the text goes
through `html.parser.HTMLParser`, so tag structure, component tags and their attributes
are known exactly as tdom will see them.
"""

from __future__ import annotations

import os
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

REMOVED: dict[tuple[str, str | None], str] = {
    **{("tdom", name): "0.1.15" for name in REMOVED_API},
    ("tdom.nodes", None): "0.1.15",
    ("tdom", "nodes"): "0.1.15",
    ("tdom", "classnames"): "0.1.14",
    ("tdom.classnames", None): "0.1.14",
    ("tdom.parser", "parse_html"): "0.1.12",
}
"""(module, name or None for the module itself) -> the tdom version that removed it."""

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

INJECTED_TYPES = frozenset({"Inject", "Resource"})
"""Props tdom-svcs fills from the container when it renders with one."""

SINK_METHODS = frozenset({"TemplateParser.parse"})
"""tdom's own parser entry point (its tests parse templates with it directly)."""

RCDATA_ELEMENTS = frozenset({"title", "textarea"})
"""Elements whose content is text, not markup (the RCDATA content model)."""

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
        """Annotated for tdom-svcs injection: `Inject[T]`, `Resource[T]` (svcs-di), also
        inside `InitVar[...]` (a dataclass init-only field)."""
        annotation = (self.annotation or "").strip()
        if last_segment(annotation) == "InitVar" and annotation.endswith("]"):
            annotation = annotation.split("[", 1)[1][:-1]
        return last_segment(annotation) in INJECTED_TYPES


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
    qualname: str = ""
    """Unique in its module: the name, or `outer.name#n` for a def inside a function."""

    def __post_init__(self) -> None:
        if not self.qualname:
            self.qualname = self.name

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
    owner: Any = None  # the class whose method holds the template (for `self.Component`)

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

    def _shown(self, text: str) -> str:
        """Template text with its placeholders shown as the `{expressions}` they stand for."""
        return PLACEHOLDER.sub(lambda m: "{" + self._code(int(m.group(1))) + "}", text)

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
        if tag in RCDATA_ELEMENTS:
            # Python 3.14's parser (the one tdom uses) reads <title>/<textarea> content as
            # text up to the closing tag; older parsers would see tags in it.
            self.set_cdata_mode(tag)

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
        rest = self.rawdata[self._pos :] if hasattr(self, "_pos") else self.rawdata
        if re.match(r"\s*<[A-Za-z]", rest) and ">" not in rest:
            # `<div a='` never ends: tdom's parser is left with an incomplete start tag.
            self.problems.append(
                (
                    "TDOM007",
                    f"the tag `{self._shown(rest.strip()[:40])}` is never completed (a quote "
                    "or `>` is "
                    "missing; tdom raises ValueError)",
                    self.getpos(),
                )
            )
            return
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


def template_text(module: cst.Module, node: cst.TemplatedString, first: int = 0) -> TemplateText:
    """The HTML tdom parses for a t-string: text parts verbatim, `{...}` as placeholders.

    Args:
        first: The number of the first interpolation (a literal joined to earlier ones).
    """
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
            token = placeholder(first + len(codes))
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
    module: cst.Module, node: cst.TemplatedString | list[cst.TemplatedString]
) -> tuple[list[TagUse], list[TemplateProblem], set[int]]:
    """Component uses, structural problems and in-tag interpolations of one template.

    `node` may be the literals Python joins into one Template (`t"<div>" t"</div>"`): they
    are parsed as the one template tdom receives, and each finding points into the literal
    holding it.

    Only the first structural problem is kept: tdom raises there, and what follows is
    usually a consequence of it. The third item holds the indices of interpolations that
    sit inside tags (component callables, attribute names and values) rather than content.
    """
    nodes = node if isinstance(node, list) else [node]
    texts: list[TemplateText] = []
    starts: list[int] = []
    first = 0
    length = 0
    for literal in nodes:
        text = template_text(module, literal, first)
        texts.append(text)
        starts.append(length)
        first += len(text.codes)
        length += len(text.data)
    data = "".join(t.data for t in texts)
    codes = [c for t in texts for c in t.codes]
    expressions = [e for t in texts for e in t.expressions]
    uses: list[TagUse] = []
    problems: list[TemplateProblem] = []

    def locate_offset(offset: int) -> tuple[cst.TemplatedString, tuple[int, int]]:
        index = max(i for i, start in enumerate(starts) if start <= offset)
        while index > 0 and offset == starts[index] and not texts[index].data:
            index -= 1
        local = offset - starts[index]
        piece = texts[index].data
        before = piece[:local]
        line = before.count("\n") + 1
        column = local - (before.rfind("\n") + 1)
        delta, col = texts[index].source_offset(line, column)
        prefix = len(nodes[index].start)
        return nodes[index], (delta, col + (prefix if delta == 0 else 0))

    def locate(position: tuple[int, int]) -> tuple[cst.TemplatedString, tuple[int, int]]:
        line, column = position
        lines = data.split("\n")
        offset = sum(len(text) + 1 for text in lines[: line - 1]) + column
        return locate_offset(min(offset, max(len(data) - 1, 0)))

    fragments = list(FRAGMENT.finditer(data))
    if any(match.group() == "<>" for match in fragments):
        fragments = [match for match in fragments if match.group() == "<>"]
    for match in fragments:
        where_node, offset = locate_offset(match.start())
        problems.append(
            TemplateProblem(
                "TDOM008",
                "anonymous fragments `<>...</>` are not supported by tdom (they render as "
                "escaped text); return the sibling elements directly, a template may have "
                "several roots",
                where_node,
                offset,
            )
        )
    if not TAG_START.search(data):
        return uses, problems, set()
    parser = _TemplateParser(codes)
    try:
        parser.feed(data)
        parser.finish()
    except Exception:  # HTMLParser is tolerant; anything else is not ours to report
        return uses, problems, set()
    for use in parser.uses:
        index = use.callee  # type: ignore[assignment]
        use.template, use.offset = locate(use.offset)
        use.callee = expressions[index].expression  # type: ignore[index]
        uses.append(use)
    structural = [p for p in parser.problems if p[0] in ("TDOM006", "TDOM007")][:1]
    for rule, message, position in parser.problems:
        if rule in ("TDOM006", "TDOM007") and (rule, message, position) not in structural:
            continue
        where_node, offset = locate(position)
        problems.append(TemplateProblem(rule, message, where_node, offset))
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
    removed_imports: list[tuple[cst.CSTNode, str, str]] = field(default_factory=list)
    """(import node, what, the version that removed it) for each import of removed API."""
    local_definitions: dict[int, dict[str, Definition]] = field(default_factory=dict)
    """Defs and classes inside a function, by the id of that function's node."""
    group_of: dict[int, int] = field(default_factory=dict)
    """Literal id -> the id of the template it belongs to (itself, or the joined literals)."""
    documents: set[int] = field(default_factory=set)
    """Templates tdom parses whole: given to html()/svg()/the parser, directly or through a
    name assigned once, or a helper passing its parameter on."""
    rendered: set[int] = field(default_factory=set)
    """The documents html()/svg() render (the rest only reach tdom's parser)."""
    returned: dict[int, str] = field(default_factory=dict)
    """Template id -> qualname of the def (or class, for `__call__`) returning it."""
    renders_with_container: bool = False
    """The module calls tdom-svcs's html(..., container=...) (Inject[] props are injected)."""

    def is_document(self, template: cst.CSTNode, used: set[str] | None = None) -> bool:
        """True when tdom parses this template as a whole: passed to a renderer, or returned
        by a component that `used` (qualnames) says is used as one."""
        group = self.group_of.get(id(template), id(template))
        if group in self.documents:
            return True
        owner = self.returned.get(group)
        return owner is not None and used is not None and owner in used

    def is_rendered(self, template: cst.CSTNode, used: set[str] | None = None) -> bool:
        """True when html()/svg() render this template (not only tdom's parser)."""
        group = self.group_of.get(id(template), id(template))
        if group in self.rendered:
            return True
        owner = self.returned.get(group)
        return owner is not None and used is not None and owner in used

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
            return bool(imported and (self.absolute(imported), imported.name) in HTML_FUNCTIONS)
        if isinstance(func, cst.Attribute):
            base = dotted(func.value)
            if base is None or base.split(".", 1)[0] in shadowed:
                return False
            imported = self.imports.get(base.split(".", 1)[0])
            if imported is None:
                return False
            module_name = self.absolute(imported)
            full = module_name if imported.name is None else f"{module_name}.{imported.name}"
            rest = base.split(".", 1)[1] if "." in base else ""
            module = f"{full}.{rest}" if rest else full
            return (module, func.attr.value) in HTML_FUNCTIONS
        return False

    def absolute(self, imported: Import) -> str:
        """The absolute module of an import (`.processor` inside `tdom/` is `tdom.processor`:
        tdom's own modules import each other relatively)."""
        if not imported.level:
            return imported.module
        package = os.path.dirname(os.path.abspath(self.path))
        for _ in range(imported.level - 1):
            package = os.path.dirname(package)
        base = os.path.basename(package)
        return f"{base}.{imported.module}" if imported.module else base

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


def class_definition(node: cst.ClassDef, module: cst.Module, qualname: str = "") -> Definition:
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
        qualname=qualname,
    )


def function_definition(
    node: cst.FunctionDef, module: cst.Module, qualname: str = ""
) -> Definition:
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
        qualname=qualname,
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
        self.kinds: list[str] = []  # "def" / "class" / "lambda", innermost last
        self.classes: list[cst.ClassDef] = []
        self.qualnames: list[str] = []  # of the enclosing defs and classes
        self.counter = 0
        self.joined: set[int] = set()  # literals parsed as part of joined literals
        # (callee, renderer or parser, first argument, enclosing function, renders) per call
        self.calls: list[tuple[str, bool, cst.BaseExpression, int, bool]] = []
        self.helpers: set[str] = set()  # module defs passing their parameter to a renderer
        self.processors: set[str] = set()  # module names bound to objects tdom made
        self.rendering_helpers: set[str] = set()  # ... to html()/svg() (not only the parser)
        # (enclosing function id, name) -> values assigned; names also changed in place
        self.assigned: dict[tuple[int, str], list[cst.BaseExpression]] = {}
        self.augmented: set[tuple[int, str]] = set()

    def _scope_id(self) -> int:
        return id(self.functions[-1]) if self.functions else 0

    def _qualname(self, name: str) -> str:
        if not self.qualnames:
            return name
        self.counter += 1
        return f"{self.qualnames[-1]}.{name}#{self.counter}"

    def finish(self) -> None:
        """Decide which templates tdom parses whole, once every call is known."""
        for _ in range(2):  # a helper of a helper
            for callee, renderer, argument, scope, renders in self.calls:
                if renderer or callee in self.helpers:
                    self._document(argument, scope, renders or callee in self.rendering_helpers)

    # scopes -------------------------------------------------------------------------------

    def shadowed(self) -> frozenset[str]:
        return scope_names(tuple(self.functions))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        parent = self.kinds[-1] if self.kinds else None
        name = node.name.value
        if parent is None:
            self.model.definitions[name] = function_definition(node, self.model.module)
            qualname = name
        elif parent == "def":
            qualname = self._qualname(name)
            definition = function_definition(node, self.model.module, qualname)
            self.model.local_definitions.setdefault(id(self.functions[-1]), {})[name] = definition
        else:
            qualname = f"{self.qualnames[-1]}.{name}" if self.qualnames else name
        self.functions.append(node)
        self.kinds.append("def")
        self.qualnames.append(qualname)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()
        self.kinds.pop()
        self.qualnames.pop()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self.functions.append(node)
        self.kinds.append("lambda")

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self.functions.pop()
        self.kinds.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        parent = self.kinds[-1] if self.kinds else None
        name = node.name.value
        if parent is None:
            self.model.definitions[name] = class_definition(node, self.model.module)
            qualname = name
        elif parent == "def":
            qualname = self._qualname(name)
            definition = class_definition(node, self.model.module, qualname)
            self.model.local_definitions.setdefault(id(self.functions[-1]), {})[name] = definition
        else:
            qualname = f"{self.qualnames[-1]}.{name}" if self.qualnames else name
        self.depth += 1
        self.classes.append(node)
        self.kinds.append("class")
        self.qualnames.append(qualname)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.depth -= 1
        self.classes.pop()
        self.kinds.pop()
        self.qualnames.pop()

    # data flow ----------------------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        if not self.functions and isinstance(node.value, cst.Call):
            root = (dotted(node.value.func) or "").split(".", 1)[0]
            imported = self.model.imports.get(root)
            if imported is not None and self.model.absolute(imported).split(".")[0] == "tdom":
                for target in node.targets:
                    self.processors.update(_target_names(target.target))
        for target in node.targets:
            for name in _target_names(target.target):
                values = self.assigned.setdefault((self._scope_id(), name), [])
                values.append(node.value if isinstance(target.target, cst.Name) else None)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name):
            key = (self._scope_id(), node.target.value)
            self.assigned.setdefault(key, []).append(node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        for name in _target_names(node.target):
            self.augmented.add((self._scope_id(), name))

    def visit_Return(self, node: cst.Return) -> None:
        value = node.value
        if not isinstance(value, (cst.TemplatedString, cst.ConcatenatedString)):
            return
        if not self.qualnames or self.kinds[-1] != "def":
            return
        owner = self.qualnames[-1]
        if owner.endswith(".__call__"):
            owner = owner[: -len(".__call__")]  # the class is the component
        self.model.returned[id(value)] = owner

    def _document(self, argument: cst.BaseExpression, scope: int, renders: bool) -> None:
        value: cst.BaseExpression | None = argument
        if isinstance(argument, cst.Name):
            key = (scope, argument.value)
            values = self.assigned.get(key, [])
            single = len(values) == 1 and key not in self.augmented
            value = values[0] if single else None
        if isinstance(value, (cst.TemplatedString, cst.ConcatenatedString)):
            self.model.documents.add(id(value))
            if renders:
                self.model.rendered.add(id(value))

    # imports ------------------------------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted(alias.name) or ""
            removed = REMOVED.get((name, None))
            if removed is not None:
                self.model.removed_imports.append((alias, name, removed))
        for local, imported, rebinds in import_bindings(node):
            if rebinds:
                self.model.imports[local] = imported
            else:
                self.model.imports.setdefault(local, imported)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        for local, imported, _ in import_bindings(node):
            self.model.imports[local] = imported
            if imported.level:
                continue
            removed = REMOVED.get((imported.module, imported.name)) or REMOVED.get(
                (imported.module, None)
            )
            if removed is not None:
                what = (
                    f"{imported.module}.{imported.name}"
                    if imported.module != "tdom"
                    else imported.name
                )
                self.model.removed_imports.append((imported.node, what or "", removed))

    # templates ----------------------------------------------------------------------------

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        if id(node) in self.joined:
            return
        leaves: list[cst.BaseExpression] = []
        inner: list[cst.ConcatenatedString] = []
        stack: list[cst.BaseExpression] = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, cst.ConcatenatedString):
                inner.append(current)
                stack.extend([current.right, current.left])
            else:
                leaves.append(current)
        if not all(isinstance(leaf, cst.TemplatedString) for leaf in leaves):
            return  # str and t-string mixed: a SyntaxError the syntax gate reports
        literals = [leaf for leaf in leaves if isinstance(leaf, cst.TemplatedString)]
        self.joined.update(id(n) for n in [*literals, *inner])
        for literal in literals:
            self.model.group_of[id(literal)] = id(node)
        self._template(literals)

    def visit_TemplatedString(self, node: cst.TemplatedString) -> None:
        if id(node) in self.joined:
            self.model.templates.append(node)
            return
        self.model.group_of[id(node)] = id(node)
        self._template([node])

    def _template(self, literals: list[cst.TemplatedString]) -> None:
        self.model.templates.extend(literals)
        uses, problems, in_tags = parse_template(
            self.model.module, literals if len(literals) > 1 else literals[0]
        )
        expressions = [
            p
            for literal in literals
            for p in literal.parts
            if isinstance(p, cst.TemplatedStringExpression)
        ]
        for index in in_tags:
            if index < len(expressions):
                self.in_tag_expressions.add(id(expressions[index]))
        scopes = tuple(self.functions)
        owner = (
            self.classes[-1]
            if len(self.kinds) >= 2 and self.kinds[-1] == "def" and self.kinds[-2] == "class"
            else None
        )
        for use in uses:
            use.scopes = scopes
            use.owner = owner
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
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        callee = dotted(node.func) or ""
        renderer = self.model.is_html_function(node.func, frozenset()) and (
            self.model.is_html_function(node.func, self.shadowed())
        )
        if not renderer and callee.endswith(".process"):
            # tdom's processor object (`processor = _make_default_template_processor()`)
            renderer = callee.rsplit(".", 1)[0] in self.processors
        parser_only = not renderer and any(callee.endswith(m) for m in SINK_METHODS)
        renders = renderer
        renderer = renderer or parser_only
        if renderer and any(
            a.keyword is not None and a.keyword.value == "container" for a in node.args
        ):
            self.model.renders_with_container = True
        if positional:
            self.calls.append((callee, renderer, positional[0], self._scope_id(), renders))
            if renderer and isinstance(positional[0], cst.Name) and self.functions:
                function = self.functions[-1]
                if isinstance(function, cst.FunctionDef) and len(self.functions) == 1:
                    params = function.params.params or function.params.posonly_params
                    if params and params[0].name.value == positional[0].value:
                        self.helpers.add(function.name.value)
                        if not parser_only:
                            self.rendering_helpers.add(function.name.value)
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
    builder = _Builder(model)
    walk(module, builder)
    builder.finish()
    return model
