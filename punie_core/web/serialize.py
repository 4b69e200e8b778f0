"""Agent events (dataclasses holding Pydantic nouns, paths, ...) as bounded JSON for the browser."""

from __future__ import annotations

import dataclasses
import re
from enum import Enum
from pathlib import PurePath
from typing import Any

STRING_LIMIT = 64 * 1024
"""Longest string sent to the browser; longer ones are cut (the trace keeps the whole text)."""

ITEM_LIMIT = 500
"""Most items of one list or dict sent to the browser."""

DEPTH_LIMIT = 12


def event_type(event: object) -> str:
    """`ToolCallStarted` -> `tool_call_started`: the SSE event name of an event object."""
    name = type(event).__name__
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def to_jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-ready copy of `value`: Pydantic models, dataclasses, paths, enums; long data cut."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= STRING_LIMIT else value[:STRING_LIMIT] + "\n[cut]"
    if depth > DEPTH_LIMIT:
        return _short_repr(value)
    if isinstance(value, Enum):
        return to_jsonable(value.value, depth + 1)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump) and not isinstance(value, type):
        try:
            return to_jsonable(model_dump(mode="json"), depth + 1)
        except Exception:
            return _short_repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: to_jsonable(getattr(value, f.name), depth + 1)
            for f in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        items = list(value.items())[:ITEM_LIMIT]
        return {str(k): to_jsonable(v, depth + 1) for k, v in items}
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)[:ITEM_LIMIT]
        return [to_jsonable(v, depth + 1) for v in items]
    return _short_repr(value)


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 2000 else text[:2000] + "…"


def type_name(value: Any) -> str:
    """The readable type of a tool result (`WriteResult`, `str`, `list`, `None`)."""
    if value is None:
        return "None"
    return type(value).__name__


def event_data(event: object) -> dict[str, Any]:
    """The fields of an event as JSON, with the Python type of tool results kept beside them."""
    data = to_jsonable(event)
    if not isinstance(data, dict):
        data = {"value": data}
    result = getattr(event, "result", None)
    if hasattr(event, "result"):
        data["result_type"] = type_name(result)
    return data
