"""The web UI as a place to work, in headless Chromium: sessions started and resumed from the
dashboard, and typed results shown by their plugins' views (real tools, hostile values)."""

from __future__ import annotations

import textwrap
import types
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from pydantic import BaseModel

from punie_core import AutoApprove, Tool, ToolContext, View, hookimpl
from punie_core.plugins.loader import candidate_from_object, load_toolbox
from punie_core.security.workspace import Workspace

pytestmark = pytest.mark.slow

PWNED = "<script>document.title='pwned'</script>"


def test_a_session_started_from_the_dashboard_streams_and_is_resumed_later(
    workplace, page, tmp_path, screenshot
):
    first = workplace(
        [{"text": "Hello from a session started in the browser.", "chunks": 8, "chunk_delay": 0.1}]
    )
    project = tmp_path / "project"
    page.goto(first.url)
    recent = page.locator(f'#recent-projects button.project[data-path="{project}"]')
    expect(recent).to_be_visible()  # this agent's project is offered first
    page.locator("#start-project").fill("relative/path")
    page.locator("#start-button").click()
    expect(page.locator("#start-status")).to_contain_text("absolute path")
    recent.click()
    expect(page.locator("#start-project")).to_have_value(str(project))
    page.locator("#start-mode").select_option("accept-edits")
    page.locator("#start-prompt").fill("say hello")
    page.locator("#start-prompt").press("Control+Enter")
    page.wait_for_url(lambda url: "/sessions/" in url)
    expect(page.locator(".msg.user .text")).to_have_text("say hello")
    answer = page.locator(".msg.assistant .text")
    expect(answer).not_to_have_text("")  # streaming: some of it is there...
    expect(answer).to_have_text("Hello from a session started in the browser.")  # ...then all
    expect(page.locator(".outcome")).to_contain_text("end_turn")
    session_id = urlsplit(page.url).path.rsplit("/", 1)[1]
    assert first.web.hub.view(session_id).mode == "accept-edits"
    workplace.stop(first)  # the agent goes away; its session stays in the traces

    second = workplace([{"text": "Continued where we left off."}])
    page.goto(second.url)
    row = page.locator(f'#history tr[data-session="{session_id}"]')
    expect(row).to_contain_text("say hello")
    screenshot(page, "dashboard-start")
    row.locator("button.resume").click()
    page.wait_for_url(lambda url: urlsplit(url).path == f"/sessions/{session_id}")
    expect(page.locator(".msg.user.restored")).to_contain_text("say hello")
    expect(page.locator(".msg.assistant .text").first).to_have_text(
        "Hello from a session started in the browser."
    )
    expect(page.locator(".restored-note")).to_contain_text("1 earlier turn")
    page.locator("#prompt").fill("and now?")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".msg.assistant .text").nth(1)).to_have_text("Continued where we left off.")
    screenshot(page, "resumed")
    sent = second.servers[0].chat_requests[-1].body["messages"]
    texts = [str(m.get("content")) for m in sent]
    assert any("say hello" in t for t in texts)  # the model got the earlier conversation
    assert any("Hello from a session started in the browser." in t for t in texts)
    assert "and now?" in texts[-1]


class Fragile(BaseModel):
    """A note whose plugin's view is broken."""

    text: str


def fragile_note() -> Fragile:
    """A note with markup in it."""
    return Fragile(text=PWNED + '<a href="javascript:document.title=1">x</a>')


@hookimpl
def punie_tools():
    yield Tool(fragile_note)


@hookimpl
def punie_views():
    yield View(Fragile, "<p>{{ value.text.not_a_method() }}</p>")


HOSTILE_PROJECT = {
    "app/<img src=x onerror=document.title='pwned'>.py": "import os\n",
    "app/typed.py": f'x: int = "{PWNED}"\n',
    "app/registry.py": """\
        import svcs


        class Mailer:
            pass


        def make_mailer() -> Mailer:
            return Mailer()


        registry = svcs.Registry()
        registry.register_factory(Mailer, make_mailer)
        registry.register_value(str, "<script>document.title='pwned'</script>")
        """,
    "tests/test_markup.py": """\
        import pytest


        @pytest.mark.parametrize("text", ["<script>document.title='pwned'</script>"])
        def test_markup(text):
            assert text == "<b>safe</b>"
        """,
    "ui/components.py": """\
        from string.templatelib import Template


        def Card(*, title: str, children: Template) -> Template:
            return t"<div class='card'><h2>{title}</h2>{children}<script>document.title='pwned'</script><a href='javascript:document.title=1'>x</a></div>"
        """,  # noqa: E501 - the component's template is one line
}

