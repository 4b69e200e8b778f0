"""The web UI in headless Chromium: dashboard, live transcript, approvals, prompts, cancel."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from punie_core.testing.scripted_model import ScriptedModelServer
from punie_core.web import registry

pytestmark = pytest.mark.slow

WRITE_CODE = (
    'result = write_file(path="app/hello.py", content="def hello():\\n    return 42\\n")\n'
    "print(result)"
)
LOOK_CODE = (
    '# look around\nfiles = list_files("**/*.txt")\n'
    "for name in files:\n    print(name, len(read_file(name)))"
)


def write_script(code: str = WRITE_CODE) -> list[dict]:
    return [
        {"tool_calls": [{"name": "execute_code", "arguments": {"code": code}}]},
        {"text": "All done."},
    ]


def test_dashboard_opens_with_the_token_and_keeps_it_out_of_cookies(agent, page, screenshot):
    page.goto(agent.url)
    expect(page.locator("h1")).to_have_text("Sessions")
    expect(page.locator("#agents tbody tr.current")).to_have_count(1)
    expect(page.locator("#agent-info")).to_contain_text(f"pid {os.getpid()}")
    # A cookie would be sent to every other server on 127.0.0.1: the token is never one.
    assert page.context.cookies() == []
    # Links to this server's pages carry it in their address (this origin only).
    href = page.locator("a.brand").get_attribute("href")
    assert href == f"/?token={agent.web.token}"
    screenshot(page, "dashboard")


def test_a_scripted_session_appears_and_updates_live(agent, page, tmp_path, screenshot):
    page.goto(agent.url)
    expect(page.locator("#no-sessions")).to_be_visible()
    slow_text = {
        "text": "I found notes.txt; it has 5 characters.",
        "chunks": 6,
        "chunk_delay": 0.15,
    }
    session = agent.session(
        [{"tool_calls": [{"name": "execute_code", "arguments": {"code": LOOK_CODE}}]}, slow_text]
    )
    (session.cwd / "notes.txt").write_text("hello")
    row = page.locator(f'#sessions tr[data-session="{session.id}"]')
    expect(row).to_be_visible()  # appeared without a reload
    expect(row).to_have_attribute("data-state", "idle")

    page.locator(f'#sessions tr[data-session="{session.id}"] a.session-link').click()
    expect(page.locator("body[data-ready='1']")).to_have_count(1)
    outcome = agent.prompt(session, "what text files are there?")
    expect(page.locator(".msg.user")).to_contain_text("what text files are there?")
    snippet = page.locator(".card.snippet")
    expect(snippet.locator(".tok-comment")).to_have_text("# look around")
    expect(snippet.locator(".tok-keyword").first).to_have_text("for")
    expect(page.locator('.card.tool[data-tool="read_file"] .status')).to_have_text("ok")
    expect(page.locator('.card.tool[data-tool="list_files"] .result')).to_contain_text("notes.txt")
    expect(page.locator('.card.tool[data-tool="read_file"] .result-type')).to_have_text("str")
    expect(page.locator(".msg.assistant .text")).to_have_text(
        "I found notes.txt; it has 5 characters."
    )
    expect(page.locator(".outcome")).to_contain_text("end_turn")
    expect(page.locator("#state")).to_have_attribute("data-state", "finished")
    assert not re.search(r"tokens 0 / 0$", page.locator("#tokens").inner_text())
    assert outcome.result(10).stop_reason == "end_turn"
    screenshot(page, "session")

    page.goto(agent.url)  # the token travels in the address, never in a cookie
    expect(row).to_have_attribute("data-state", "finished")
    expect(row.locator("td").nth(4)).not_to_have_text("0 / 0")


def open_a_pending_write(agent, page):
    """Open a session page and prompt until its write waits for approval there."""
    session = agent.session(write_script())
    page.goto(f"{agent.web.base_url}/sessions/{session.id}?token={agent.web.token}")
    expect(page.locator("body[data-ready='1']")).to_have_count(1)
    outcome = agent.prompt(session, "add a hello function")
    card = page.locator("#approvals .card.approval")
    expect(card).to_be_visible()
    return session, outcome, card


def test_approving_a_pending_write_from_the_page_writes_the_file(agent, page, screenshot):
    session, outcome, card = open_a_pending_write(agent, page)
    expect(card.locator(".diff-add").first).to_have_text("+def hello():\n")
    expect(page.locator("#state")).to_have_attribute("data-state", "waiting_approval")
    screenshot(page, "approval")
    target = session.cwd / "app" / "hello.py"
    assert not target.exists()
    page.keyboard.press("a")
    expect(card).to_have_count(0)
    expect(page.locator(".note.allowed")).to_contain_text("allowed in the browser")
    expect(page.locator('.card.tool[data-tool="write_file"] .status')).to_have_text("ok")
    result = page.locator('.card.tool[data-tool="write_file"] .result')
    expect(result.locator(".result-type")).to_have_text("WriteResult")
    expect(result.locator("dl.fields dt").first).to_have_text("path")
    expect(result.locator("dl.fields dd").first).to_have_text("app/hello.py")
    expect(page.locator("main")).not_to_contain_text("[object")
    assert outcome.result(15).stop_reason == "end_turn"
    assert target.read_text() == "def hello():\n    return 42\n"


def test_rejecting_a_pending_write_from_the_page_leaves_the_disk_alone(agent, page, screenshot):
    session, outcome, card = open_a_pending_write(agent, page)
    card.locator("button.reject").click()
    expect(card).to_have_count(0)
    expect(page.locator(".note.rejected")).to_contain_text("rejected in the browser")
    expect(page.locator('.card.tool[data-tool="write_file"] .status')).to_have_text("refused")
    expect(page.locator(".card.snippet > .card-head .status.failed")).to_have_count(1)
    result = outcome.result(15)
    assert result.stop_reason == "end_turn"
    assert not (session.cwd / "app" / "hello.py").exists()
    refused = [c for c in result.tool_calls if c["tool"] == "write_file"]
    assert refused and refused[0]["refused"]
    screenshot(page, "rejected")


def test_a_prompt_sent_from_the_page_can_be_cancelled_from_the_page(agent, page, screenshot):
    session = agent.session([{"hang": True}, {"text": "never"}])
    page.goto(f"{agent.web.base_url}/sessions/{session.id}?token={agent.web.token}")
    expect(page.locator("body[data-ready='1']")).to_have_count(1)
    page.locator("#prompt").fill("explain the project")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".msg.user")).to_contain_text("explain the project")
    expect(page.locator("#state")).to_have_attribute("data-state", "thinking")
    screenshot(page, "running")
    page.locator("#cancel").click()
    expect(page.locator(".outcome")).to_contain_text("cancelled")
    expect(page.locator("#state")).to_have_attribute("data-state", "idle")
    assert session.state == "idle"


def test_model_text_and_file_names_with_markup_are_shown_as_text(agent, page, screenshot):
    evil_name = "<img src=x onerror=document.title='pwned'>.py"
    evil_text = (
        "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"
    )
    code = f"write_file(path={evil_name!r}, content='x = 1\\n')\nprint({evil_text!r})"
    session = agent.session(
        [
            {"tool_calls": [{"name": "execute_code", "arguments": {"code": code}}]},
            {"text": evil_text},
        ]
    )
    page.goto(f"{agent.web.base_url}/sessions/{session.id}?token={agent.web.token}")
    expect(page.locator("body[data-ready='1']")).to_have_count(1)
    outcome = agent.prompt(session, evil_text)
    card = page.locator("#approvals .card.approval")
    expect(card.locator(".title")).to_have_text(f"write_file({evil_name})")
    card.locator("button.allow").click()
    expect(page.locator(".msg.assistant .text")).to_have_text(evil_text)
    assert outcome.result(15).stop_reason == "end_turn"
    assert (session.cwd / evil_name).read_text() == "x = 1\n"
    expect(page.locator(".diff-head")).to_contain_text(evil_name)
    expect(page.locator("#title")).to_contain_text("<script>")
    assert page.locator("main img, main script").count() == 0
    assert page.title() != "pwned"
    assert page.evaluate("document.title") != "pwned"
    screenshot(page, "injection-session")
    page.goto(agent.url)  # the token travels in the address, never in a cookie
    expect(
        page.locator(f'#sessions tr[data-session="{session.id}"] a.session-link')
    ).to_contain_text("<script>")
    assert page.locator("main img, main script").count() == 0
    screenshot(page, "injection-dashboard")


def start_serve(model: str, cwd: Path) -> tuple[subprocess.Popen, str]:
    """A real `punie serve` process (stdin kept open), and its web UI URL read from stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "punie_core.cli", "serve", "--model", model],
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    for line in process.stderr:
        match = re.search(r"(http://127\.0\.0\.1:\d+/\?token=\S+)", line)
        if match:
            return process, match.group(1)
        if time.monotonic() > deadline:
            break
    process.kill()
    raise AssertionError("punie serve did not print its web UI address on stderr")


def test_two_agents_running_at_once_are_both_listed_and_linked(agent, page, tmp_path, screenshot):
    other_project = tmp_path / "other-project"
    other_project.mkdir()
    with ScriptedModelServer([{"text": "hi"}]) as model:
        process, other_url = start_serve(model.model_string, other_project)
        try:
            page.goto(agent.url)
            rows = page.locator("#agents tbody tr")
            expect(rows).to_have_count(2)
            other = page.locator(f'#agents tbody tr[data-pid="{process.pid}"]')
            expect(other).to_contain_text("other-project")
            screenshot(page, "agents")
            other.locator("a.agent-link").click()
            expect(page.locator("#agent-info")).to_contain_text(f"pid {process.pid}")
            assert page.url.startswith(other_url.split("?")[0])
            assert {e.pid for e in registry.list_agents()} == {os.getpid(), process.pid}
        finally:
            process.stdin.close()
            process.wait(timeout=20)
    assert {e.pid for e in registry.list_agents()} == {os.getpid()}
