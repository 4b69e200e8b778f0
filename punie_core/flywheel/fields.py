"""Field access: does a Code Mode snippet read fields of a typed tool result, or only print it?

Decided by static analysis of the snippet's AST against the tools' return types, never by
keywords: names bound to a typed tool result (`r = pytest_run()`, `for f in ruff_check().findings`,
`x = results[0]`) are tracked, and a read is an attribute access on such a value whose name is
a field of its noun (`r.failed`, `f"{r.exit_code}"`, `getattr(r, "output")`). `print(r)` is not
a read. A snippet counts for the field-access rate only when it calls at least one tool whose
result is typed (a Pydantic noun, or a list/dict of them).
"""

from __future__ import annotations

import ast
import collections.abc as abc
import functools
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import UnionType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from punie_core.plugins.toolbox import Toolbox


@dataclass(frozen=True)
class Shape:
    """The type of a value as far as field access cares.

    Attributes:
        noun: The noun's name.
        many: True for a container of nouns (list, tuple, set, dict values).
    """

    noun: str
    many: bool = False

    def element(self) -> Shape:
        """The type of one element of a container shape."""
        return Shape(self.noun, many=False)


@dataclass(frozen=True)
class ResultTypes:
    """What each tool returns, and the fields of each noun.

    Attributes:
        tools: Tool name to the shape of its result (only tools with typed results).
        nouns: Noun name to its field names.
        field_shapes: `(noun, field)` to the shape of that field when it is itself typed.
    """

    tools: Mapping[str, Shape] = field(default_factory=dict)
    nouns: Mapping[str, frozenset[str]] = field(default_factory=dict)
    field_shapes: Mapping[tuple[str, str], Shape] = field(default_factory=dict)

    @classmethod
    def from_toolbox(cls, toolbox: Toolbox) -> ResultTypes:
        """Derive the result types from the tools' return annotations."""
        tools: dict[str, Shape] = {}
        nouns: dict[str, frozenset[str]] = {}
        field_shapes: dict[tuple[str, str], Shape] = {}
        pending: list[type] = []
        for tool in toolbox.tools:
            try:
                hints = typing.get_type_hints(tool.function)
            except Exception:  # an annotation the host cannot resolve: not typed for us
                continue
            shape, found = _shape_of(hints.get("return"))
            if shape is not None:
                tools[tool.name] = shape
                pending.extend(found)
        for noun in toolbox.nouns:
            pending.append(noun.model)
        seen: set[type] = set()
        while pending:
            model = pending.pop()
            if model in seen:
                continue
            seen.add(model)
            model_fields = getattr(model, "model_fields", {})
            nouns[model.__name__] = frozenset(model_fields)
            for name, info in model_fields.items():
                shape, found = _shape_of(info.annotation)
                if shape is not None:
                    field_shapes[(model.__name__, name)] = shape
                    pending.extend(found)
        return cls(tools=tools, nouns=nouns, field_shapes=field_shapes)

    @classmethod
    def installed(cls) -> ResultTypes:
        """The result types of the installed plugins' toolbox (loaded once per process)."""
        return _installed()


@functools.cache
def _installed() -> ResultTypes:
    from punie_core.plugins.loader import load_toolbox

    return ResultTypes.from_toolbox(load_toolbox())


def _shape_of(annotation: Any) -> tuple[Shape | None, list[type]]:
    """The shape of an annotation and the noun classes it names."""
    from pydantic import BaseModel

    def is_noun(value: Any) -> bool:
        return isinstance(value, type) and issubclass(value, BaseModel)

    if is_noun(annotation):
        return Shape(annotation.__name__), [annotation]
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is None or not args:
        return None, []
    if origin in (typing.Union, UnionType):
        for arg in args:
            shape, found = _shape_of(arg)
            if shape is not None:
                return shape, found
        return None, []
    element = args[-1] if origin in (dict, typing.Mapping, Mapping) else args[0]
    containers = (
        list,
        tuple,
        set,
        frozenset,
        dict,
        abc.Sequence,
        abc.Iterable,
        abc.Mapping,
        abc.Set,
    )
    if origin in containers and is_noun(element):
        return Shape(element.__name__, many=True), [element]
    return None, []


@dataclass
class FieldAccess:
    """What one snippet did with typed results.

    Attributes:
        parsed: False when the snippet is not valid Python (it then counts for nothing).
        typed_calls: Calls to tools whose result is typed, by tool name.
        reads: `(noun, field)` pairs the snippet read.
        tool_reads: `(tool, noun, field)`: the same reads with the tool that made the value.
    """

    parsed: bool = True
    typed_calls: list[str] = field(default_factory=list)
    reads: set[tuple[str, str]] = field(default_factory=set)
    tool_reads: set[tuple[str, str, str]] = field(default_factory=set)

    @property
    def read_tools(self) -> set[str]:
        """Tools whose typed result had at least one field read."""
        return {tool for tool, _, _ in self.tool_reads}

    @property
    def counts(self) -> bool:
        """True when the snippet belongs in the field-access rate (it called a typed tool)."""
        return self.parsed and bool(self.typed_calls)

    @property
    def reads_fields(self) -> bool:
        """True when it read at least one field of a typed result."""
        return bool(self.reads)


@dataclass(frozen=True)
class _Typed:
    """A tracked value: its shape and the tool that produced it."""

    shape: Shape
    tool: str


