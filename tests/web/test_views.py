"""Views: every first-party view on hostile values, the generic schema view, failing views, the
allowlist. (The same views in a real browser, from real tool results: test_workplace.py.)"""

from __future__ import annotations

import re
import types
import typing
from html.parser import HTMLParser

import pytest
from pydantic import BaseModel

from punie_core import View, hookimpl
from punie_core.plugins.loader import candidate_from_object, load_toolbox
from punie_core.views import ViewSet, safe_href, sanitize_html

HOSTILE = (
    "<script>document.title='pwned'</script>"
    "<img src=x onerror=\"document.title='pwned'\">"
    '<a href="javascript:document.title=1">click</a>'
)


class Parsed(HTMLParser):
    """The elements, attributes and text of rendered HTML, as a browser would see them."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def assert_inert(html: str) -> Parsed:
    """No element, attribute or link in `html` can run script."""
    parsed = Parsed(html)
    for tag, attributes in parsed.tags:
        assert tag not in {"script", "style", "img", "form", "input", "object", "embed", "svg"}
        for name, value in attributes.items():
            assert not name.startswith("on") and name not in {"id", "style", "src", "action"}
            if name == "href":
                assert safe_href(value or "") is not None, value
                assert not (value or "").lower().lstrip().startswith(("javascript", "data"))
        if tag == "iframe":
            assert attributes.get("sandbox") == "" and "srcdoc" in attributes
    return parsed


def hostile_value(annotation: typing.Any) -> typing.Any:
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation is str:
        return HOSTILE
    if annotation in (int, float):
        return 3
    if annotation is bool:
        return True
    if origin is typing.Literal:
        return arguments[0]
    if origin in (list, tuple):
        return [hostile_value(arguments[0])]
    if origin in (typing.Union, types.UnionType):
        return hostile_value(next(a for a in arguments if a is not type(None)))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return hostile(annotation)
    return None


def hostile(model: type[BaseModel]) -> BaseModel:
    """An instance of `model` with hostile text in every string field, nested ones included."""
    fields = {name: hostile_value(f.annotation) for name, f in model.model_fields.items()}
    return model.model_validate(fields)


def first_party_values() -> list[tuple[str, str, object]]:
    from punie_quality import results
    from punie_svcs.nouns import ServiceRegistration
    from punie_tdom.nouns import ComponentSpec

    from punie_core.toolmaking.nouns import LibraryTool, ToolDraft

    report = hostile(results.TestResult)
    report.tests[0].outcome = "failed"  # shown in the failures, not only in the table
    return [
        ("quality", "TestResult", report),
        ("quality", "RuffResult", hostile(results.RuffResult)),
        ("quality", "TypeCheckResult", hostile(results.TypeCheckResult)),
        ("quality", "FormatResult", hostile(results.FormatResult)),
        ("tdom", "ComponentSpec", [hostile(ComponentSpec)]),
        ("svcs", "ServiceRegistration", [hostile(ServiceRegistration)] * 2),
        ("svcs", "ServiceRegistration", hostile(ServiceRegistration)),
        ("core", "ToolDraft", hostile(ToolDraft)),
        ("core", "LibraryTool", [hostile(LibraryTool)] * 2),
    ]


@pytest.mark.parametrize(
    ("plugin", "noun", "value"), first_party_values(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_first_party_view_shows_hostile_values_as_text(
    plugin, noun, value, tmp_path, loaded_toolbox
):
    shown = ViewSet.of(loaded_toolbox).render(value, root=tmp_path)
    assert (shown.plugin, shown.noun, shown.notice) == (plugin, noun, None)
    parsed = assert_inert(shown.html)
    assert HOSTILE in "".join(parsed.text)  # the markup is there, as text
    links = [a["href"] for tag, a in parsed.tags if tag == "a" and a.get("href")]
    if plugin != "core" and (noun != "FormatResult" or value.files):  # core nouns name no file
        assert links and all(link.startswith("http://localhost:63342/api/file/") for link in links)


def test_the_tdom_preview_is_a_sandboxed_frame_of_the_components_markup(tmp_path, loaded_toolbox):
    from punie_tdom.nouns import ComponentSpec, Prop

    spec = ComponentSpec(
        name="Card",
        props=[Prop(name="title"), Prop(name="tone", default='"info"')],
        accepts_children=True,
        template="<div class={tone}><h2>{title}</h2>{children}<script>alert(1)</script></div>",
        path="app/card.py",
        line=4,
    )
    shown = ViewSet.of(loaded_toolbox).render(spec, root=tmp_path)
    frames = [a for tag, a in assert_inert(shown.html).tags if tag == "iframe"]
    assert len(frames) == 1 and frames[0]["sandbox"] == ""
    assert '<div class="info"><h2>title</h2>[children]<script>' in frames[0]["srcdoc"]


def test_a_noun_without_a_view_renders_from_its_schema_with_its_real_field_names():
    from punie_quality.results import RuffResult, Violation

    violation = Violation(
        file="app.py", line=3, column=1, end_line=3, end_column=9,
        code="F401", name="unused-import", message="`os` imported but unused",
    )  # fmt: skip
    html = ViewSet().generic(RuffResult(success=False, violations=[violation]), "RuffResult")
    assert_inert(html)
    columns = re.findall(r"<th>(.*?)</th>", html)
    assert columns == list(Violation.model_fields)  # file, line, column, ..., code, name, ...
    cells = re.findall(r"<td>(.*?)</td>", html.split("<tbody>")[1])
    assert cells[0] == '<span class="v-str">app.py</span>'
    assert cells[columns.index("code")] == '<span class="v-str">F401</span>'


class Fragile(BaseModel):
    """A noun whose plugin's view is broken."""

    text: str


