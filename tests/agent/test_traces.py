"""Traces: one crash-safe JSONL record per prompt, the documented schema, no secrets."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from punie_core.agent.session import Session
from punie_core.agent.traces import (
    REDACTED,
    TornTraceWarning,
    append_trace,
    read_traces,
    trace_files,
    traces_dir,
)
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import run_async

SCHEMA_KEYS = {
    "schema",
    "id",
    "session_id",
    "started",
    "finished",
    "model",
    "cwd",
    "query",
    "system_prompt",
    "tools",
    "messages",
    "snippets",
    "tool_calls",
    "validation",
    "retries",
    "outcome",
    "output",
    "usage",
    "timings",
    "validation_passed",
}


def test_append_and_read_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    for i in range(3):
        append_trace({"id": str(i), "text": "line\nbreak é"}, path)
    assert [r["id"] for r in read_traces([path])] == ["0", "1", "2"]
    assert path.read_bytes().count(b"\n") == 3
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_torn_last_line_is_skipped_with_a_warning_and_the_next_record_starts_fresh(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.jsonl"
    append_trace({"id": "whole"}, path)
    with path.open("ab") as handle:
        handle.write(b'{"id": "torn", "messages": [{"ro')  # a crash mid-write
    with pytest.warns(TornTraceWarning, match="torn last line"):
        assert [r["id"] for r in read_traces([path])] == ["whole"]
    append_trace({"id": "after"}, path)
    with pytest.warns(TornTraceWarning, match="unreadable line"):
        assert [r["id"] for r in read_traces([path])] == ["whole", "after"]


def _writer(path: str, worker: int, count: int) -> None:
    for i in range(count):
        # Records far larger than PIPE_BUF: interleaving would show up as broken JSON.
        append_trace({"id": f"{worker}-{i}", "payload": str(worker) * (50_000 + i)}, Path(path))


def test_concurrent_appends_from_processes_never_interleave(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_writer, args=(str(path), w, 25)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    records = list(read_traces([path]))
    assert sorted(r["id"] for r in records) == sorted(
        f"{w}-{i}" for w in range(4) for i in range(25)
    )
    assert all(set(r["payload"]) == {r["id"].split("-")[0]} for r in records)


WRITER = """
import sys
from pathlib import Path
from punie_core.agent.traces import append_trace
path = Path(sys.argv[1])
print("ready", flush=True)
i = 0
while True:
    append_trace({"id": i, "payload": "x" * 2_000_000}, path)
    i += 1
