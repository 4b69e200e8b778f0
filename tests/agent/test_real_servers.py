"""Real model servers: mlx_lm.server with a tiny model trained here; llama.cpp, embedded model.

These start real server processes (slow: marked so, and still run by `.ci/run`).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from punie_core.agent.session import Session
from punie_core.agent.traces import read_traces
from punie_core.plugins.events import TextDelta
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import punie, run_async
from tests.helpers.cli import punie_command

pytestmark = pytest.mark.slow

ANSWER = "The file a.txt says hello."
TOOL_CALL = '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n</tool_call>'


def write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text)


def alive(pid: int) -> bool:
    """True while a process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def wait_gone(pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def server_pids(marker: str) -> set[int]:
    """Pids of live processes whose command line contains `marker`."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
            except OSError:
                continue
            if marker in cmdline and alive(int(entry.name)):
                found.add(int(entry.name))
    return found


def test_mlx_lm_server_with_a_tiny_trained_model_makes_punie_run_a_tool(
    workspace: Path, core_toolbox: Any, punie_home: Path, tmp_path: Path
) -> None:
    pytest.importorskip("mlx_lm")
    from punie_core.models import servers
    from tests.helpers.tiny_mlx import CHAT_TEMPLATE, build_tiny_model, train

    # 1. The exact requests Punie sends for this task (the scripted server records them).
    script = [
        {"tool_calls": [{"name": "read_file", "arguments": {"path": "a.txt"}}]},
        {"text": ANSWER},
    ]
    with ScriptedModelServer(script) as scripted:
        run_async(
            Session(cwd=workspace, model=scripted.model_string, toolbox=core_toolbox).prompt(
                "What is in a.txt?"
            )
        )
        bodies = [r.body for r in scripted.chat_requests]
    # 2. A tiny model built and trained here to answer exactly those.
    # Merges cross word boundaries (split_words=False) and the requests count twice, so the
    # long system prompt and tool definitions shrink to few tokens.
    corpus = [json.dumps(b) for b in bodies] + [b["messages"][0]["content"] for b in bodies]
    model_dir = build_tiny_model(
        tmp_path / "tiny-qwen3", [*corpus, *corpus, CHAT_TEMPLATE], split_words=False
    )
    train(model_dir, [(bodies[0], TOOL_CALL), (bodies[1], ANSWER)])
    # 3. Punie starts mlx_lm.server for it and runs the call the server parsed.
    # This model was trained on the `tools` format's requests (a managed server defaults to
    # `blocks`): mlx_lm.server parses its tool call.
    write_config(
        punie_home, 'tool_format = "tools"\n[settings]\ntemperature = 0.0\nmax_tokens = 64\n'
    )
    session = Session(cwd=workspace, model=f"mlx:{model_dir}", toolbox=core_toolbox)
    try:
        outcome = run_async(session.prompt("What is in a.txt?"))
        server = session.connection.managed
        assert session.connection.server.kind == "mlx-lm"
    finally:
        servers.stop_all()
    assert outcome.stop_reason == "end_turn", outcome.error
    assert outcome.tool_calls == [
        {
            "tool": "read_file",
            "arguments": {"path": "a.txt"},
            "ok": True,
            "result": "hello\n",
            "error": None,
            "ms": outcome.tool_calls[0]["ms"],
            "refused": False,
        }
    ]
    assert outcome.output == ANSWER and outcome.requests == 2
    trace = next(t for t in read_traces() if t["id"] == outcome.trace_id)
    # A real structured tool call from the server; Code Mode offers only execute_code, so the
    # structured `read_file` call is run in Code Mode (counted as one recovered call).
    assert trace["recovered_tool_calls"] == 1
    assert trace["model"] == f"mlx:{model_dir}"
    assert server.process.poll() is not None  # stopped


def test_the_embedded_model_on_llama_cpp_streams_a_real_answer(
    workspace: Path, core_toolbox: Any, punie_home: Path
) -> None:
    pytest.importorskip("xllamacpp")
    from punie_core.models import servers

    write_config(punie_home, "[settings]\nmax_tokens = 24\n")
    session = Session(cwd=workspace, model="embedded", toolbox=core_toolbox)
    pieces: list[str] = []
    session.subscribe(lambda e: pieces.append(e.text) if isinstance(e, TextDelta) else None)
    try:
        outcome = run_async(session.prompt("Say hello in one short sentence."))
        info = session.connection.server
    finally:
        servers.stop_all()
    assert outcome.stop_reason == "end_turn", outcome.error
    assert len(pieces) > 1 and "".join(pieces).strip() == outcome.output.strip() != ""
    assert outcome.usage["output_tokens"] > 0 and info.kind == "llama.cpp"
    assert (
        session.mode == "chat"
        and "Project overview" in session.instructions
        and "a.txt" in session.instructions
    )


def test_punie_run_falls_back_to_the_embedded_model_with_a_notice(
    workspace: Path, punie_home: Path
) -> None:
    pytest.importorskip("xllamacpp")
    with ScriptedModelServer([]) as dead:
        url = dead.base_url  # nothing listens here once the block ends
    write_config(punie_home, f'[local]\nurl = "{url}"\n[settings]\nmax_tokens = 24\n')
    before = server_pids("punie_core.models.servers gguf")
    done = punie("run", "What files are in this project?", "--cwd", str(workspace), timeout=170)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert f"no model server answers at {url}" in done.stderr and "embedded model" in done.stderr
    assert "tiny model" in done.stderr and "--model" in done.stderr
    leftover = server_pids("punie_core.models.servers gguf") - before
    assert all(wait_gone(pid, 10) for pid in leftover)


def test_a_model_file_llama_cpp_cannot_load_reports_its_own_error(tmp_path: Path) -> None:
    pytest.importorskip("xllamacpp")
    from punie_core.models.servers import ServerFailed, start_server

    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a gguf file at all")
    with pytest.raises(ServerFailed) as info:
        start_server("gguf", str(junk), timeout=60)
    assert "failed to load model" in str(info.value) and str(junk) in str(info.value)


HOLDER = """
import sys, time
from punie_core.models import servers
from punie_core.models.embedded import embedded_model_path
server = servers.ensure_server("gguf", str(embedded_model_path()))
print(server.process.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_the_managed_server_never_outlives_punie(how: signal.Signals) -> None:
    pytest.importorskip("xllamacpp")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        line = holder.stdout.readline().strip()
        assert line.isdigit(), "the holder did not start its server"
        child = int(line)
        assert alive(child)
        os.kill(holder.pid, how)
        holder.wait(30)
        assert wait_gone(child), f"server {child} outlived its parent ({how.name})"
    finally:
        if holder.poll() is None:
            holder.kill()


def test_ctrl_c_during_a_managed_server_answer_stops_everything(
    workspace: Path, punie_home: Path
) -> None:
    pytest.importorskip("xllamacpp")
    write_config(punie_home, "[settings]\nmax_tokens = 4000\n")
    before = server_pids("punie_core.models.servers gguf")
    process = subprocess.Popen(
        [
            *punie_command(),
            "run",
            "Write a very long essay about Python.",
            "--model",
            "embedded",
            "--cwd",
            str(workspace),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.read(1)  # the answer started streaming
        assert first
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    leftover = server_pids("punie_core.models.servers gguf") - before
    assert all(wait_gone(pid, 10) for pid in leftover)


def test_sessions_share_one_managed_server(
    workspace: Path, core_toolbox: Any, punie_home: Path
) -> None:
    pytest.importorskip("xllamacpp")
    from punie_core.models import servers

    write_config(punie_home, "[settings]\nmax_tokens = 8\n")

    async def main() -> tuple[Any, Any]:
        one = Session(cwd=workspace, model="embedded", toolbox=core_toolbox)
        two = Session(cwd=workspace, model="embedded", toolbox=core_toolbox)
        await asyncio.gather(one.connect(), two.connect())
        return one.connection.managed, two.connection.managed

    try:
        first, second = run_async(main())
        assert first is second and first.process.poll() is None
    finally:
        servers.stop_all()
    assert first.process.poll() is not None


def test_a_managed_server_that_dies_is_reported_and_started_again(
    workspace: Path, core_toolbox: Any, punie_home: Path
) -> None:
    pytest.importorskip("xllamacpp")
    from punie_core.models import servers

    write_config(punie_home, "[settings]\nmax_tokens = 8\n")
    session = Session(cwd=workspace, model="embedded", toolbox=core_toolbox)

    async def main() -> tuple[Any, Any, Any, Any]:
        first = await session.prompt("Hi")
        dead = session.connection.managed
        os.killpg(dead.process.pid, signal.SIGKILL)
        dead.process.wait(10)
        second = await session.prompt("Hi again")
        third = await session.prompt("And again")
        return first, second, third, dead

    try:
        first, second, third, dead = run_async(main())
        replacement = session.connection.managed
        running = replacement.process.poll() is None
    finally:
        servers.stop_all()
    assert first.stop_reason == "end_turn", first.error
    assert second.stop_reason == "error" and "The model server exited" in second.error
    assert third.stop_reason == "end_turn", third.error
    assert replacement is not dead and running
