"""The tdom verbs through the toolbox gate and in Code Mode (real Monty sandbox)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from punie_tdom.nouns import ComponentCheck, ComponentSpec, Prop
from tdom_corpus import FIXTURES

from punie_core import ToolContext, ToolRefused, using_context, validate_source


def call(toolbox, root: Path, name: str, *args, **kwargs):
    async def run():
        with using_context(ToolContext.local(root)):
            return await toolbox.call(name, args, kwargs)

    return asyncio.run(run())


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    root = tmp_path / "blog_project"
    shutil.copytree(FIXTURES / "good_blog", root)
    return root


def test_list_components_describes_props_children_and_uses(toolbox, blog: Path) -> None:
    specs = call(toolbox, blog, "list_components", "blog")
    by_name = {s.name: s for s in specs}
    assert set(by_name) == {"Layout", "TagList", "PostCard"}
    layout = by_name["Layout"]
    assert layout.kind == "function" and layout.accepts_children
    assert [(p.name, p.type, p.default) for p in layout.props] == [
        ("title", "str", None),
        ("nav", "Template", 't""'),
    ]
    assert layout.used_in == ["blog/views.py"]
    card = by_name["PostCard"]
    assert card.kind == "dataclass" and card.accepts_children
    assert [p.name for p in card.props] == ["title", "slug", "tags", "draft"]
    assert by_name["TagList"].accepts_extra_attrs
    assert by_name["TagList"].used_in == ["blog/components.py", "blog/views.py"]
    assert card.path == "blog/components.py" and card.line > 0


def test_list_components_is_confined_to_the_workspace(toolbox, blog: Path) -> None:
    with pytest.raises(ToolRefused):
        call(toolbox, blog, "list_components", "../")


def test_validate_component_checks_unsaved_source_and_offers_fixes(toolbox, blog: Path) -> None:
    source = (
        "from string.templatelib import Template\n\n\n"
        "def Hello(*, name: str) -> Template:\n"
        "    return f'<p>Hello {name}</p>'\n"
    )
    result: ComponentCheck = call(
        toolbox, blog, "validate_component", path="blog/hello.py", source=source
    )
    assert not result.ok
    assert [(d.path, d.line, d.rule, d.fixable) for d in result.diagnostics] == [
        ("blog/hello.py", 5, "TDOM012", True)
    ]
    assert (
        result.fixed_source is not None and "return t'<p>Hello {name}</p>'" in result.fixed_source
    )
    assert [c.name for c in result.components] == ["Hello"]
    assert not (blog / "blog/hello.py").exists()  # nothing written


def test_validate_component_reads_a_workspace_file(toolbox, blog: Path) -> None:
    result = call(toolbox, blog, "validate_component", path="blog/components.py")
    assert result.ok and result.fixed_source is None
    assert {c.name for c in result.components} == {"Layout", "TagList", "PostCard"}


@pytest.mark.parametrize("kind", ["function", "dataclass"])
def test_scaffolded_component_and_test_pass_the_checks(toolbox, blog: Path, kind: str) -> None:
    spec = ComponentSpec(
        name="UserCard",
        kind=kind,
        props=[Prop(name="name"), Prop(name="visits", type="int", default="0")],
        accepts_children=True,
        template="<div class='user'><b>{name}</b> ({visits}){children}</div>",
        path="blog/user_card.py",
    )
    scaffold = call(toolbox, blog, "scaffold_component", spec)
    (blog / scaffold.path).write_text(scaffold.code)
    (blog / scaffold.test_path).parent.mkdir(parents=True, exist_ok=True)
    (blog / scaffold.test_path).write_text(scaffold.test)
    assert scaffold.test_path == "tests/test_user_card.py"
    assert "from blog.user_card import UserCard" in scaffold.test
    for rel, code in ((scaffold.path, scaffold.code), (scaffold.test_path, scaffold.test)):
        assert validate_source(str(blog / rel), code, toolbox) == [], code
    listed = {s.name: s for s in call(toolbox, blog, "list_components", ".")}
    assert [p.name for p in listed["UserCard"].props] == ["name", "visits"]
    assert listed["UserCard"].used_in == ["tests/test_user_card.py"]


def test_scaffold_refuses_a_spec_that_cannot_be_code(toolbox, blog: Path) -> None:
    with pytest.raises(ValueError, match="children"):
        call(
            toolbox,
            blog,
            "scaffold_component",
            ComponentSpec(name="X", props=[Prop(name="children")]),
        )


def test_code_mode_snippet_loops_over_components(toolbox, blog: Path) -> None:
    from punie_core import run_sync

    code = (
        'for c in list_components("blog"):\n'
        "    print(c.name, [p.name for p in c.props], c.accepts_children)\n"
        'spec = ComponentSpec(name="Alert", props=[Prop(name="message")])\n'
        "s = scaffold_component(spec)\n"
        "print(s.path, s.test_path)\n"
        'check = validate_component(path="blog/views.py")\n'
        "check.ok"
    )
    result = run_sync(code, toolbox=toolbox, context=ToolContext.local(blog))
    assert result.ok, result.error
    assert result.stdout.splitlines() == [
        "Layout ['title', 'nav'] True",
        "TagList ['tags'] False",
        "PostCard ['title', 'slug', 'tags', 'draft'] True",
        "components/alert.py tests/test_alert.py",
    ]
    assert result.value is True