"""


def test_a_writer_killed_mid_record_leaves_every_earlier_record_readable(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 30
    while (not path.exists() or path.stat().st_size < 6_000_000) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TornTraceWarning)
        ids = [r["id"] for r in read_traces([path])]
    assert len(ids) >= 3 and ids == list(range(len(ids)))


def test_environment_secrets_never_reach_a_trace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SERVICE_API_KEY", "sk-live-abcdef123456")
    monkeypatch.setenv("GITHUB_TOKEN", 'ghp_"quoted\\secret')
    monkeypatch.setenv("DB_PASSWORD", "hunter2hunter2")
    path = tmp_path / "t.jsonl"
    append_trace(
        {
            "output": 'key sk-live-abcdef123456 and ghp_"quoted\\secret',
            "nested": [{"x": "pw=hunter2hunter2"}],
            "extra": "model-key-999999",
        },
        path,
        secrets=["model-key-999999"],
    )
    raw = path.read_text()
    for secret in ("sk-live-abcdef123456", "quoted", "hunter2hunter2", "model-key-999999"):
        assert secret not in raw
    record = next(read_traces([path]))
    assert record["output"] == f"key {REDACTED} and {REDACTED}"
    assert record["extra"] == REDACTED


def test_every_prompt_writes_one_record_with_the_documented_schema(
    workspace: Path, core_toolbox: Any, punie_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUNIE_TEST_SECRET_TOKEN", "tok-should-not-leak-42")
    script = [
        {"tool_calls": [{"name": "execute_code", "arguments": {"code": "read_file(1)"}}]},
        {
            "tool_calls": [
                {"name": "execute_code", "arguments": {"code": "print(read_file('a.txt'))"}}
            ]
        },
        {"text": "It says hello (tok-should-not-leak-42)."},
        {"text": "second answer"},
    ]
    with ScriptedModelServer(script) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=core_toolbox)

        async def main() -> tuple[Any, Any]:
            first = await session.prompt("What is in a.txt?")
            second = await session.prompt("Thanks")
            await session.aclose()
            return first, second

        first, second = run_async(main())
    files = trace_files()
    assert files and files[0].parent == traces_dir() == punie_home / "traces"
    records = list(read_traces())
    assert [r["id"] for r in records] == [first.trace_id, second.trace_id]
    record = records[0]
    assert SCHEMA_KEYS <= set(record)
    assert (
        record["schema"] == 1
        and record["session_id"] == session.id
        and record["query"] == "What is in a.txt?"
    )
    assert record["model"] == server.model_string and record["cwd"] == str(workspace.resolve())
    assert record["system_prompt"] == core_toolbox.prompt
    assert [t["function"]["name"] for t in record["tools"]] == ["execute_code"]
    roles = [m["role"] for m in record["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert record["messages"][2]["tool_calls"][0]["function"]["name"] == "execute_code"
    assert [s["code"] for s in record["snippets"]] == ["read_file(1)", "print(read_file('a.txt'))"]
    assert record["snippets"][0]["result"]["error"]["type"] == "TypeCheckError"
    assert record["snippets"][1]["result"]["stdout"].startswith("hello")
    assert record["tool_calls"] == [
        {
            "tool": "read_file",
            "arguments": {"path": "a.txt"},
            "ok": True,
            "result": "hello\n",
            "error": None,
            "ms": record["tool_calls"][0]["ms"],
            "refused": False,
        }
    ]
    assert record["retries"] == 1 and record["outcome"] == "end_turn"
    assert record["output"] == f"It says hello ({REDACTED})."
    assert record["usage"]["requests"] == 3 and record["usage"]["input_tokens"] > 0
    timings = record["timings"]
    assert timings["total_ms"] >= timings["model_ms"] > 0 and timings["tool_ms"] > 0
    assert (
        record["validation"] == {"findings": [], "passed": True}
        and record["validation_passed"] is True
    )
    assert "tok-should-not-leak-42" not in json.dumps(records)
    # The second prompt's record holds the whole conversation so far.
    assert [m["role"] for m in records[1]["messages"]][-2:] == ["user", "assistant"]
    assert records[1]["messages"][1]["content"] == "What is in a.txt?"


def test_failed_and_cancelled_prompts_are_traced_too(workspace: Path, core_toolbox: Any) -> None:
    with ScriptedModelServer([{"status": 400, "error": "bad request"}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=core_toolbox)
        outcome = run_async(session.prompt("hi"))
    record = next(r for r in read_traces() if r["id"] == outcome.trace_id)
    assert record["outcome"] == "error" and "HTTP 400" in record["error"]


def test_traces_can_be_turned_off(
    workspace: Path, core_toolbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUNIE_TRACES", "0")
    with ScriptedModelServer([{"text": "hi"}]) as server:
        outcome = run_async(
            Session(cwd=workspace, model=server.model_string, toolbox=core_toolbox).prompt("hi")
        )
    assert outcome.trace_id is None and not trace_files()


def test_the_config_api_key_never_reaches_a_trace(
    workspace: Path, core_toolbox: Any, punie_home: Path
) -> None:
    with ScriptedModelServer([{"text": "the key is cfg-secret-key-7777"}]) as server:
        punie_home.mkdir(parents=True, exist_ok=True)
        (punie_home / "config.toml").write_text(
            f'[servers."{server.base_url}"]\napi_key = "cfg-secret-key-7777"\n'
        )
        outcome = run_async(
            Session(cwd=workspace, model=server.model_string, toolbox=core_toolbox).prompt("hi")
        )
        sent = server.chat_requests[0].headers["authorization"]
    assert sent == "Bearer cfg-secret-key-7777"
    record = next(read_traces())
    assert (
        record["output"] == f"the key is {REDACTED}"
        and outcome.output == "the key is cfg-secret-key-7777"
    )
