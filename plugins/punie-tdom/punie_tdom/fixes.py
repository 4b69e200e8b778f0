"""Safe tdom auto-fixes: strings become t-strings, html() is unwrapped where a Template belongs.

Every conversion keeps the text and the interpolated expressions exactly (conversions
`!r`, format specs and nested fields included); only the string's kind changes, from a
`str` tdom rejects or escapes to the `Template` it renders. Plain string parts of a
concatenation become t-strings too, with literal braces doubled, so `t"..." "..."` (a
SyntaxError on 3.14) never appears.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import libcst as cst

Action = tuple[Literal["convert", "unwrap"], cst.CSTNode]
"""What a fixable finding repairs: convert a string node, or unwrap an html() call."""


def _template_prefix(prefix: str) -> str:
    """`f` -> `t`, `rf` -> `rt`, `F` -> `T`; a plain string's `u` is dropped."""
    if "f" in prefix or "F" in prefix:
        return prefix.replace("f", "t").replace("F", "T")
    return "t" + prefix.replace("u", "").replace("U", "")


def _convert_parts(
    parts: Sequence[cst.BaseFormattedStringContent],
) -> list[cst.BaseTemplatedStringContent]:
    converted: list[cst.BaseTemplatedStringContent] = []
    for part in parts:
        if isinstance(part, cst.FormattedStringText):
            converted.append(cst.TemplatedStringText(value=part.value))
        elif isinstance(part, cst.FormattedStringExpression):
            spec = _convert_parts(part.format_spec) if part.format_spec is not None else None
            converted.append(
                cst.TemplatedStringExpression(
                    expression=convert_values(part.expression),
                    conversion=part.conversion,
                    format_spec=spec,
                    whitespace_before_expression=part.whitespace_before_expression,
                    whitespace_after_expression=part.whitespace_after_expression,
                    equal=part.equal,
                )
            )
    return converted


def _split_simple(node: cst.SimpleString) -> tuple[str, str, str]:
    """(prefix, quote, body) of a simple string literal."""
    value = node.value
    prefix_length = len(node.prefix)
    quote = node.quote
    return value[:prefix_length], quote, value[prefix_length + len(quote) : len(value) - len(quote)]


def to_template(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """The t-string equivalent of a string expression, or None when there is no safe one.

    Handles f-strings (nested value-position f-strings included), plain str literals,
    concatenations of them, and `"".join(f"..." for x in xs)`, which becomes a list of
    t-strings (tdom renders lists of Templates).
    """
    if isinstance(node, cst.TemplatedString):
        return node
    if isinstance(node, cst.FormattedString):
        return cst.TemplatedString(
            parts=_convert_parts(node.parts),
            start=_template_prefix(node.start[: -len(node.end)]) + node.end,
            end=node.end,
            lpar=node.lpar,
            rpar=node.rpar,
        )
    if isinstance(node, cst.SimpleString):
        prefix, quote, body = _split_simple(node)
        if "b" in prefix.lower():
            return None
        body = body.replace("{", "{{").replace("}", "}}")
        return cst.TemplatedString(
            parts=[cst.TemplatedStringText(value=body)] if body else [],
            start=_template_prefix(prefix) + quote,
            end=quote,  # type: ignore[arg-type]
            lpar=node.lpar,
            rpar=node.rpar,
        )
    if isinstance(node, cst.ConcatenatedString):
        left = to_template(node.left)
        right = to_template(node.right)
        if left is None or right is None:
            return None
        return node.with_changes(left=left, right=right)
    joined = _join_of_strings(node)
    if joined is not None:
        comprehension, element = joined
        converted = to_template(element)
        if converted is None:
            return None
        return cst.ListComp(elt=converted, for_in=comprehension.for_in)
    return None


def _join_of_strings(
    node: cst.BaseExpression,
) -> tuple[cst.ListComp | cst.GeneratorExp, cst.BaseExpression] | None:
    """`"".join(<f-string> for ...)` -> (the comprehension, its element)."""
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)):
        return None
    if node.func.attr.value != "join" or not isinstance(node.func.value, cst.SimpleString):
        return None
    if node.func.value.evaluated_value != "" or len(node.args) != 1:
        return None
    argument = node.args[0].value
    if isinstance(argument, (cst.GeneratorExp, cst.ListComp)) and is_string_like(argument.elt):
        return argument, argument.elt
    return None


def is_string_like(node: cst.BaseExpression) -> bool:
    """An f-string or plain str literal (or a concatenation of them)."""
    if isinstance(node, (cst.FormattedString,)):
        return True
    if isinstance(node, cst.SimpleString):
        return "b" not in node.prefix.lower()
    if isinstance(node, cst.ConcatenatedString):
        return is_string_like(node.left) and is_string_like(node.right)
    return False


def is_join_of_fstrings(node: cst.BaseExpression) -> bool:
    """`"".join(f"..." for x in xs)`: a str of markup that a template would escape."""
    joined = _join_of_strings(node)
    return joined is not None and _has_fstring(joined[1])


def _has_fstring(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.FormattedString):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return _has_fstring(node.left) or _has_fstring(node.right)
    return False


def convert_values(node: cst.BaseExpression) -> cst.BaseExpression:
    """Convert the value-position f-strings of an interpolated expression to t-strings."""
    if isinstance(node, cst.FormattedString) or is_join_of_fstrings(node):
        return to_template(node) or node
    if isinstance(node, cst.ConcatenatedString) and _has_fstring(node):
        return to_template(node) or node
    if isinstance(node, cst.IfExp):
        return node.with_changes(body=convert_values(node.body), orelse=convert_values(node.orelse))
    if isinstance(node, cst.BooleanOperation):
        return node.with_changes(left=convert_values(node.left), right=convert_values(node.right))
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return node.with_changes(
            elements=[
                e.with_changes(value=convert_values(e.value)) if isinstance(e, cst.Element) else e
                for e in node.elements
            ]
        )
    if isinstance(node, (cst.ListComp, cst.GeneratorExp, cst.SetComp)):
        return node.with_changes(elt=convert_values(node.elt))
    return node


def fixable_string(node: cst.BaseExpression) -> bool:
    """True when `to_template` can convert this string expression."""
    return to_template(node) is not None


def unwrap_html_fixable(call: cst.Call) -> bool:
    """`html(X)` -> `X` is safe when X is the only argument and is (or becomes) a Template."""
    if len(call.args) != 1:
        return False
    arg = call.args[0]
    if arg.keyword is not None or arg.star:
        return False
    value = arg.value
    if is_string_like(value):
        return fixable_string(value)
    return True  # a name or call: html() already required it to be a Template


class _Fixer(cst.CSTTransformer):
    def __init__(self, actions: dict[int, str]) -> None:
        self.actions = actions

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[override]
        action = self.actions.get(id(original_node))
        if action == "convert" and isinstance(updated_node, cst.BaseExpression):
            return to_template(updated_node) or updated_node
        if action == "unwrap" and isinstance(updated_node, cst.Call):
            value = updated_node.args[0].value
            converted = to_template(value) if is_string_like(value) else value
            if converted is None:
                return updated_node
            if isinstance(original_node, cst.Call) and (original_node.lpar or original_node.rpar):
                converted = converted.with_changes(lpar=original_node.lpar, rpar=original_node.rpar)
            return converted
        return updated_node


def apply_actions(module: cst.Module, actions: Sequence[Action]) -> str:
    """The module's code with every action applied."""
    if not actions:
        return module.code
    plan = {id(node): kind for kind, node in actions}
    return module.visit(_Fixer(plan)).code
