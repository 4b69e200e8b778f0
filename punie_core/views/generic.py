"""Any noun as HTML from its own Pydantic schema: fields as a list, lists of nouns as tables.

The value is first turned into a small tree of shapes (`fields`, `table`, `list`, `text`, ...)
whose names come from the noun's class (`model_fields`, in declaration order), never guessed;
one template renders the tree, escaping every name and value.
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from pathlib import PurePath
from typing import Any

ROW_LIMIT = 100
"""Rows shown of one table (the rest is counted)."""

TEXT_LIMIT = 20_000
DEPTH_LIMIT = 4

GENERIC_TEMPLATE = """\
{%- macro node(n) -%}
{%- if n.kind == "none" -%}<span class="v-none">None</span>
{%- elif n.kind == "bool" -%}<span class="v-bool">{{ "true" if n.value else "false" }}</span>
{%- elif n.kind == "number" -%}<span class="v-num">{{ n.text }}</span>
{%- elif n.kind == "text" and n.multiline -%}<pre class="v-text">{{ n.text }}</pre>
{%- elif n.kind == "text" -%}<span class="v-str">{{ n.text }}</span>
{%- elif n.kind == "empty" -%}<span class="v-empty">(empty)</span>
{%- elif n.kind == "list" -%}
<ul class="v-list">{% for item in n.entries %}<li>{{ node(item) }}</li>{% endfor %}</ul>
{%- if n.more %}<p class="v-more">… and {{ n.more }} more</p>{% endif -%}
{%- elif n.kind == "fields" -%}
<dl class="fields">{% for name, item in n.entries -%}
<dt>{{ name }}</dt><dd>{{ node(item) }}</dd>
{%- endfor %}</dl>
{%- elif n.kind == "table" -%}
<table class="v-table"><thead><tr>
{%- for column in n.columns %}<th>{{ column }}</th>{% endfor -%}
</tr></thead><tbody>
{%- for row in n.rows %}<tr>
{%- for cell in row %}<td>{{ node(cell) }}</td>{% endfor -%}
</tr>{% endfor -%}
</tbody></table>
{%- if n.more %}<p class="v-more">… and {{ n.more }} more</p>{% endif -%}
{%- endif -%}
{%- endmacro -%}
<div class="view generic" data-noun="{{ noun }}">{{ node(root) }}</div>"""


def _is_model(value: Any) -> bool:
    return hasattr(type(value), "model_fields") and hasattr(value, "model_dump")


def field_names(value: Any) -> list[str]:
    """The noun's fields in declaration order (a dataclass's fields, a dict's keys)."""
    if _is_model(value):
        return list(type(value).model_fields)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [f.name for f in dataclasses.fields(value)]
    return [str(key) for key in value]


def _get(value: Any, name: str) -> Any:
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def _is_record(value: Any) -> bool:
    return (
        _is_model(value)
        or isinstance(value, dict)
        or (dataclasses.is_dataclass(value) and not isinstance(value, type))
    )


def shape(value: Any, depth: int = 0) -> dict[str, Any]:
    """The tree the generic template renders for `value`."""
    if value is None:
        return {"kind": "none"}
    if isinstance(value, bool):
        return {"kind": "bool", "value": value}
    if isinstance(value, int | float):
        return {"kind": "number", "text": str(value)}
    if isinstance(value, Enum):
        return shape(value.value, depth)
    if isinstance(value, str | PurePath):
        text = str(value)
        if len(text) > TEXT_LIMIT:
            text = text[:TEXT_LIMIT] + "\n[cut]"
        return {"kind": "text", "text": text, "multiline": "\n" in text}
    if depth > DEPTH_LIMIT:
        return {"kind": "text", "text": _short(value), "multiline": False}
    if _is_record(value):
        return {
            "kind": "fields",
            "entries": [(name, shape(_get(value, name), depth + 1)) for name in field_names(value)],
        }
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        if not items:
            return {"kind": "empty"}
        shown, more = items[:ROW_LIMIT], max(0, len(items) - ROW_LIMIT)
        if all(_is_record(item) for item in items):
            columns = _columns(shown)
            rows = [[shape(_get(item, c), depth + 2) for c in columns] for item in shown]
            return {"kind": "table", "columns": columns, "rows": rows, "more": more}
        return {"kind": "list", "entries": [shape(item, depth + 1) for item in shown], "more": more}
    return {"kind": "text", "text": _short(value), "multiline": False}


def _columns(items: list[Any]) -> list[str]:
    """Every field of the rows, in the order the first row (then later ones) declare them."""
    columns: dict[str, None] = {}
    for item in items:
        columns.update(dict.fromkeys(field_names(item)))
    return list(columns)


def _short(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 2000 else text[:2000] + "…"
