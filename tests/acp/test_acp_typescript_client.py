"""End to end with a client nobody here wrote: the official ACP TypeScript SDK drives `punie serve`.

`tests/acp/client/drive.mjs` spawns `punie serve --model local:http://127.0.0.1:PORT/v1`
against the scripted OpenAI-compatible server (a separate process), and checks what an IDE
would see: updates, fs and permission requests, a rejected write, a terminal, a cancel,
session/list and session/load. The Node packages come from the lock file (`npm ci`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import punie_command

CLIENT_DIR = Path(__file__).parent / "client"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def node_client() -> Path:
    """The TS driver, its locked dependencies installed (`npm ci` when node_modules is missing)."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node 20+ and npm are required for the ACP end-to-end tests")
    if not (CLIENT_DIR / "node_modules" / "@agentclientprotocol" / "sdk").is_dir():
        result = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=CLIENT_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, f"npm ci failed:\n{result.stdout}\n{result.stderr}"
    return CLIENT_DIR / "drive.mjs"


@pytest.fixture
def scripted_model(tmp_path: Path) -> Iterator[Callable[[list[dict]], str]]:
    """Start `python -m punie_core.testing.scripted_model` with a script; yields a starter."""
    processes: list[subprocess.Popen[str]] = []

    def start(replies: list[dict]) -> str:
        script = tmp_path / f"script-{len(processes)}.json"
        script.write_text(json.dumps(replies), encoding="utf-8")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "punie_core.testing.scripted_model",
                "--script",
                str(script),
                "--port",
                "0",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        return url

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


def punie_serve(url: str) -> list[str]:
    return [*punie_command(), "serve", "--model", f"local:{url}"]


def drive(
    node_client: Path, tmp_path: Path, scenario: str, url: str, workspace: Path, home: Path
) -> dict:
    config = tmp_path / f"{scenario}.json"
    env = {"PUNIE_HOME": str(home), "PUNIE_LOAD_PLUGINS": "", "PUNIE_MODEL": ""}
    config.write_text(
        json.dumps(
            {"command": punie_serve(url), "cwd": str(workspace), "scenario": scenario, "env": env}
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        ["node", str(node_client), str(config)],
        capture_output=True,
        text=True,
        timeout=150,
        env={k: v for k, v in os.environ.items() if not k.startswith("PUNIE_")},
    )
    assert result.returncode == 0, f"driver failed:\n{result.stderr[-6000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def snippet(code: str) -> dict:
    return {"tool_calls": [{"name": "execute_code", "arguments": {"code": code}}]}


def test_official_typescript_client_drives_a_full_session(
    node_client, scripted_model, workspace, punie_home, tmp_path
):
    (workspace / "notes.txt").write_text("disk text, not what the editor shows\n", encoding="utf-8")
    url = scripted_model(
        [
            snippet(
                "text = read_file('notes.txt')\n"
                "write_file('out/summary.txt', text.upper())\n"
                "print('wrote', len(text))"
            ),
            {"text": "Wrote out/summary.txt."},
            snippet("write_file('rejected.txt', 'nope')"),
            {"text": "The write was refused, so nothing changed."},
            snippet("r = run_command('echo terminal-ok')\nprint(r.output.strip(), r.exit_code)"),
            {"text": "Ran it."},
            {"text": "Once upon a time " * 60, "chunks": 60, "chunk_delay": 0.25},
        ]
    )
    summary = drive(node_client, tmp_path, "main", url, workspace, punie_home)
    assert summary["rejected"] and summary["terminal"] and summary["replayed"] > 5
    assert summary["cancelMs"] < 5000
    assert {
        "agent_message_chunk",
        "tool_call",
        "tool_call_update",
        "available_commands_update",
        "usage_update",
        "user_message_chunk",
    } <= set(summary["kinds"])
    assert (workspace / "out" / "summary.txt").read_text() == "UNSAVED BUFFER TEXT\n"
    assert not (workspace / "rejected.txt").exists()


def test_official_typescript_client_cancels_a_running_command(
    node_client, scripted_model, workspace, punie_home, tmp_path
):
    url = scripted_model(
        [
            snippet("run_command('echo $$ > child.pid; exec sleep 60')"),
            {"text": "Still here."},
        ]
    )
    summary = drive(node_client, tmp_path, "cancel", url, workspace, punie_home)
    assert summary["childGone"]
    assert summary["cancelMs"] < 5000
