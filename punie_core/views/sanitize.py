"""The last gate before view HTML reaches a page: an allowlist that rebuilds the markup.

Views are rendered from templates that escape every value, so noun text never becomes markup.
This pass makes sure the *templates* cannot add script either: the HTML is parsed and written
out again with only allowed elements and attributes (every text and attribute value escaped
anew), links only to web and editor addresses, and frames only as `sandbox`ed `srcdoc` previews.
Anything else is dropped: `<script>`, `<style>`, event handlers, `javascript:` and `data:`
links, forms, `id`s (which could shadow the page's own elements) and inline styles.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from html.parser import HTMLParser

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "article", "b", "br", "caption", "code", "col", "colgroup", "dd", "del",
        "details", "div", "dl", "dt", "em", "figcaption", "figure", "footer", "h1", "h2", "h3",
        "h4", "h5", "h6", "header", "hr", "i", "iframe", "ins", "kbd", "li", "mark", "meter",
        "ol", "p", "pre", "progress", "q", "s", "samp", "section", "small", "span", "strong",
        "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr",
        "u", "ul", "var",
    }
)  # fmt: skip
"""Elements a view may use; any other tag is dropped and its text kept."""

DROPPED_WITH_CONTENT = frozenset(
    {
        "script", "style", "template", "noscript", "textarea", "title", "object", "embed",
        "svg", "math", "frame", "frameset", "select", "option", "head", "xmp",
        "plaintext", "noembed", "noframes",
    }
)  # fmt: skip
"""Elements removed with everything inside them."""

VOID_TAGS = frozenset({"br", "hr", "col"})

GLOBAL_ATTRIBUTES = frozenset({"class", "title", "lang", "dir", "role"})
TAG_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "td": frozenset({"colspan", "rowspan"}),
    "th": frozenset({"colspan", "rowspan", "scope"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "details": frozenset({"open"}),
    "ol": frozenset({"start", "reversed"}),
    "li": frozenset({"value"}),
    "meter": frozenset({"value", "min", "max", "low", "high", "optimum"}),
    "progress": frozenset({"value", "max"}),
    "time": frozenset({"datetime"}),
    "iframe": frozenset({"srcdoc", "title", "loading"}),
}
DATA_ATTRIBUTE = re.compile(r"^(data|aria)-[a-z0-9-]{1,40}$")

WEB_SCHEMES = frozenset({"http", "https"})
"""Addresses a view may always link to: the web."""

_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):")


def safe_href(value: str, editor_link_ok: Callable[[str], bool] | None = None) -> str | None:
    """`value` when it is a web address, a path on this server, or an editor link that
    `editor_link_ok` accepts; else None.

    Any other scheme is dropped: an editor's URI handler (`vscode://`, `cursor://`) reaches
    its extensions too, so only the exact file links Punie itself makes (the configured
    editor, a file inside the workspace) may pass. Browsers ignore whitespace and control
    characters inside a scheme (`java\\tscript:`), so they are removed before it is read.
    """
    compact = _CONTROL.sub("", value).lower()
    match = _SCHEME.match(compact)
    if match:
        if match.group(1) in WEB_SCHEMES:
            return value.strip()
        if editor_link_ok is not None and editor_link_ok(value.strip()):
            return value.strip()
        return None
    if compact.startswith("#") or (
        compact.startswith("/") and not compact.startswith(("//", "/\\"))
    ):
        return value.strip()
    return None


class _Cleaner(HTMLParser):
    def __init__(self, editor_link_ok: Callable[[str], bool] | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.editor_link_ok = editor_link_ok
        self.out: list[str] = []
        self.open: list[str] = []
        self.skipping: list[str] = []  # the dropped element whose content is being skipped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            if tag == self.skipping[-1] and tag not in VOID_TAGS:
                self.skipping.append(tag)
            return
        if tag in DROPPED_WITH_CONTENT:
            self.skipping.append(tag)
            return
        if tag not in ALLOWED_TAGS:
            return
        kept = self._attributes(tag, attrs)
        if kept is None:
            return
        text = "".join(f' {name}="{escape(value, quote=True)}"' for name, value in kept)
        self.out.append(f"<{tag}{text}>")
        if tag == "iframe":
            self.out.append("</iframe>")  # its content is never shown; srcdoc is the document
            self.skipping.append(tag)
        elif tag not in VOID_TAGS:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        skipping = len(self.skipping)
        self.handle_starttag(tag, attrs)
        if len(self.skipping) > skipping:
            self.skipping.pop()  # `<iframe/>`, `<script/>`: nothing inside to skip
        elif tag not in VOID_TAGS and self.open and self.open[-1] == tag:
            self.handle_endtag(tag)

    def _attributes(
        self, tag: str, attrs: list[tuple[str, str | None]]
    ) -> list[tuple[str, str]] | None:
        allowed = GLOBAL_ATTRIBUTES | TAG_ATTRIBUTES.get(tag, frozenset())
        kept: list[tuple[str, str]] = []
        seen: set[str] = set()
        for name, raw in attrs:
            value = raw or ""
            if name in seen or not (name in allowed or DATA_ATTRIBUTE.match(name)):
                continue
            if name == "href":
                href = safe_href(value, self.editor_link_ok)
                if href is None:
                    continue
                value = href
            seen.add(name)
            kept.append((name, value))
        if tag == "a" and "href" in seen:
            kept.append(("rel", "noopener noreferrer"))
        if tag == "iframe":
            if "srcdoc" not in seen:
                return None  # a frame may only show the document it carries
            # No allow-* token at all: no script, no same-origin access, no forms, no popups.
            kept += [("sandbox", ""), ("referrerpolicy", "no-referrer")]
        return kept

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag not in self.open:
            return
        while self.open:
            current = self.open.pop()
            self.out.append(f"</{current}>")
            if current == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(escape(data, quote=False))

    def close(self) -> None:
        super().close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")


def sanitize_html(html: str, editor_link_ok: Callable[[str], bool] | None = None) -> str:
    """`html` rebuilt with only allowed elements, attributes and links (see the module doc).

    Args:
        html: The rendered markup.
        editor_link_ok: Whether a non-web link is one of Punie's own editor links (see
            `punie_core.views.render.editor_link_checker`); without it, none is kept.
    """
    cleaner = _Cleaner(editor_link_ok)
    cleaner.feed(html)
    cleaner.close()
    return "".join(cleaner.out)
