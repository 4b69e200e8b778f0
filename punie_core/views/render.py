"""Nouns as HTML: each plugin's `View` templates, the generic schema view, and plugin pages.

Every template runs with escaping always on: `|safe` and `{% autoescape false %}` are
refused when a template is compiled, so a value from a noun can only ever be text. The result
then passes `sanitize_html` (no script, handlers or `javascript:` links, frames only as
sandboxed previews), and the page that shows it has a Content-Security-Policy without inline
script. A view that fails (a template error, a
`prepare` that raises, a malformed template) never breaks the page: the value is shown with
the generic view instead, with a notice naming the plugin.
"""

from __future__ import annotations

import os
import posixpath
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from punie_core.views.generic import GENERIC_TEMPLATE, shape
from punie_core.views.sanitize import sanitize_html

if typing.TYPE_CHECKING:
    from punie_core.plugins.records import Page, View

EDITORS: dict[str, str] = {
    "pycharm": "http://localhost:63342/api/file/{relative}:{line}:{column}",
    "zed": "zed://file/{path}:{line}:{column}",
    "vscode": "vscode://file/{path}:{line}:{column}",
}
"""Where `line_link` points for `PUNIE_EDITOR` (default `pycharm`: the IDE's built-in server)."""


class ViewError(ValueError):
    """A view's template cannot be used (it does not parse, or turns escaping off)."""


def editor_link(
    root: str | os.PathLike[str] | None, path: str, line: Any = 1, column: Any = 1
) -> str:
    """The address that opens `path` (relative to the project) at `line` in the editor.

    `PUNIE_EDITOR` picks it: `pycharm` (default; JetBrains IDEs' built-in server on port
    63342), `zed`, `vscode`, `none` (no links), or a template with `{path}` (absolute),
    `{relative}`, `{line}` and `{column}`.
    """
    return _link_maker(root)(path, line, column)


def _link_maker(root: str | os.PathLike[str] | None) -> Callable[[str, Any, Any], str]:
    """`editor_link` with the editor and the root read once (a report has many links)."""
    choice = os.environ.get("PUNIE_EDITOR", "pycharm").strip() or "pycharm"
    pattern = EDITORS.get(choice.lower(), choice)
    base = os.fspath(root) if root is not None else ""

    def link(path: str, line: Any = 1, column: Any = 1) -> str:
        if choice == "none" or not path:
            return ""
        path = str(path)
        absolute = path if posixpath.isabs(path) or not base else posixpath.join(base, path)
        return pattern.format(
            path=quote(absolute),
            relative=quote(path.lstrip("/")),
            line=line if isinstance(line, int) and line > 0 else 1,
            column=column if isinstance(column, int) and column > 0 else 1,
        )

    return link


def editor_link_checker(root: str | os.PathLike[str] | None) -> Callable[[str], bool]:
    """Whether a link is one `editor_link` makes: the configured editor's form, for a file
    whose real path is inside `root` (what `sanitize_html` keeps besides web links).

    Without a root, or with `PUNIE_EDITOR=none`, no editor link is accepted.
    """
    import re
    import string
    from urllib.parse import unquote

    choice = os.environ.get("PUNIE_EDITOR", "pycharm").strip() or "pycharm"
    pattern = EDITORS.get(choice.lower(), choice)
    if root is None or choice == "none":
        return lambda href: False
    base = os.path.realpath(root)
    parts: list[str] = []
    named: set[str] = set()
    try:
        for literal, name, _, _ in string.Formatter().parse(pattern):
            parts.append(re.escape(literal))
            if name in ("path", "relative"):
                parts.append(f"(?P<{name}>[^?#&]+?)" if name not in named else f"(?P={name})")
                named.add(name)
            elif name in ("line", "column"):
                parts.append(r"\d{1,9}")
            elif name is not None:
                return lambda href: False
    except ValueError:  # a malformed template makes no links either
        return lambda href: False
    form = re.compile("".join(parts))

    def inside(path: str) -> bool:
        real = os.path.realpath(path)
        return real == base or real.startswith(base.rstrip(os.sep) + os.sep)

    def ok(href: str) -> bool:
        match = form.fullmatch(href)
        if match is None:
            return False
        found = match.groupdict()
        if found.get("path") is not None:
            path = unquote(found["path"])
            if not posixpath.isabs(path) or "\x00" in path or not inside(path):
                return False
        if found.get("relative") is not None:
            relative = unquote(found["relative"])
            if "\x00" in relative or ".." in relative.split("/"):
                return False
            if not inside(os.path.join(base, relative.lstrip("/"))):
                return False
        return bool(found)

    return ok