class _Analyzer:
    """Flow-insensitive type tracking over one module, then a pass collecting field reads."""

    def __init__(self, types: ResultTypes) -> None:
        self.types = types
        self.env: dict[str, _Typed] = {}

    def typeof(self, node: ast.AST | None) -> _Typed | None:
        if isinstance(node, ast.Name):
            return self.env.get(node.id)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            shape = self.types.tools.get(node.func.id)
            if shape is not None and node.func.id not in self.env:
                return _Typed(shape, node.func.id)
            return None
        if isinstance(node, ast.Subscript):
            inner = self.typeof(node.value)
            if inner is not None and inner.shape.many and not isinstance(node.slice, ast.Slice):
                return _Typed(inner.shape.element(), inner.tool)
            return inner if inner is not None and inner.shape.many else None
        if isinstance(node, ast.Attribute):
            inner = self.typeof(node.value)
            if inner is None or inner.shape.many:
                return None
            shape = self.types.field_shapes.get((inner.shape.noun, node.attr))
            return _Typed(shape, inner.tool) if shape is not None else None
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.List, ast.Tuple)):
            element = node.elt if isinstance(node, ast.expr) and hasattr(node, "elt") else None
            items = [element] if element is not None else list(getattr(node, "elts", []))
            for item in items:
                inner = self.typeof(item)
                if inner is not None and not inner.shape.many:
                    return _Typed(Shape(inner.shape.noun, many=True), inner.tool)
            return None
        if isinstance(node, ast.NamedExpr):
            return self.typeof(node.value)
        if isinstance(node, ast.IfExp):
            return self.typeof(node.body) or self.typeof(node.orelse)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id
            in (
                "list",
                "sorted",
                "tuple",
                "reversed",
            )
        ):
            return self.typeof(node.args[0]) if node.args else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # `d.values()` / `d.items()` keep the container's element type reachable.
            if node.func.attr in ("values", "copy"):
                return self.typeof(node.func.value)
        return None

    def bind(self, target: ast.AST, value: _Typed | None) -> bool:
        """Record `target = value`; True when the environment changed."""
        if isinstance(target, ast.Name) and value is not None and self.env.get(target.id) != value:
            self.env[target.id] = value
            return True
        return False

    def bind_element(self, target: ast.AST, container: _Typed | None) -> bool:
        """Record the loop variable of `for target in container`."""
        if container is None or not container.shape.many:
            return False
        element = _Typed(container.shape.element(), container.tool)
        if isinstance(target, ast.Tuple) and len(target.elts) == 2:
            # `for key, value in d.items()`: the value is the element.
            return self.bind(target.elts[1], element)
        return self.bind(target, element)

    def learn(self, tree: ast.AST) -> None:
        """Bind names to typed values until nothing changes (loops, later reuse)."""
        for _ in range(5):
            changed = False
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign):
                    value = node.value
                    for target in node.targets:
                        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
                            for t, v in zip(target.elts, value.elts, strict=False):
                                changed |= self.bind(t, self.typeof(v))
                        else:
                            changed |= self.bind(target, self.typeof(value))
                elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                    changed |= self.bind(node.target, self.typeof(node.value))
                elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
                    container = node.iter
                    if (
                        isinstance(container, ast.Call)
                        and isinstance(container.func, ast.Attribute)
                        and container.func.attr == "items"
                    ):
                        changed |= self.bind_element(node.target, self.typeof(container.func.value))
                    elif (
                        isinstance(container, ast.Call)
                        and isinstance(container.func, ast.Name)
                        and container.func.id == "enumerate"
                        and container.args
                    ):
                        changed |= self.bind_element(node.target, self.typeof(container.args[0]))
                    else:
                        changed |= self.bind_element(node.target, self.typeof(container))
            if not changed:
                return

    def collect(self, tree: ast.AST) -> FieldAccess:
        access = FieldAccess()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in self.types.tools and node.func.id not in self.env:
                    access.typed_calls.append(node.func.id)
            read = self.read_of(node)
            if read is not None:
                typed, name = read
                access.reads.add((typed.shape.noun, name))
                access.tool_reads.add((typed.tool, typed.shape.noun, name))
        return access

    def read_of(self, node: ast.AST) -> tuple[_Typed, str] | None:
        """`(value, field)` when `node` reads a field of a typed value."""
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            owner, name = node.value, node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            owner, name = node.args[0], node.args[1].value
        else:
            return None
        typed = self.typeof(owner)
        if typed is None or typed.shape.many:
            return None
        if name in self.types.nouns.get(typed.shape.noun, frozenset()):
            return typed, name
        return None


def analyze(code: str, types: ResultTypes) -> FieldAccess:
    """Analyze one snippet.

    Args:
        code: The snippet's source.
        types: What the tools return.
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return FieldAccess(parsed=False)
    analyzer = _Analyzer(types)
    analyzer.learn(tree)
    return analyzer.collect(tree)


def field_access_rate(codes: Iterable[str], types: ResultTypes) -> tuple[int, int]:
    """`(snippets that read a typed field, snippets that called a typed tool)`."""
    reading = counted = 0
    for code in codes:
        access = analyze(code, types)
        if access.counts:
            counted += 1
            reading += access.reads_fields
    return reading, counted
