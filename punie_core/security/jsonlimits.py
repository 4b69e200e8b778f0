"""JSON from outside (ACP frames, web request bodies) parsed with a nesting limit.

Python's `json` parser recurses once per nesting level: a few kilobytes of `[[[[...` raise
`RecursionError`, which is not a `ValueError`, so a handler that catches parse errors let it
kill the whole process. And a structure that parses only just inside the recursion limit
breaks the next recursive step (validation, copying, writing a trace). Every decoder of
untrusted JSON goes through `loads_limited`, which refuses both with a `ValueError`.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64
"""Nesting levels any Punie message needs are under 20; 64 leaves room for tool arguments."""


class TooDeep(ValueError):
    """The JSON nests deeper than the limit."""


def loads_limited(data: str | bytes | bytearray, *, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads`, refusing documents nested deeper than `max_depth` (with `TooDeep`).

    Raises:
        TooDeep: Deeper than `max_depth` (also when the parser itself ran out of stack).
        ValueError: Not JSON (`json.JSONDecodeError`, `UnicodeDecodeError`).
    """
    try:
        value = json.loads(data)
    except RecursionError:
        raise TooDeep(f"JSON nested deeper than {max_depth} levels") from None
    if depth_exceeds(value, max_depth):
        raise TooDeep(f"JSON nested deeper than {max_depth} levels")
    return value


def depth_exceeds(value: Any, max_depth: int) -> bool:
    """True when lists/dicts in `value` nest deeper than `max_depth` (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