def plural(count: int, word: str) -> str:
    """`1 test`, `2 tests`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def noun_of(value: Any) -> tuple[type | None, bool]:
    """The noun class `value` is (or a non-empty list of), and whether it is a list."""
    from pydantic import BaseModel

    if isinstance(value, BaseModel):
        return type(value), False
    if isinstance(value, list | tuple) and value and isinstance(value[0], BaseModel):
        kind = type(value[0])
        if all(type(item) is kind for item in value):
            return kind, True
    return None, False


def noun_from_annotation(annotation: Any) -> type | None:
    """`TestResult` for `TestResult`, `list[TestResult]` or `TestResult | None` annotations."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = noun_from_annotation(argument)
        if found is not None:
            return found
    return None


@dataclass
class Rendered:
    """One value as HTML for a page.

    Attributes:
        html: The sanitized markup.
        noun: The noun's class name.
        plugin: The plugin whose view made it; None for the generic view.
        notice: Why the plugin's view was not used (it failed), if so.
    """

    html: str
    noun: str
    plugin: str | None = None
    notice: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"html": self.html, "noun": self.noun, "plugin": self.plugin}
        if self.notice:
            data["notice"] = self.notice
        return data


def _environment() -> Any:
    # Templates are plugin code, trusted like the plugin's Python (Jinja2's sandbox would cost
    # five times the render time and guard nothing more). What keeps the page safe is about
    # the values: escaping always on, and the allowlist after rendering.
    from jinja2 import Environment, StrictUndefined

    env: Any = Environment(
        autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    env.filters.pop("safe", None)  # nothing a template holds may be marked as markup
    env.globals["plural"] = plural
    return env


@dataclass
class ViewSet:
    """The views and pages of one toolbox, with their compiled templates.

    Args:
        views: The toolbox's `View` records (sorted; the first view of a noun wins).
        pages: Its `Page` records.
        nouns: Noun classes by name, to read stored JSON results back as nouns.
    """

    views: Iterable[View] = ()
    pages: Iterable[Page] = ()
    nouns: dict[str, type] = field(default_factory=dict)

    def __post_init__(self) -> None:
        by_noun: dict[str, View] = {}
        for view in self.views:
            by_noun.setdefault(view.name, view)
        self.by_noun = by_noun
        self.pages = tuple(self.pages)
        self._env: Any = None
        self._compiled: dict[tuple[str, str], Any] = {}

    @classmethod
    def of(cls, toolbox: Any) -> ViewSet:
        """The view set of a toolbox (built once per toolbox)."""
        found = getattr(toolbox, "_punie_views", None)
        if found is None:
            found = cls(
                views=getattr(toolbox, "views", ()),
                pages=getattr(toolbox, "pages", ()),
                nouns={n.name: n.model for n in getattr(toolbox, "nouns", ())},
            )
            object.__setattr__(toolbox, "_punie_views", found)  # a frozen dataclass
        return found

    # --- templates -------------------------------------------------------------------------

    @property
    def env(self) -> Any:
        if self._env is None:
            self._env = _environment()
        return self._env

    def template(self, key: tuple[str, str], source: str) -> Any:
        """Compile `source` once; refuse templates that turn escaping off.

        Raises:
            ViewError: It does not parse, or uses `|safe` / `{% autoescape %}`.
        """
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = compile_template(self.env, source, key[1])
        return compiled

    # --- values ----------------------------------------------------------------------------

    def render(self, value: Any, *, root: str | os.PathLike[str] | None = None) -> Rendered | None:
        """`value` as HTML: its plugin's view, else the generic view; None when not a noun."""
        kind, many = noun_of(value)
        if kind is None:
            return None
        name = kind.__name__
        view = self.by_noun.get(name)
        notice = None
        if view is not None:
            try:
                html = self._view_html(view, value, many, root)
                html = sanitize_html(html, editor_link_checker(root))
                return Rendered(html, name, view.plugin or None)
            except Exception as exc:  # a broken view must never break the page
                notice = (
                    f"The view of {name} from plugin {view.plugin or '?'} failed "
                    f"({type(exc).__name__}: {_one_line(str(exc))}); shown generically."
                )
        return Rendered(self.generic(value, name), name, None, notice)

    def render_stored(
        self, data: Any, noun: str | type | None, *, root: str | os.PathLike[str] | None = None
    ) -> Rendered | None:
        """A result kept as JSON (traces, logs) read back as its noun, then rendered."""
        kind: Any = self.nouns.get(noun) if isinstance(noun, str) else noun
        if kind is None or data is None:
            return None
        try:
            if isinstance(data, list):
                value: Any = [kind.model_validate(item) for item in data]
            else:
                value = kind.model_validate(data)
        except Exception:
            return None  # not (or no longer) that noun: the page shows the raw value
        return self.render(value, root=root)

    def generic(self, value: Any, name: str = "") -> str:
        """The generic schema view of `value`.

        The core's own template, with every name and value escaped: unlike a plugin's
        markup, it needs no pass through the allowlist.
        """
        template = self.template(("core", "generic"), GENERIC_TEMPLATE)
        return template.render(root=shape(value), noun=name)

    def _view_html(self, view: View, value: Any, many: bool, root: Any) -> str:
        helpers = self._helpers(root)
        if many and view.list_template:
            template = self.template((view.plugin, f"{view.name} list view"), view.list_template)
            return template.render(values=list(value), noun=view.name, **helpers)
        template = self.template((view.plugin, f"{view.name} view"), view.template)
        items = list(value) if many else [value]
        parts = []
        for item in items:
            extra = dict(view.prepare(item)) if view.prepare is not None else {}
            parts.append(template.render(value=item, noun=view.name, **helpers, **extra))
        if not many:
            return parts[0]
        joined = self.template(("core", "list"), LIST_TEMPLATE)
        from markupsafe import Markup

        return joined.render(items=[Markup(part) for part in parts], noun=view.name)

    def _helpers(self, root: Any) -> dict[str, Callable[..., Any]]:
        from markupsafe import Markup

        line_link = _link_maker(root)

        def generic(value: Any) -> Markup:
            return Markup(self.generic(value))

        return {"line_link": line_link, "generic": generic}

    # --- pages -----------------------------------------------------------------------------

    def page(self, plugin: str, path: str) -> Page | None:
        """The page a plugin serves at `/plugins/<plugin>/<path>`."""
        for page in self.pages:
            if page.plugin == plugin and page.path == path.strip("/"):
                return page
        return None

    def render_page(self, page: Page, context: dict[str, Any]) -> str:
        """A plugin page's body (sanitized HTML).

        Raises:
            Exception: Whatever the template raised (the caller shows an error page).
        """
        template = self.template((page.plugin, f"page {page.path or '/'}"), page.template)
        return sanitize_html(template.render(**context, **self._helpers(None)))


LIST_TEMPLATE = (
    '<div class="view-list" data-noun="{{ noun }}">'
    '{% for item in items %}<div class="view-item">{{ item }}</div>{% endfor %}</div>'
)


def compile_template(env: Any, source: str, where: str) -> Any:
    """A compiled template, refusing any way of turning escaping off.

    Raises:
        ViewError: The template does not parse, uses `|safe` or `{% autoescape %}`.
    """
    from jinja2 import TemplateSyntaxError, nodes

    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise ViewError(f"{where}: line {exc.lineno}: {exc.message}") from None
    for node in tree.find_all((nodes.Filter, nodes.EvalContextModifier)):
        if isinstance(node, nodes.EvalContextModifier) or node.name == "safe":
            raise ViewError(f"{where}: a view may not turn escaping off (|safe, autoescape)")
    try:
        return env.from_string(tree)
    except TemplateSyntaxError as exc:  # an unknown filter or test
        raise ViewError(f"{where}: line {exc.lineno}: {exc.message}") from None


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
