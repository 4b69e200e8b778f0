"""The machine-wide agent registry in $PUNIE_HOME/agents: entries appear, dead ones disappear."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

from punie_core.web import registry
from punie_core.web.registry import AgentEntry


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_registered_agent_is_listed_with_its_facts(isolated_punie_home):
    entry = registry.register(
        project="/work/app", model="local", url="http://127.0.0.1:1/?token=t", command="run"
    )
    assert entry.pid == os.getpid()
    listed = registry.list_agents()
    assert listed == [entry]
    assert listed[0].project == "/work/app" and listed[0].command == "run"
    path = isolated_punie_home / "agents" / f"{os.getpid()}.json"
    assert json.loads(path.read_text())["url"] == "http://127.0.0.1:1/?token=t"


def test_entries_are_private_to_the_user(isolated_punie_home):
    registry.register(project="/p", model="m", url="http://127.0.0.1:1/?token=secret")
    directory = isolated_punie_home / "agents"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE((directory / f"{os.getpid()}.json").stat().st_mode) == 0o600


def test_unregistering_removes_the_entry():
    registry.register(project="/p", model="m")
    registry.unregister()
    registry.unregister()  # twice is fine
    assert registry.list_agents() == []


def test_a_dead_process_disappears_from_the_list_and_the_disk(isolated_punie_home):
    pid = dead_pid()
    registry.write_entry(AgentEntry(pid=pid, project="/gone", model="m", started=1.0))
    (isolated_punie_home / "web").mkdir()
    (isolated_punie_home / "web" / f"{pid}.url").write_text("http://127.0.0.1:1/?token=t\n")
    registry.register(project="/alive", model="m")
    assert [e.project for e in registry.list_agents()] == ["/alive"]
    assert not (isolated_punie_home / "agents" / f"{pid}.json").exists()
    assert not (isolated_punie_home / "web" / f"{pid}.url").exists()


def test_a_reused_pid_does_not_keep_a_dead_entry_alive():
    me = registry.process_start(os.getpid())
    assert me is not None  # Linux: /proc tells the start time
    registry.write_entry(
        AgentEntry(pid=os.getpid(), project="/old", model="m", started=1.0, pid_start=me - 1)
    )
    assert registry.list_agents() == []


def test_broken_entries_are_skipped_with_a_warning(isolated_punie_home, capsys):
    directory = isolated_punie_home / "agents"
    directory.mkdir(parents=True)
    (directory / "1.json").write_text("{not json")
    (directory / "2.json").write_text(json.dumps({"pid": "two"}))
    registry.register(project="/ok", model="m")
    assert [e.project for e in registry.list_agents()] == ["/ok"]
    assert "broken agent entry" in capsys.readouterr().err
    assert sorted(p.name for p in directory.iterdir()) == [f"{os.getpid()}.json"]


def test_entries_from_a_newer_punie_with_more_keys_still_load(isolated_punie_home):
    directory = isolated_punie_home / "agents"
    directory.mkdir(parents=True)
    data = {"pid": os.getpid(), "project": "/p", "model": "m", "started": 5.0, "future_key": [1]}
    (directory / f"{os.getpid()}.json").write_text(json.dumps(data))
    assert registry.list_agents()[0].started == 5.0


def test_no_registry_directory_means_no_agents():
    assert registry.list_agents() == []
