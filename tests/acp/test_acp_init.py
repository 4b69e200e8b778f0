"""`punie init`: merge Punie into ~/.jetbrains/acp.json with a backup; print Zed's snippet."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli


def punie(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    return run_cli(*args, env=env, timeout=60)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def test_init_creates_the_jetbrains_file_with_the_absolute_punie_command(home):
    result = punie("init", home=home)
    assert result.returncode == 0, result.stderr
    config = json.loads((home / ".jetbrains" / "acp.json").read_text())
    entry = config["agent_servers"]["Punie"]
    assert Path(entry["command"]).is_absolute() and Path(entry["command"]).exists()
    assert entry["args"][-1] == "serve" and entry["env"] == {}
    assert entry["use_idea_mcp"] is True  # PyCharm passes its MCP server (issue 14)
    assert config["default_mcp_settings"] == {"use_idea_mcp": True, "use_custom_mcp": True}
    assert not list((home / ".jetbrains").glob("*.bak"))


def test_init_merges_other_agents_keeps_settings_and_backs_up_the_old_file(home):
    path = home / ".jetbrains" / "acp.json"
    path.parent.mkdir()
    old = {
        "default_mcp_settings": {"use_idea_mcp": True, "use_custom_mcp": False},
        "agent_servers": {
            "Other Agent": {"command": "/opt/other", "args": ["acp"], "env": {"KEY": "x"}},
            "Punie": {
                "command": "/old/punie",
                "args": ["serve"],
                "env": {"PUNIE_LOG": "/tmp/p.log"},
                "use_idea_mcp": True,
            },
        },
    }
    path.write_text(json.dumps(old))
    result = punie("init", "--model", "local:http://127.0.0.1:8080/v1", home=home)
    assert result.returncode == 0, result.stderr
    config = json.loads(path.read_text())
    assert config["default_mcp_settings"] == old["default_mcp_settings"]
    assert config["agent_servers"]["Other Agent"] == old["agent_servers"]["Other Agent"]
    punie_entry = config["agent_servers"]["Punie"]
    assert punie_entry["command"] != "/old/punie"
    assert punie_entry["args"][-3:] == ["serve", "--model", "local:http://127.0.0.1:8080/v1"]
    assert punie_entry["env"] == {"PUNIE_LOG": "/tmp/p.log"} and punie_entry["use_idea_mcp"] is True
    [backup] = path.parent.glob("acp.json.*.bak")
    assert json.loads(backup.read_text()) == old
    # Running it again changes nothing and makes no new backup.
    again = punie("init", "--model", "local:http://127.0.0.1:8080/v1", home=home)
    assert again.returncode == 0 and "nothing to change" in again.stdout
    assert len(list(path.parent.glob("acp.json.*.bak"))) == 1


def test_init_refuses_a_broken_file_and_leaves_it_alone(home):
    path = home / ".jetbrains" / "acp.json"
    path.parent.mkdir()
    path.write_text('{"agent_servers": {"Other": ')
    result = punie("init", home=home)
    assert result.returncode == 1
    assert "not valid JSON" in result.stderr
    assert path.read_text() == '{"agent_servers": {"Other": '
    assert not list(path.parent.glob("*.bak"))


def test_init_zed_prints_a_custom_agent_server_snippet(home):
    result = punie("init", "--zed", "--model", "local", home=home)
    assert result.returncode == 0, result.stderr
    snippet = json.loads(result.stdout[result.stdout.index("{") :])
    entry = snippet["agent_servers"]["Punie"]
    assert entry["type"] == "custom" and Path(entry["command"]).is_absolute()
    assert entry["args"][-3:] == ["serve", "--model", "local"]
    assert not (home / ".jetbrains").exists()


def test_init_keeps_use_idea_mcp_the_person_turned_off(home):
    path = home / ".jetbrains" / "acp.json"
    path.parent.mkdir()
    old = {
        "default_mcp_settings": {"use_idea_mcp": False},
        "agent_servers": {"Punie": {"command": "/old/punie", "args": [], "use_idea_mcp": False}},
    }
    path.write_text(json.dumps(old))
    assert punie("init", home=home).returncode == 0
    config = json.loads(path.read_text())
    assert config["agent_servers"]["Punie"]["use_idea_mcp"] is False
    assert config["default_mcp_settings"] == {"use_idea_mcp": False, "use_custom_mcp": True}
