"""One test per hookspec, the order hooks fire in, and meta-tests: every hook documented, tested."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from punie_core import Finding, Skill, Term, Tool, Validator, hookimpl
from punie_core.plugins.hookspecs import COLLECTION_HOOKS, PunieSpecs
from punie_core.plugins.loader import Candidate, hook_signature, load_toolbox

from .conftest import ROOT

HOOKS = sorted(name for name in dir(PunieSpecs) if name.startswith("punie_"))
HOOKS_DOC = ROOT / "docs" / "plugins" / "hooks.md"


def greet(name: str) -> str:
    """Say hello.

    Args:
        name: Who to greet.
    """
    return f"hello {name}"


class Greeting(BaseModel):
    """A greeting nobody's tool returns (declared to name it in the prompt)."""

    text: str


def test_hook_punie_tools(punie_register, punie_toolbox_factory) -> None:
    @hookimpl
    def punie_tools():
        yield Tool(greet, kind="other", timeout=5)

    punie_register(punie_tools, name="greeter", distribution="punie-greeter")
    toolbox = punie_toolbox_factory()
    tool = toolbox.tool("greet")
    assert (tool.plugin, tool.distribution, tool.timeout) == ("greeter", "punie-greeter", 5)
    assert [t.name for t in toolbox.tools] == sorted(t.name for t in toolbox.tools)
    assert "greeter tools: greet(name)" in toolbox.prompt  # one line per plugin, parameters only


def test_hook_punie_nouns(punie_register, punie_toolbox_factory) -> None:
    @hookimpl
    def punie_nouns():
        yield Greeting  # a bare model class is wrapped in a Noun

    punie_register(punie_nouns, name="greeter")
    toolbox = punie_toolbox_factory()
    noun = next(n for n in toolbox.nouns if n.name == "Greeting")
    assert (noun.model, noun.plugin) == (Greeting, "greeter")
    assert "\nclass Greeting:\n" in toolbox.stubs
    from punie_core.builtin.disclosure import help_text

    assert "class Greeting:" in help_text(toolbox, "Greeting")  # behind tool_help, not the prompt


def test_hook_punie_skills(tmp_path: Path, punie_register, punie_toolbox_factory) -> None:
    skill_dir = tmp_path / "greeting"
    (skill_dir / "references").mkdir(parents=True)
    (skill_dir / "SKILL.md").write_text(
        "---\nname: greeting\ndescription: How to greet.\n---\n\nSay hi.\n"
    )
    (skill_dir / "references" / "formal.md").write_text("Good day.\n")

    @hookimpl
    def punie_skills():
        yield Skill.from_path(skill_dir)

    punie_register(punie_skills, name="greeter")
    toolbox = punie_toolbox_factory()
    skill = toolbox.skill("greeting")
    assert (skill.plugin, skill.body.strip(), skill.references) == (
        "greeter",
        "Say hi.",
        {"formal.md": "Good day.\n"},
    )
    assert "- greeting: How to greet." in toolbox.prompt


def test_hook_punie_validators(punie_register, punie_toolbox_factory) -> None:
    def no_shouting(path: str, source: str) -> list[Finding]:
        return [Finding(path, 1, 1, "GRT001", "do not shout")] if source.isupper() else []

    @hookimpl
    def punie_validators():
        yield Validator(
            name="greeting_tone",
            layer="conventions",
            rules={"GRT001": "shouting"},
            check=no_shouting,
        )

    punie_register(punie_validators, name="greeter")
    validator = next(v for v in punie_toolbox_factory().validators if v.name == "greeting_tone")
    assert validator.plugin == "greeter"
    assert list(validator.check("a.py", "HELLO")) == [
        Finding("a.py", 1, 1, "GRT001", "do not shout")
    ]


def test_hook_punie_vocabulary(punie_register, punie_toolbox_factory) -> None:
    @hookimpl
    def punie_vocabulary():
        yield Term("greeting", "what you say first")

    punie_register(punie_vocabulary, name="greeter")
    toolbox = punie_toolbox_factory()
    assert [(t.name, t.plugin) for t in toolbox.vocabulary] == [("greeting", "greeter")]
    from punie_core.builtin.disclosure import help_text

    assert help_text(toolbox, "greeting") == "greeting: what you say first\n"


