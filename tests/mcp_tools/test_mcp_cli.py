"""MCP servers from config files in the one-shot commands: `punie mcp`, `stubs`, `exec`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.helpers.cli import run_cli
from tests.mcp_tools.conftest import SERVERS

SECRET = "sk-cli-secret-88aa11"


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUNIE_")}
    return {**env, "PUNIE_HOME": str(home), "PUNIE_LOAD_PLUGINS": "", "PUNIE_TRACES": "0"}


def write_config(path: Path, **servers: dict) -> None:
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")


def server(kind: str, **extra: object) -> dict:
    return {"command": sys.executable, "args": [str(SERVERS), kind], **extra}


def test_punie_mcp_lists_servers_tools_and_failures_and_trusts_the_project_file(
    project, punie_home
):
    write_config(
        punie_home / "mcp.json",
        basic=server("basic", env={"SECRET_TOKEN": SECRET}),
        crash=server("crash"),
    )
    write_config(project / ".mcp.json", proj=server("jetbrains"))
    env = env_for(punie_home)

    listed = run_cli("mcp", "--json", cwd=project, env=env, timeout=60)
    assert listed.returncode == 1  # one failed, one untrusted
    rows = {r["name"]: r for r in json.loads(listed.stdout)["servers"]}
    assert rows["basic"]["state"] == "ready" and "basic_echo" in rows["basic"]["tool_names"]
    assert rows["crash"]["state"] == "failed" and "missing licence file" in rows["crash"]["error"]
    assert rows["proj"]["state"] == "untrusted"
    assert SECRET not in listed.stdout + listed.stderr
    assert rows["basic"]["config"]["env"] == ["SECRET_TOKEN"]

    trusted = run_cli("mcp", "trust", cwd=project, env=env, timeout=60)
    assert trusted.returncode == 0 and "proj (stdio:" in trusted.stdout
    again = run_cli("mcp", cwd=project, env=env, timeout=60)
    assert "proj (stdio, project): ready, 4 tools" in again.stdout


def test_stubs_and_exec_use_the_configured_servers(project, punie_home):
    write_config(punie_home / "mcp.json", jb=server("jetbrains"))
    env = env_for(punie_home)
    first = run_cli("stubs", cwd=project, env=env, timeout=60)
    second = run_cli("stubs", cwd=project, env=env, timeout=60)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout  # the same bytes run after run
    assert "def jb_get_file_problems(*, filePath: str" in first.stdout
    assert "def ide_problems(paths: list[str]) -> list[Problem]:" in first.stdout

    code = "r = jb_get_file_problems(filePath='broken.py')\nprint(r.errors[0].line, len(r.errors))"
    result = run_cli("exec", "-", "--json", cwd=project, env=env, timeout=60, input=code)
    payload = json.loads(result.stdout)
    assert payload["ok"], payload
    assert payload["stdout"] == "1 1\n"
    assert payload["tool_calls"][0]["tool"] == "jb_get_file_problems"


def test_a_bad_config_file_is_reported_and_the_rest_still_works(project, punie_home):
    (punie_home / "mcp.json").write_text("{broken", encoding="utf-8")
    result = run_cli(
        "exec", "-", cwd=project, env=env_for(punie_home), timeout=60, input="print(1 + 1)"
    )
    assert result.returncode == 0 and result.stdout.strip() == "2"
    assert "mcp.json (config, user): failed:" in result.stderr and "not valid JSON" in result.stderr


def test_punie_run_gives_the_model_the_configured_servers_tools(project, punie_home):
    from punie_core.testing.scripted_model import ScriptedModelServer

    write_config(punie_home / "mcp.json", notes=server("basic", env={"SECRET_TOKEN": SECRET}))
    code = "print(notes_echo(text='from run').length, notes_whoami())"
    replies = [
        {"tool_calls": [{"name": "execute_code", "arguments": {"code": code}}]},
        {"text": "Echoed."},
    ]
    with ScriptedModelServer(replies) as model:
        env = {**env_for(punie_home), "PUNIE_TRACES": "1"}
        result = run_cli(
            "run", "--yes", "--json", "--model", model.model_string, "Echo it",
            cwd=project, env=env, timeout=120,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["output"] == "Echoed."
    calls = {c["tool"]: c for c in payload["tool_calls"]}
    assert calls["notes_echo"]["ok"] and calls["notes_echo"]["result"]["length"] == 8
    # `--yes` approves the unannotated tool (an ordinary call); its answer is masked
    assert calls["notes_whoami"]["result"] == "token=[secret]"
    traces = "".join(p.read_text() for p in (punie_home / "traces").rglob("*.jsonl"))
    assert "notes_echo" in traces and SECRET not in traces + result.stdout + result.stderr
