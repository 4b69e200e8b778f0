"""MCP servers from the IDE, end to end: the official ACP TypeScript client passes all three
McpServer shapes to `punie serve`, and the scripted model calls them from Code Mode.

The servers are real processes on the `mcp` SDK (`tests/mcp_tools/mcp_servers.py`): a stdio
one with a secret in its env, a JetBrains-shaped one over streamable HTTP with a secret header,
one over SSE, one that crashes at start and one with a malformed schema. The driver
(`client/mcp.mjs`) checks what the person sees; this test then checks the secrets reached no
trace, no log and no output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from test_acp_typescript_client import node_client, punie_serve, scripted_model, snippet

from tests.mcp_tools.conftest import SERVERS, http_server, stdio_entry

__all__ = ["http_server", "node_client", "scripted_model"]  # fixtures used below

pytestmark = pytest.mark.slow

ENV_SECRET = "sk-env-secret-7f3a9c1e"
HEADER_SECRET = "Bearer hdr-secret-52b8d0aa"


def test_mcp_servers_from_the_acp_client_become_typed_code_mode_functions(
    node_client, scripted_model, http_server, workspace, punie_home, tmp_path
):
    (workspace / "broken.py").write_text("x = greet(\n", encoding="utf-8")
    write_note = (
        "try:\n"
        "    basic_write_note(path='note.txt', text='approved')\n"
        "    print('written')\n"
        "except PermissionError as e:\n"
        "    print('refused', e)\n"
    )
    url = scripted_model(
        [
            snippet(
                "r = jb_get_file_problems(filePath='broken.py')\n"
                "print('problem', r.errors[0].line, r.errors[0].description)\n"
                "print('echo', basic_echo(text='hello').length, legacy_echo(text='sse').text)\n"
                "print(basic_whoami())\n"
            ),
            {"text": "Checked."},
            snippet(write_note),
            {"text": "Not written."},
            snippet(write_note),
            {"text": "Written."},
            snippet("print('again', basic_echo(text='again').length)"),
            {"text": "Done."},
        ]
    )
    basic = stdio_entry("basic", "basic", env={"SECRET_TOKEN": ENV_SECRET})
    servers = [
        basic,
        {
            "type": "http",
            "name": "jb",
            "url": http_server("jetbrains", "http"),
            "headers": [{"name": "Authorization", "value": HEADER_SECRET}],
        },
        {"type": "sse", "name": "legacy", "url": http_server("basic", "sse"), "headers": []},
        stdio_entry("crash", "crash"),
        stdio_entry("malformed", "malformed"),
    ]
    stderr_log = tmp_path / "agent-stderr.log"
    config = tmp_path / "mcp.json"
    config.write_text(
        json.dumps(
            {
                "command": punie_serve(url),
                "cwd": str(workspace),
                "env": {"PUNIE_HOME": str(punie_home), "PUNIE_LOAD_PLUGINS": "", "PUNIE_MODEL": ""},
                "servers": servers,
                "reload": [basic],
                "stderrLog": str(stderr_log),
            }
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        ["node", str(node_client.parent / "mcp.mjs"), str(config)],
        capture_output=True,
        text=True,
        timeout=240,
        env={k: v for k, v in os.environ.items() if not k.startswith("PUNIE_")},
    )
    log = stderr_log.read_text(encoding="utf-8", errors="replace")
    assert result.returncode == 0, f"driver failed:\n{result.stderr[-6000:]}\n{log[-4000:]}"
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["permissionRequests"] == 3  # whoami (unannotated), the refusal, the approval
    assert "crash:failed" in summary["infoServers"] and "jb:ready" in summary["infoServers"]
    assert (workspace / "note.txt").read_text() == "approved"

    # The secrets reached no trace (what the model saw included), no log, no output.
    traces = "".join(
        p.read_text(encoding="utf-8") for p in (punie_home / "traces").rglob("*.jsonl")
    )
    assert "jb_get_file_problems" in traces and "token=[secret]" in traces
    for secret in (ENV_SECRET, HEADER_SECRET, "hdr-secret-52b8d0aa"):
        assert secret not in traces
        assert secret not in log
        assert secret not in result.stdout + result.stderr


def test_the_first_prompt_waits_for_a_slow_mcp_server_that_session_new_did_not_wait_for(
    node_client, scripted_model, workspace, punie_home, tmp_path
):
    url = scripted_model(
        [
            snippet("print('slow', slow_echo(text='late').length)"),
            {"text": "Done."},
        ]
    )
    slow = {
        "name": "slow",
        "command": sys.executable,
        "args": [str(SERVERS), "basic", "--delay", "3"],
        "env": [],
    }
    config = tmp_path / "slow.json"
    stderr_log = tmp_path / "slow-stderr.log"
    script = node_client.parent / "mcp.mjs"
    config.write_text(
        json.dumps(
            {
                "command": punie_serve(url),
                "cwd": str(workspace),
                "env": {"PUNIE_HOME": str(punie_home), "PUNIE_LOAD_PLUGINS": "", "PUNIE_MODEL": ""},
                "servers": [slow],
                "stderrLog": str(stderr_log),
                "scenario": "slow",
            }
        ),
        encoding="utf-8",
    )
    result = subprocess.run(
        ["node", str(script), str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("PUNIE_")},
    )
    assert result.returncode == 0, f"driver failed:\n{result.stderr[-6000:]}"
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["answer"].endswith("Done.")
    assert "slow 4" in summary["output"]