SNIPPET = """\
lint = ruff_check(paths=["app"])
types = typecheck(paths=["app"])
tests = pytest_run(paths=["tests"])
components = list_components("ui")
services = list_services("app")
note = fragile_note()
print(lint.violation_count, types.error_count, tests.failed, len(components), len(services))
"""


def test_first_party_views_show_real_results_and_hostile_values_stay_text(
    agent, page, tmp_path, screenshot
):
    project = tmp_path / "hostile"
    for name, text in HOSTILE_PROJECT.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    fragile = types.ModuleType("fragile")
    fragile.punie_tools, fragile.punie_views = punie_tools, punie_views
    box = load_toolbox(extra=[candidate_from_object(fragile, "fragile")])
    session = open_session(agent, project, box)
    page.goto(f"{agent.web.base_url}/sessions/{session.id}?token={agent.web.token}")
    expect(page.locator("body[data-ready='1']")).to_have_count(1)
    outcome = agent.prompt(session, "check everything")
    expect(page.locator(".outcome")).to_contain_text("end_turn", timeout=90_000)
    assert outcome.result(10).stop_reason == "end_turn"

    def card(tool: str):
        return page.locator(f'.card.tool[data-tool="{tool}"] .view-box')

    ruff = card("ruff_check")
    expect(ruff).to_have_attribute("data-plugin", "quality")
    expect(ruff.locator("th").first).to_have_text("file")
    evil_file = "app/<img src=x onerror=document.title='pwned'>.py"
    expect(ruff.locator("td a.line-link")).to_have_text(evil_file)
    expect(ruff.locator("td code")).to_have_text("F401")
    href = ruff.locator("td a.line-link").get_attribute("href")
    assert href.startswith("http://localhost:63342/api/file/app/") and href.endswith(":1:8")
    expect(card("typecheck").locator("td").nth(4)).to_contain_text(PWNED)
    tests = card("pytest_run")
    expect(tests.locator(".verdict")).to_have_text("tests failed")
    expect(tests.locator(".failure a.line-link")).to_contain_text(f"test_markup[{PWNED}]")
    component = card("list_components")
    expect(component).to_have_attribute("data-plugin", "tdom")
    expect(component.locator("table.props td code").first).to_have_text("title")
    frame = component.locator("iframe.preview")
    expect(frame).to_have_attribute("sandbox", "")
    expect(page.frame_locator("iframe.preview").locator("h2")).to_have_text("title")
    expect(page.frame_locator("iframe.preview").locator(".card")).to_contain_text("[children]")
    services = card("list_services")
    expect(services.locator("table.services tbody tr")).to_have_count(2)
    expect(services.locator("td code").nth(3)).to_have_text(f'"{PWNED}"')
    broken = card("fragile_note")
    expect(broken.locator(".view-notice")).to_contain_text("plugin fragile failed")
    expect(broken.locator(".view.generic dd")).to_contain_text(PWNED)
    screenshot(page, "views")

    main = page.locator("#transcript")
    found = main.locator("script, img, form, [onerror], [onclick], [style]")
    assert found.evaluate_all("nodes => nodes.map(n => n.outerHTML.slice(0, 200))") == []
    hrefs = main.locator("a[href]").evaluate_all("links => links.map(a => a.href)")
    assert hrefs and not [h for h in hrefs if not h.startswith(("http:", "https:"))]
    assert page.evaluate("document.title") != "pwned"

    response = page.goto(f"{agent.web.base_url}/plugins/quality/?token={agent.web.token}")
    assert "sandbox" in response.headers["content-security-policy"]
    expect(page.locator("h1")).to_have_text("Quality reports")
    expect(page.locator(".report-card")).to_have_count(3)  # tests, lint, types
    expect(page.locator(".report-card .view.tests .failure")).to_contain_text(PWNED)
    assert page.locator("script, img").count() == 0 and page.title() != "pwned"
    screenshot(page, "plugin-page")


def open_session(agent, project: Path, box) -> object:
    """A session on `project` whose every call is allowed, shown in the agent's web UI."""
    from punie_core.agent.session import Session
    from punie_core.testing.scripted_model import ScriptedModelServer

    server = ScriptedModelServer(
        [
            {"tool_calls": [{"name": "execute_code", "arguments": {"code": SNIPPET}}]},
            {"text": "Checked."},
        ]
    ).start()
    agent.servers.append(server)

    async def create() -> object:
        context = ToolContext(workspace=Workspace.at(project), permissions=AutoApprove())
        session = Session(
            cwd=project, model=server.model_string, context=context, toolbox=box, traces=False
        )
        agent.web.attach(session)
        return session

    return agent.loop.run(create())