def test_hook_punie_views(punie_register, punie_toolbox_factory) -> None:
    from punie_core import Page, View
    from punie_core.views import ViewSet

    @hookimpl
    def punie_views():
        yield View(Greeting, "<p class='greeting'>{{ value.text }}</p>")
        yield Page(
            "Greetings",
            "<h1>{{ title }}</h1>{% for r in results %}{{ r.html }}{% endfor %}",
            path="all",
            nouns=(Greeting,),
        )

    punie_register(punie_views, name="greeter", distribution="punie-greeter")
    toolbox = punie_toolbox_factory()
    mine = [v for v in toolbox.views if v.plugin != "core"]  # the core views its own nouns
    assert [(v.name, v.plugin, v.distribution) for v in mine] == [
        ("Greeting", "greeter", "punie-greeter")
    ]
    assert [(p.plugin, p.path, p.nouns) for p in toolbox.pages if p.plugin != "core"] == [
        ("greeter", "all", ("Greeting",))
    ]
    views = ViewSet.of(toolbox)
    shown = views.render(Greeting(text="<b>hi</b>"))
    assert (shown.plugin, shown.notice) == ("greeter", None)
    assert shown.html == '<p class="greeting">&lt;b&gt;hi&lt;/b&gt;</p>'
    page = views.page("greeter", "all")
    assert views.render_page(page, {"title": "Greetings", "results": []}) == "<h1>Greetings</h1>"


def test_a_malformed_view_record_excludes_its_plugin(punie_register, punie_toolbox_factory) -> None:
    @hookimpl
    def punie_views():
        yield "<p>not a View</p>"

    from punie_core.plugins.loader import PluginError

    punie_register(punie_views, name="broken")
    with pytest.raises(PluginError, match="yielded str .* expected View or Page"):
        punie_toolbox_factory()  # strict here; in use the plugin is excluded and reported


# test_hook_punie_render_stub lives in test_stubs.py, beside the other stub tests.


def test_lifecycle_order_every_plugin_loads_before_any_hook_and_render_comes_last() -> None:
    events: list[str] = []

    def plugin_named(name: str) -> object:
        def tool() -> str:
            return name

        tool.__name__ = f"{name}_tool"
        tool.__doc__ = "A tool."

        class Plugin:
            @hookimpl
            def punie_tools(self):
                events.append(f"{name}:punie_tools")
                yield Tool(tool)

            @hookimpl
            def punie_nouns(self):
                events.append(f"{name}:punie_nouns")
                return []

            @hookimpl
            def punie_skills(self):
                events.append(f"{name}:punie_skills")
                return []

            @hookimpl
            def punie_validators(self):
                events.append(f"{name}:punie_validators")
                return []

            @hookimpl
            def punie_vocabulary(self):
                events.append(f"{name}:punie_vocabulary")
                return []

            @hookimpl
            def punie_views(self):
                events.append(f"{name}:punie_views")
                return []

            @hookimpl
            def punie_render_stub(self, record):
                events.append(f"{name}:punie_render_stub:{record.name}")
                return None

        return Plugin()

    def candidate(name: str) -> Candidate:
        def load() -> object:
            events.append(f"{name}:load")
            return plugin_named(name)

        return Candidate(name, f"punie-{name}", "1", load)

    load_toolbox(
        entry_points=False, builtins=False, extra=[candidate("a"), candidate("b")], strict=True
    )
    collection = [f"{p}:{hook}" for p in "ab" for hook in COLLECTION_HOOKS]
    assert events[:2] == ["a:load", "b:load"]
    assert events[2:14] == collection
    assert list(COLLECTION_HOOKS) == [
        "punie_tools",
        "punie_nouns",
        "punie_skills",
        "punie_validators",
        "punie_vocabulary",
        "punie_views",
    ]
    # Render: records sorted by name, and per record the last registered plugin asked first.
    assert events[14:] == [
        "b:punie_render_stub:a_tool",
        "a:punie_render_stub:a_tool",
        "b:punie_render_stub:b_tool",
        "a:punie_render_stub:b_tool",
    ]


def test_a_collection_hook_may_not_be_a_wrapper(punie_pm) -> None:
    from punie_core.plugins.loader import PluginError, candidate_from_object, module_from_functions

    @hookimpl(wrapper=True)
    def punie_tools():
        return (yield)

    module = module_from_functions("wrapping", punie_tools)
    with pytest.raises(PluginError, match="collection hook and cannot be a wrapper"):
        load_toolbox(
            entry_points=False, extra=[candidate_from_object(module, "wrapping")], strict=True
        )


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_reference_section(hook: str) -> None:
    text = HOOKS_DOC.read_text()
    heading = f"## {hook_signature(hook)}"
    assert re.search(rf"^{re.escape(heading)}$", text, re.MULTILINE), (
        f"docs/plugins/hooks.md has no section '{heading}'"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook: str) -> None:
    names = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        tree = ast.parse(path.read_text())
        names |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert f"test_hook_{hook}" in names


def test_every_hook_is_documented_in_its_spec() -> None:
    for hook in HOOKS:
        doc = getattr(PunieSpecs, hook).__doc__ or ""
        assert "Example:" in doc and ("Yields:" in doc or "Returns:" in doc), hook


def test_docs_describe_no_hook_that_does_not_exist() -> None:
    documented = re.findall(r"^## (punie_\w+)\(", HOOKS_DOC.read_text(), re.MULTILINE)
    assert sorted(documented) == HOOKS
