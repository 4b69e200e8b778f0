"""The JSON API and its event streams over real HTTP, with real sessions on the scripted model."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re

import pytest

from punie_core.agent.approvals import PermissionBroker
from punie_core.web import WebUI, parse_http_address, registry, url_file
from punie_core.web.openapi import openapi_spec

WRITE = 'write_file(path="a.txt", content="new\\n")'


def write_script() -> list[dict]:
    return [
        {"tool_calls": [{"name": "execute_code", "arguments": {"code": WRITE}}]},
        {"text": "done"},
    ]


class EventStream:
    """A raw SSE client: reads events as `(id, event, data)` until told to stop."""

    def __init__(self, agent, path: str, headers: dict[str, str] | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", agent.web.port, timeout=20)
        self.connection.request(
            "GET", path, headers={"Authorization": f"Bearer {agent.web.token}", **(headers or {})}
        )
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("content-type").startswith("text/event-stream")

    def next(self) -> tuple[int | None, str, dict]:
        fields: dict[str, str] = {}
        while True:
            line = self.response.fp.readline().decode()
            if line in ("\n", "\r\n", ""):
                if "data" in fields:
                    seq = int(fields["id"]) if "id" in fields else None
                    return seq, fields.get("event", "message"), json.loads(fields["data"])
                if line == "":
                    raise EOFError("the stream ended")
                fields.clear()
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.rstrip("\n").partition(": ")
            fields[name] = value

    def until(self, event_name: str) -> list[tuple[int | None, str, dict]]:
        seen = []
        while True:
            item = self.next()
            seen.append(item)
            if item[1] == event_name:
                return seen

    def close(self) -> None:
        self.connection.close()


def test_a_session_stream_carries_every_event_in_order_and_resumes_after_last_event_id(agent):
    session = agent.session([{"text": "Hello there, streamed.", "chunks": 4}])
    stream = EventStream(agent, f"/api/sessions/{session.id}/events")
    outcome = agent.prompt(session, "hi")
    events = stream.until("prompt_finished")
    stream.close()
    assert outcome.result(10).stop_reason == "end_turn"
    seqs = [seq for seq, _, _ in events]
    assert seqs == list(range(1, len(seqs) + 1))  # nothing lost, nothing doubled
    names = [name for _, name, _ in events]
    assert names[0] == "prompt_started" and names[-1] == "prompt_finished"
    text = "".join(payload["data"]["text"] for _, name, payload in events if name == "text_delta")
    assert text == "Hello there, streamed."
    assert all(payload["session_id"] == session.id for _, _, payload in events)

    # A reconnecting client names the last event it saw and gets only what followed.
    middle = seqs[len(seqs) // 2]
    resumed = EventStream(
        agent, f"/api/sessions/{session.id}/events", {"Last-Event-ID": str(middle)}
    )
    again = resumed.until("prompt_finished")
    resumed.close()
    assert [seq for seq, _, _ in again] == seqs[middle:]

    status, snapshot = agent.api(f"/api/sessions/{session.id}")
    assert status == 200
    assert [e["seq"] for e in snapshot["events"]] == seqs
    assert snapshot["session"]["state"] == "finished"
    assert snapshot["session"]["output_tokens"] > 0


def test_the_dashboard_stream_sends_current_sessions_then_changes(agent):
    first = agent.session([{"text": "one"}])
    stream = EventStream(agent, "/api/events")
    _, name, data = stream.next()
    assert (name, data["id"], data["state"]) == ("session", first.id, "idle")
    agent.prompt(first, "go")
    states = set()
    while "finished" not in states:
        _, name, data = stream.next()
        assert name == "session"
        states.add(data["state"])
    stream.close()
    assert "thinking" in states


def test_prompts_from_the_api_run_and_a_busy_session_answers_409(agent):
    session = agent.session([{"hang": True}])
    status, body = agent.api(f"/api/sessions/{session.id}/prompts", {"text": "wait for it"})
    assert status == 202 and body["accepted"]
    status, body = agent.api(f"/api/sessions/{session.id}/prompts", {"text": "again"})
    assert status == 409 and "busy" in body["error"]
    status, body = agent.api(f"/api/sessions/{session.id}/cancel", {})
    assert (status, body) == (202, {"cancelled": True})
    stream = EventStream(agent, f"/api/sessions/{session.id}/events")
    finished = stream.until("prompt_finished")[-1][2]
    stream.close()
    assert finished["data"]["outcome"]["stop_reason"] == "cancelled"
    status, body = agent.api(f"/api/sessions/{session.id}/cancel", {})
    assert (status, body) == (202, {"cancelled": False})


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"text": "  "}, 400),
        ({"text": 3}, 400),
        ({"text": "x" * 100_001}, 413),
        ([1], 400),
    ],
)
def test_bad_prompt_bodies_get_a_clear_error(agent, body, status):
    session = agent.session([{"text": "never"}])
    got, answer = agent.api(f"/api/sessions/{session.id}/prompts", body)
    assert got == status and answer["error"]
    assert agent.servers[-1].chat_requests == []


def test_unknown_sessions_and_requests_are_404(agent):
    assert agent.api("/api/sessions/nope")[0] == 404
    assert agent.api("/api/sessions/nope/prompts", {"text": "x"})[0] == 404
    assert agent.api("/api/sessions/nope/events")[0] == 404
    session = agent.session([{"text": "x"}])
    assert agent.api(f"/api/sessions/{session.id}/approvals/call_404", {"allow": True})[0] == 404
    assert agent.api(f"/api/sessions/{session.id}/approvals/call_404", {"allow": "yes"})[0] == 400


def test_the_ide_and_the_browser_race_and_the_first_answer_wins(agent):
    """Two askers (an "IDE" that waits, the browser over HTTP): each can win; the other is told."""
    ide_answers: list[asyncio.Future] = []
    told: list[object] = []

    async def ide(request):
        future = asyncio.get_running_loop().create_future()
        ide_answers.append(future)
        return await future

    workspace = agent.root / "race"
    workspace.mkdir()
    (workspace / "a.txt").write_text("old\n")
    broker = PermissionBroker()
    broker.add("ide", ide, told=lambda request, decision: told.append(decision))
    session = agent.session(write_script() + write_script(), workspace=workspace, broker=broker)

    # 1. The browser answers first: the file is written, the IDE's question is withdrawn.
    outcome = agent.prompt(session, "write it")
    approval = wait_for_approval(agent)
    assert approval["askers"] == ["ide", "browser"]
    assert approval["diff"]["diff"][-2:] == ["-old", "+new"]
    assert agent.api(
        f"/api/sessions/{session.id}/approvals/{approval['call_id']}", {"allow": True}
    ) == (
        200,
        {"call_id": approval["call_id"], "allow": True},
    )
    assert outcome.result(15).stop_reason == "end_turn"
    assert (workspace / "a.txt").read_text() == "new\n"
    assert [(d.allowed, d.by) for d in told] == [(True, "browser")]
    assert ide_answers[0].cancelled()

    # 2. The IDE answers first (a refusal): the browser's card goes away and its late answer is 404.
    (workspace / "a.txt").write_text("old\n")
    outcome = agent.prompt(session, "write it again")
    approval = wait_for_approval(agent)
    agent.loop.call(ide_answers[1].set_result, False)
    assert outcome.result(15).stop_reason == "end_turn"
    assert (
        agent.api(f"/api/sessions/{session.id}/approvals/{approval['call_id']}", {"allow": True})[0]
        == 404
    )
    assert (workspace / "a.txt").read_text() == "old\n"
    status, snapshot = agent.api(f"/api/sessions/{session.id}")
    resolved = [e["data"] for e in snapshot["events"] if e["type"] == "approval_resolved"]
    assert [(r["allowed"], r["by"]) for r in resolved] == [(True, "browser"), (False, "ide")]
    assert snapshot["approvals"] == []


def wait_for_approval(agent) -> dict:
    stream = EventStream(agent, "/api/events")
    try:
        while True:
            _, _, data = stream.next()
            if data.get("pending_approvals"):
                break
    finally:
        stream.close()
    status, body = agent.api("/api/approvals")
    assert status == 200 and len(body["approvals"]) == 1
    return body["approvals"][0]


def test_the_url_goes_to_stderr_and_a_file_and_the_registry_while_running(
    agent_loop, tmp_path, isolated_punie_home, capfd
):
    web = WebUI(project=tmp_path, model="local")
    url = agent_loop.run(web.start())
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]{20,}", url)
    out, err = capfd.readouterr()
    assert url in err and out == ""
    assert url_file().read_text().strip() == url
    assert url_file() == isolated_punie_home / "web" / f"{os.getpid()}.url"
    assert [(e.url, e.project) for e in registry.list_agents()] == [(url, str(tmp_path))]
    agent_loop.run(web.stop())
    assert not url_file().exists()
    assert registry.list_agents() == []


def test_a_port_in_use_is_a_clear_error(agent_loop, agent):
    other = WebUI(port=agent.web.port, announce=False, register=False)
    with pytest.raises(OSError):
        agent_loop.run(other.start())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("127.0.0.1:8000", ("127.0.0.1", 8000)),
        (":8001", ("127.0.0.1", 8001)),
        ("8002", ("127.0.0.1", 8002)),
        ("localhost", ("localhost", 0)),
        ("[::1]:8003", ("::1", 8003)),
        ("0.0.0.0:9000", ("0.0.0.0", 9000)),
    ],
)
def test_http_addresses_parse(value, expected):
    assert parse_http_address(value) == expected


@pytest.mark.parametrize("value", ["127.0.0.1:x", "127.0.0.1:70000", "[::1", "host:-1"])
def test_bad_http_addresses_are_refused_clearly(value):
    with pytest.raises(ValueError, match="bad"):
        parse_http_address(value)


def test_the_openapi_description_covers_every_api_route(agent):
    status, spec = agent.api("/api/openapi.json")
    assert status == 200 and spec == json.loads(json.dumps(openapi_spec()))
    from starlette.routing import Route

    app = agent.web._server.config.app
    routes = {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/api/")
        for method in route.methods - {"HEAD"}
    }
    described = {(path, method) for path, item in spec["paths"].items() for method in item}
    assert routes == described
