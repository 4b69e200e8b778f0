"""libcst for validators: one patched, cached parser and a fast read-only tree walk."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import libcst


_libcst_patched = False


def _patch_libcst() -> None:
    """Teach libcst 1.9 that `t"a" t"b"` is valid (it raises CSTLogicError otherwise).

    libcst's `ConcatenatedString._validate` handles str/bytes/f-strings but not t-strings.
    Mixing t-strings with other literals is reported by the syntax gate (SYN002) instead.
    """
    global _libcst_patched
    if _libcst_patched:
        return
    # libcst here, not at the top: `punie plugins` loads this module; libcst takes ~0.5 s.
    import libcst as cst

    original = cst.ConcatenatedString._validate

    def is_template(node: Any) -> bool:
        return isinstance(node, cst.TemplatedString) or (
            isinstance(node, cst.ConcatenatedString) and is_template(node.left)
        )

    def validate(self: Any) -> None:
        if is_template(self.left) or is_template(self.right):
            if self.left.lpar or self.left.rpar or self.right.lpar or self.right.rpar:
                raise cst.CSTValidationError("Cannot concatenate parenthesized strings.")
            return
        original(self)

    cst.ConcatenatedString._validate = validate  # type: ignore[method-assign]
    _libcst_patched = True


@functools.lru_cache(maxsize=64)
def parse_module(source: str) -> libcst.Module:
    """Parse Python source with libcst (t-strings included), cached for the last few sources.

    Plugins call this instead of `libcst.parse_module` so a file checked by several
    validators is parsed once. Modules are immutable, so sharing them is safe.

    Raises:
        libcst.ParserSyntaxError: The source is not valid Python.
    """
    # libcst here, not at the top: `punie plugins` loads this module; libcst takes ~0.5 s.
    import libcst as cst

    _patch_libcst()
    return cst.parse_module(source)


_SKIPPED_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "trailing_whitespace",
        "semicolon",
        "comma",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "newline",
    }
)


@functools.cache
def _child_fields(node_type: type) -> tuple[str, ...]:
    return tuple(
        f.name
        for f in dataclasses.fields(node_type)
        if f.name not in _SKIPPED_FIELDS and "whitespace" not in f.name
    )


def iter_children(node: Any) -> Iterator[Any]:
    """The child nodes of a libcst node, without whitespace and punctuation.

    Much faster than `node.children` or a `CSTVisitor`, which rebuild every node they pass.
    """
    # libcst here, not at the top: `punie plugins` loads this module; libcst takes ~0.5 s.
    import libcst as cst

    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


_dispatch: dict[tuple[type, type], tuple[Any, Any]] = {}


def walk(node: Any, visitor: Any) -> None:
    """Depth-first walk of a libcst tree calling `visitor.visit_<Node>(node)` (return False
    to skip the children) and `visitor.leave_<Node>(node)`, like a read-only `CSTVisitor`
    at a fraction of its cost (it never rebuilds nodes). Iterative: deep trees are fine.
    """
    stack: list[tuple[Any, bool]] = [(node, False)]
    visitor_type = type(visitor)
    while stack:
        current, leaving = stack.pop()
        key = (visitor_type, type(current))
        methods = _dispatch.get(key)
        if methods is None:
            name = type(current).__name__
            methods = (
                getattr(visitor_type, f"visit_{name}", None),
                getattr(visitor_type, f"leave_{name}", None),
            )
            _dispatch[key] = methods
        if leaving:
            methods[1](visitor, current)
            continue
        if methods[0] is not None and methods[0](visitor, current) is False:
            continue
        if methods[1] is not None:
            stack.append((current, True))
        children = list(iter_children(current))
        stack.extend((child, False) for child in reversed(children))