@pytest.mark.parametrize(
    "template",
    [
        "{{ value.text.no_such_method() }}",  # raises while rendering
        "{{ value.text | safe }}",  # refused: escaping cannot be turned off
        "{% autoescape false %}{{ value.text }}{% endautoescape %}",  # refused
        "{% if %}",  # does not compile
    ],
)
def test_a_failing_view_falls_back_to_the_generic_view_with_a_notice(template):
    @hookimpl
    def punie_views():
        yield View(Fragile, template)

    module = types.ModuleType("fragile")
    module.punie_views = punie_views
    box = load_toolbox(
        entry_points=False, builtins=False, extra=[candidate_from_object(module, "fragile")]
    )
    shown = ViewSet.of(box).render(Fragile(text=HOSTILE))
    assert shown.plugin is None and "plugin fragile failed" in shown.notice
    parsed = assert_inert(shown.html)
    assert 'class="view generic"' in shown.html and HOSTILE in "".join(parsed.text)


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<script>alert(1)</script>ok", "ok"),
        ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href=" java\tscript:alert(1)">x</a>', "<a>x</a>"),
        ('<a href="data:text/html,x">x</a>', "<a>x</a>"),
        ('<a href="//evil.example">x</a>', "<a>x</a>"),
        (
            '<a href="/sessions/1">x</a>',
            '<a href="/sessions/1" rel="noopener noreferrer">x</a>',
        ),
        ('<img src=x onerror="alert(1)">text', "text"),
        ('<div id="prompt" onclick="x()" style="a" class="c">t</div>', '<div class="c">t</div>'),
        (
            '<iframe src="http://e" srcdoc="<b>x</b>" sandbox="allow-scripts"></iframe>',
            '<iframe srcdoc="&lt;b&gt;x&lt;/b&gt;" sandbox="" referrerpolicy="no-referrer">'
            "</iframe>",
        ),
        ('<iframe src="http://e"></iframe>after', "after"),
        ("<svg><script>alert(1)</script></svg>x", "x"),
        ("<form action=/api><input name=a><button>go</button></form>", "go"),
        ("<b>unclosed", "<b>unclosed</b>"),
        ("&lt;script&gt;", "&lt;script&gt;"),
    ],
)
def test_the_allowlist_rebuilds_markup_without_anything_that_runs(markup, expected):
    assert sanitize_html(markup) == expected


def test_editor_links_pass_only_in_the_form_punie_makes_for_a_workspace_file(
    tmp_path, monkeypatch
) -> None:
    from punie_core.views.render import editor_link, editor_link_checker

    (tmp_path / "app.py").write_text("x = 1\n")
    (tmp_path / "out.py").symlink_to("/etc/hostname")
    for editor in ("vscode", "zed", "cursor://file/{path}:{line}"):
        monkeypatch.setenv("PUNIE_EDITOR", editor)
        ok = editor_link_checker(tmp_path)
        own = editor_link(tmp_path, "app.py", 3)
        html = sanitize_html(
            f'<a href="{own}">mine</a>'
            '<a href="vscode://ms-vscode.remote/run?cmd=curl%20evil">ext</a>'
            '<a href="cursor://anysphere.cursor-retrieval/x">ext</a>'
            '<a href="zed://file/etc/passwd:1:1">abs</a>'
            f'<a href="{editor_link(tmp_path, "../../etc/passwd")}">up</a>'
            f'<a href="{editor_link(tmp_path, "out.py")}">link</a>',
            ok,
        )
        assert [a for a in re.findall(r'href="([^"]*)"', html)] == [own], (editor, html)
    assert "vscode:" not in sanitize_html('<a href="vscode://file//tmp/a.py:1:1">x</a>')
    assert safe_href("vscode://file//tmp/a.py:1:1") is None  # no workspace: no editor link
