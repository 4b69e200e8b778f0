"""`punie serve` and `punie run --web` start the web UI in their own loop (real processes)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from punie_core.testing.scripted_model import ScriptedModelServer
from punie_core.web import registry

pytestmark = pytest.mark.slow

URL = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)")


def punie(*args: str, cwd: Path, stdin=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "punie_core.cli", *args],
        cwd=cwd,
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PUNIE_TRACES": "0"},
    )


class StderrReader:
    """Collects a process's stderr in a thread; `wait_for(pattern)` returns the first match."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self.thread.start()

    def _read(self, process: subprocess.Popen) -> None:
        for line in process.stderr:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()
        with self.changed:
            self.lines.append("")  # end of stream
            self.changed.notify_all()

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 60) -> re.Match[str] | None:
        with self.changed:
            found = None

            def ready() -> bool:
                nonlocal found
                found = next((m for m in map(pattern.search, self.lines) if m), None)
                return found is not None or "" in self.lines

            self.changed.wait_for(ready, timeout)
            return found

    @property
    def text(self) -> str:
        return "".join(self.lines)


def api(port: int, token: str, path: str, body: object = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def test_serve_starts_the_web_ui_on_loopback_and_keeps_stdout_for_json_rpc(
    tmp_path, isolated_punie_home
):
    process = punie("serve", "--model", "local:http://127.0.0.1:9/v1", cwd=tmp_path)
    errors = StderrReader(process)
    try:
        match = errors.wait_for(URL)
        assert match, errors.text
        port, token = int(match.group(1)), match.group(2)
        assert api(port, token, "/api/sessions") == (200, {"sessions": []})
        entries = registry.list_agents()
        assert [(e.pid, e.command, e.project) for e in entries] == [
            (process.pid, "serve", str(tmp_path))
        ]
        assert (
            isolated_punie_home / "web" / f"{process.pid}.url"
        ).read_text().strip() == match.group(0)
    finally:
        process.stdin.close()
        out = process.stdout.read()
        process.wait(timeout=20)
    assert out == ""  # nothing but JSON-RPC may reach stdout, and no request was made
    assert registry.list_agents() == []
    assert not (isolated_punie_home / "web" / f"{process.pid}.url").exists()


def test_serve_honours_http_and_no_http(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = punie("serve", "--http", f"127.0.0.1:{port}", cwd=tmp_path)
    errors = StderrReader(process)
    try:
        match = errors.wait_for(URL)
        assert match and int(match.group(1)) == port
    finally:
        process.stdin.close()
        process.wait(timeout=20)

    process = punie("serve", "--no-http", cwd=tmp_path)
    errors = StderrReader(process)
    try:
        assert api_free(process)
    finally:
        process.stdin.close()
        process.wait(timeout=20)
    assert not URL.search(errors.text)
    assert registry.list_agents() == []


def api_free(process: subprocess.Popen) -> bool:
    """`punie serve --no-http` answers ACP `initialize` and registers nothing."""
    request = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": 1}}
    process.stdin.write(json.dumps(request) + "\n")
    process.stdin.flush()
    answer = json.loads(process.stdout.readline())
    return answer["id"] == 1 and "result" in answer and registry.list_agents() == []


def test_run_web_lets_the_browser_approve_a_write(tmp_path):
    code = 'write_file(path="notes.md", content="# Notes\\n")'
    script = [
        {"tool_calls": [{"name": "execute_code", "arguments": {"code": code}}]},
        {"text": "Wrote notes."},
    ]
    with ScriptedModelServer(script) as model:
        process = punie(
            "run",
            "--web",
            "--model",
            model.model_string,
            "write notes",
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
        )
        errors = StderrReader(process)
        match = errors.wait_for(URL)
        assert match, errors.text
        port, token = int(match.group(1)), match.group(2)
        entry = next(e for e in registry.list_agents() if e.pid == process.pid)
        assert (entry.command, entry.project) == ("run", str(tmp_path))
        wait_for_pending_approval(port, token)
        pending = api(port, token, "/api/approvals")[1]["approvals"]
        assert pending[0]["title"] == "write_file(notes.md)"
        status, _ = api(
            port,
            token,
            f"/api/sessions/{pending[0]['session_id']}/approvals/{pending[0]['call_id']}",
            {"allow": True},
        )
        assert status == 200
        out = process.stdout.read()
        assert process.wait(timeout=30) == 0, errors.text
    assert out.strip() == "Wrote notes."
    assert (tmp_path / "notes.md").read_text() == "# Notes\n"
    assert registry.list_agents() == []


def wait_for_pending_approval(port: int, token: str) -> None:
    """Follow the dashboard's event stream until a session waits for approval."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/api/events", headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    try:
        for raw in response.fp:
            line = raw.decode()
            if line.startswith("data: ") and json.loads(line[6:]).get("pending_approvals"):
                return
    finally:
        connection.close()


class AcpClient:
    """A bare JSON-RPC client on `punie serve`'s stdio that never answers permission requests."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.next_id = 0
        self.received: list[dict] = []

    def request(self, method: str, params: dict) -> int:
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()
        return self.next_id

    def until(self, predicate) -> dict:
        while True:
            line = self.process.stdout.readline()
            assert line, "punie serve closed stdout"
            message = json.loads(line)  # stdout carries JSON-RPC only: any other line fails here
            self.received.append(message)
            if predicate(message):
                return message

    def result(self, request_id: int) -> dict:
        return self.until(lambda m: m.get("id") == request_id and "method" not in m)["result"]


def test_serve_asks_the_ide_and_the_browser_at_once_and_the_browser_can_win(tmp_path):
    code = 'write_file(path="web.txt", content="from the browser\\n")'
    script = [
        {"tool_calls": [{"name": "execute_code", "arguments": {"code": code}}]},
        {"text": "Done."},
    ]
    with ScriptedModelServer(script) as model:
        process = punie("serve", "--model", model.model_string, cwd=tmp_path)
        errors = StderrReader(process)
        client = AcpClient(process)
        try:
            match = errors.wait_for(URL)
            assert match, errors.text
            port, token = int(match.group(1)), match.group(2)
            client.result(
                client.request("initialize", {"protocolVersion": 1, "clientCapabilities": {}})
            )
            session_id = client.result(
                client.request("session/new", {"cwd": str(tmp_path), "mcpServers": []})
            )["sessionId"]
            prompt = client.request(
                "session/prompt",
                {"sessionId": session_id, "prompt": [{"type": "text", "text": "write it"}]},
            )
            asked = client.until(lambda m: m.get("method") == "session/request_permission")
            approvals = api(port, token, "/api/approvals")[1]["approvals"]
            assert [(a["session_id"], a["askers"]) for a in approvals] == [
                (session_id, ["ide", "browser"])
            ]
            status, _ = api(
                port,
                token,
                f"/api/sessions/{session_id}/approvals/{approvals[0]['call_id']}",
                {"allow": True},
            )
            assert status == 200
            assert client.result(prompt)["stopReason"] == "end_turn"
            # The IDE's question is moot: it is told through the tool call's own updates.
            tool_call_id = asked["params"]["toolCall"]["toolCallId"]
            statuses = [
                m["params"]["update"].get("status")
                for m in client.received
                if m.get("method") == "session/update"
                and m["params"]["update"].get("toolCallId") == tool_call_id
            ]
            assert "completed" in statuses
        finally:
            process.stdin.close()
            process.wait(timeout=20)
    assert (tmp_path / "web.txt").read_text() == "from the browser\n"
