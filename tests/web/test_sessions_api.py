"""Sessions started over the API: the folder rules of ACP `session/new`, modes, the gate, pages."""

from __future__ import annotations

import http.client
import json
import time
from pathlib import Path


def wait_until_finished(agent, session_id: str, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, data = agent.api(f"/api/sessions/{session_id}")
        assert status == 200
        if not data["session"]["busy"] and any(
            e["type"] == "prompt_finished" for e in data["events"]
        ):
            return data
        time.sleep(0.1)
    raise AssertionError("the prompt did not finish")


def raw_post(agent, path: str, body: object, headers: dict[str, str]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", agent.web.port, timeout=10)
    connection.request("POST", path, json.dumps(body), headers)
    status = connection.getresponse().status
    connection.close()
    return status


def test_folders_a_session_may_not_open_are_refused_with_the_reason(workplace, tmp_path):
    agent = workplace([{"text": "never"}])
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    cases = [
        ({"cwd": "relative/project"}, "absolute"),
        ({"cwd": str(tmp_path / "missing")}, "not a directory this agent can use"),
        ({"cwd": str(a_file)}, "not a directory"),
        ({"cwd": "/"}, "whole file system"),
        ({"cwd": str(Path.home())}, "home directory"),
        ({"cwd": "/etc"}, "system folder /etc"),
        ({"cwd": "/usr/lib"}, "system folder /usr"),
        ({}, "cwd must be"),
        ({"cwd": 7}, "cwd must be"),
        ({"cwd": str(tmp_path / "project"), "mode": "yolo"}, "mode must be one of"),
        ({"cwd": str(tmp_path / "project"), "prompt": 5}, "text must be"),
    ]
    for body, reason in cases:
        status, data = agent.api("/api/sessions", body)
        assert (status, reason in data["error"]) == (400, True), (body, data)
    assert agent.api("/api/sessions")[1]["sessions"] == []
    assert agent.servers[0].chat_requests == []


def test_starting_a_session_needs_the_token_and_a_same_origin_post(workplace, tmp_path):
    agent = workplace([{"text": "never"}])
    body = {"cwd": str(tmp_path / "project")}
    assert raw_post(agent, "/api/sessions", body, {"Content-Type": "application/json"}) == 401
    foreign = {
        "Content-Type": "application/json",
        "X-Punie-Token": agent.web.token,
        "Origin": "http://evil.example",
    }
    assert raw_post(agent, "/api/sessions", body, foreign) == 403
    assert agent.api("/api/sessions")[1]["sessions"] == []


def test_a_read_only_session_started_over_the_api_answers_and_changes_nothing(workplace, tmp_path):
    code = 'write_file(path="made.txt", content="x\\n")'
    agent = workplace(
        [
            {"tool_calls": [{"name": "execute_code", "arguments": {"code": code}}]},
            {"text": "I could not write it.", "chunks": 3},
        ]
    )
    project = tmp_path / "project"
    status, data = agent.api(
        "/api/sessions", {"cwd": str(project), "mode": "read-only", "prompt": "make a file"}
    )
    assert status == 201 and data["accepted"] is True
    summary = data["session"]
    assert (summary["mode"], summary["project"]) == ("read-only", str(project.resolve()))
    done = wait_until_finished(agent, summary["id"])
    text = "".join(e["data"]["text"] for e in done["events"] if e["type"] == "text_delta")
    assert text == "I could not write it."
    refused = [e for e in done["events"] if e["type"] == "tool_call_finished"]
    assert refused and refused[0]["data"]["refused"] and "read-only" in refused[0]["data"]["error"]
    assert not (project / "made.txt").exists()
    assert [s["path"] for s in agent.api("/api/projects")[1]["projects"]][0] == str(project)


def test_an_unknown_earlier_session_is_404_and_the_plugin_pages_are_listed(workplace):
    agent = workplace([{"text": "never"}])
    status, data = agent.api("/api/sessions/no-such-session/resume", {})
    assert status == 404 and "no stored session" in data["error"]
    assert agent.api("/api/history") == (200, {"sessions": []})
    status, data = agent.api("/api/pages")
    assert {"plugin": "quality", "title": "Quality reports", "url": "/plugins/quality/"} in (
        data["pages"]
    )


def test_a_plugin_page_allows_no_script_and_never_carries_the_token(workplace):
    agent = workplace([{"text": "never"}])
    bearer = {"Authorization": f"Bearer {agent.web.token}"}
    connection = http.client.HTTPConnection("127.0.0.1", agent.web.port, timeout=10)
    connection.request("GET", "/plugins/quality/", headers=bearer)
    response = connection.getresponse()
    body = response.read().decode()
    assert response.status == 200
    policies = response.getheader("content-security-policy")
    plugin_policy = next(p for p in policies.split(", ") if "sandbox" in p)
    assert plugin_policy.endswith("sandbox allow-same-origin")
    assert "script-src" not in plugin_policy
    assert "form-action 'none'" in plugin_policy
    assert "<script" not in body and agent.web.token not in body
    assert "<h1>Quality reports</h1>" in body and "No test, lint or type-check result" in body
    connection.request("GET", "/plugins/quality/")  # no token: nothing
    response = connection.getresponse()
    assert (response.status, response.read()) == (401, b"")
    connection.request("GET", "/plugins/nope/", headers=bearer)
    assert connection.getresponse().status == 404
    connection.close()


def test_a_resumed_sessions_tool_results_come_back_with_their_views(loaded_toolbox):
    from punie_core.agent.stored import StoredSession
    from punie_core.web.sessions import replay

    class Recorder:
        def __init__(self) -> None:
            self.events: list[tuple[str, dict]] = []

        def publish(self, name: str, data: dict) -> None:
            self.events.append((name, data))

    violation = {
        "file": "app.py", "line": 1, "column": 8, "end_line": 1, "end_column": 10,
        "code": "F401", "name": "unused-import", "message": "`os` imported but unused",
    }  # fmt: skip
    record = {
        "query": "lint it",
        "snippets": [{"code": "ruff_check()", "result": {"ok": True, "stdout": ""}}],
        "tool_calls": [
            {
                "tool": "ruff_check",
                "ok": True,
                "result": {"success": False, "violations": [violation]},
            },
            {"tool": "read_file", "ok": True, "result": "import os\n"},
        ],
        "output": "One unused import.",
        "outcome": "end_turn",
    }
    recorder = Recorder()
    replay(recorder, StoredSession("s1", "/project", "lint it", "", [record]), loaded_toolbox)
    names = [name for name, _ in recorder.events]
    assert names == [
        "prompt_started", "snippet_started", "tool_call_finished", "tool_call_finished",
        "snippet_finished", "text_delta", "prompt_finished", "session_restored",
    ]  # fmt: skip
    ruff, read = (data for name, data in recorder.events if name == "tool_call_finished")
    assert (ruff["result_type"], ruff["view"]["plugin"], ruff["view"]["noun"]) == (
        "RuffResult",
        "quality",
        "RuffResult",
    )
    assert "F401" in ruff["view"]["html"] and "view" not in read
