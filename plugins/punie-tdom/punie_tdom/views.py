"""How the web UI shows tdom components: props, source, and a sandboxed preview of the markup.

The preview is the component's template with each interpolation replaced by the prop's
default (or the prop's name), built statically: the web UI never runs project code. It is shown
in an `<iframe sandbox srcdoc=...>`, so nothing in it (a `<script>`, a handler) can run.
"""

from __future__ import annotations

import ast
import re
from html import escape
from importlib import resources
from typing import Any

SELF_CLOSING = re.compile(r'(<div data-component="[^"]*"[^<>]*?)\s*/>')


def _template(name: str) -> str:
    return resources.files("punie_tdom").joinpath("templates", name).read_text(encoding="utf-8")


COMPONENT_TEMPLATE = _template("component.html")


def preview_context(spec: Any) -> dict[str, str]:
    """The `preview` variable of the component view: a static HTML document of the markup."""
    body = preview_html(spec.template, {p.name: p.default for p in spec.props})
    return {
        "preview": '<!doctype html><html><head><meta charset="utf-8"></head>'
        f"<body>{body}</body></html>"
    }


def preview_html(template: str, defaults: dict[str, str | None]) -> str:
    """The t-string body as HTML: `{prop}` shows its default or its name, component tags
    become `<div data-component=...>`, and other expressions show as `…`."""
    out: list[str] = []
    index = 0
    while index < len(template):
        char = template[index]
        if char == "{" and template.startswith("{{", index):
            out.append("{")
            index += 2
            continue
        if char == "}" and template.startswith("}}", index):
            out.append("}")
            index += 2
            continue
        if char != "{":
            out.append(char)
            index += 1
            continue
        end = _closing(template, index)
        expression = template[index + 1 : end].strip()
        index = end + 1
        written = "".join(out)
        if written.endswith("</"):
            out.append("div")  # `</{Card}>`
            continue
        if written.endswith("<"):
            out.append(f'div data-component="{escape(expression, quote=True)}"')  # `<{Card}`
            continue
        text = _shown(expression, defaults)
        in_tag = written.rfind("<") > written.rfind(">")
        tag = written[written.rfind("<") :] if in_tag else ""
        if in_tag and (tag.count('"') % 2 or tag.count("'") % 2):
            out.append(escape(text, quote=True))  # inside a quoted attribute value
        elif in_tag and written.rstrip().endswith("="):
            out.append(f'"{escape(text, quote=True)}"')
        elif in_tag:
            continue  # a spread `{attrs}` inside a tag: nothing to show
        else:
            out.append(escape(text, quote=False))
    # `<{Card} ... />` is self-closing in a template, not in HTML.
    return SELF_CLOSING.sub(r"\1></div>", "".join(out))


def _closing(text: str, start: int) -> int:
    """The index of the `}` closing the interpolation opened at `start` (nesting, quotes)."""
    depth = 0
    quote = ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return len(text) - 1


def _shown(expression: str, defaults: dict[str, str | None]) -> str:
    name = expression.split("!")[0].split(":")[0].strip().removeprefix("self.")
    if name == "children":
        return "[children]"
    if name in defaults:
        default = defaults[name]
        if default is None:
            return name
        try:
            value = ast.literal_eval(default)
        except (ValueError, SyntaxError):
            return name
        return "" if value is None else str(value)
    return "…"


def views() -> list[Any]:
    from punie_core import View
    from punie_tdom.nouns import ComponentSpec

    return [View(ComponentSpec, COMPONENT_TEMPLATE, prepare=preview_context)]
