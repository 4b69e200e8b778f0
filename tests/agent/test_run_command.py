"""`punie run` end to end: a real process, a real scripted server on loopback, real files."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path

from punie_core.agent.traces import read_traces
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import punie
from tests.helpers.cli import punie_command

LIST_AND_READ = [
    {
        "reasoning": "Let me look at the files.",
        "tool_calls": [
            {"name": "execute_code", "arguments": {"code": "for p in list_files():\n    print(p)"}}
        ],
    },
    # A local server that left the call as text: Punie recovers it.
    {
        "text": (
            "<tool_call>\n<function=read_file>\n<parameter=path>\na.txt\n</parameter>\n"
            "</function>\n</tool_call>"
        )
    },
    {"text": "The project has a.txt (it says hello) and app/main.py."},
]


def test_json_output_has_the_documented_shape(workspace: Path, punie_home: Path) -> None:
    with ScriptedModelServer(LIST_AND_READ) as server:
        done = punie(
            "run",
            "What files are in this project?",
            "--model",
            server.model_string,
            "--cwd",
            str(workspace),
            "--json",
        )
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert set(payload) == {"output", "requests", "tool_calls", "usage", "trace"}
    assert payload["output"] == "The project has a.txt (it says hello) and app/main.py."
    assert payload["requests"] == 3
    assert [c["tool"] for c in payload["tool_calls"]] == ["list_files", "read_file"]
    assert payload["tool_calls"][1] == {
        "tool": "read_file",
        "arguments": {"path": "a.txt"},
        "ok": True,
        "result": "hello\n",
        "error": None,
        "ms": payload["tool_calls"][1]["ms"],
        "refused": False,
    }
    assert (
        set(payload["usage"]) == {"input_tokens", "output_tokens"}
        and payload["usage"]["input_tokens"] > 0
    )
    traces = list(read_traces([punie_home / "traces"]))
    assert [t["id"] for t in traces] == [payload["trace"]] and traces[0][
        "recovered_tool_calls"
    ] == 1


def test_the_live_view_goes_to_stderr_and_the_answer_to_stdout(workspace: Path) -> None:
    with ScriptedModelServer(LIST_AND_READ) as server:
        done = punie("run", "What files?", "--model", server.model_string, "--cwd", str(workspace))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "The project has a.txt (it says hello) and app/main.py.\n"
    err = done.stderr
    assert "thinking: Let me look at the files." in err
    assert "▶ execute_code" in err and "│ for p in list_files():" in err
    assert "● list_files(**/*)" in err and "● read_file(a.txt)" in err
    assert "✓ hello" in err and "<tool_call>" not in err


WRITE = [
    {
        "tool_calls": [
            {"name": "write_file", "arguments": {"path": "app/new.py", "content": "x = 1\n"}}
        ]
    },
    {"text": "Done."},
]


def test_writes_are_refused_without_a_terminal_or_yes(workspace: Path) -> None:
    with ScriptedModelServer(WRITE) as server:
        done = punie(
            "run", "Write it", "--model", server.model_string, "--cwd", str(workspace), "--json"
        )
    assert done.returncode == 0, done.stderr
    call = json.loads(done.stdout)["tool_calls"][0]
    assert call["refused"] is True and "run with --yes" in call["error"]
    assert not (workspace / "app" / "new.py").exists()
    assert "✗ refused" in done.stderr


def test_yes_allows_writes(workspace: Path) -> None:
    with ScriptedModelServer(WRITE) as server:
        done = punie(
            "run",
            "Write it",
            "--model",
            server.model_string,
            "--cwd",
            str(workspace),
            "--yes",
            "--json",
        )
    assert done.returncode == 0, done.stderr
    assert (workspace / "app" / "new.py").read_text() == "x = 1\n"
    assert json.loads(done.stdout)["tool_calls"][0]["ok"] is True


def _punie_on_a_terminal(args: list[str], answer: str, timeout: float = 90) -> tuple[int, str]:
    """Run punie with a pseudo-terminal as stdin/stderr; answer the first question asked."""
    master, slave = os.openpty()
    command = punie_command()
    process = subprocess.Popen(
        [*command, *args],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=dict(os.environ, NO_COLOR="1"),
    )
    os.close(slave)
    seen = b""
    answered = False
    deadline = time.monotonic() + timeout
    try:
        while process.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    seen += os.read(master, 4096)
                except OSError:
                    break
            if not answered and b"[y/N]" in seen:
                os.write(master, answer.encode() + b"\n")
                answered = True
        process.wait(10)
    finally:
        os.close(master)
    assert process.stdout is not None
    process.stdout.read()
    return process.returncode, seen.decode(errors="replace")


def test_on_a_terminal_writes_are_asked_and_yes_allows_them(workspace: Path) -> None:
    with ScriptedModelServer(WRITE) as server:
        code, screen = _punie_on_a_terminal(
            ["run", "Write it", "--model", server.model_string, "--cwd", str(workspace)], "y"
        )
    assert code == 0, screen
    assert "allow write_file(app/new.py)? [y/N]" in screen
    assert (workspace / "app" / "new.py").read_text() == "x = 1\n"


def test_on_a_terminal_no_refuses(workspace: Path) -> None:
    with ScriptedModelServer(WRITE) as server:
        code, screen = _punie_on_a_terminal(
            ["run", "Write it", "--model", server.model_string, "--cwd", str(workspace)], "n"
        )
    assert code == 0, screen
    assert not (workspace / "app" / "new.py").exists() and "refused" in screen


def test_ctrl_c_cancels_and_exits_130(workspace: Path) -> None:
    with ScriptedModelServer([{"hang": True}]) as server:
        process = subprocess.Popen(
            [
                *punie_command(),
                "run",
                "wait",
                "--model",
                server.model_string,
                "--cwd",
                str(workspace),
                "--json",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 90
        while not server.chat_requests and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
        elapsed = time.monotonic() - started
    assert process.returncode == 130, err
    assert elapsed < 5 and "cancelling" in err
    assert json.loads(out)["output"] == ""


def test_a_named_model_that_is_not_running_fails_with_what_to_start(workspace: Path) -> None:
    with ScriptedModelServer([]) as server:
        url = server.base_url
    done = punie("run", "hi", "--model", f"local:{url}", "--cwd", str(workspace))
    assert done.returncode == 1
    assert f"no model server answers at {url}" in done.stderr and "mlx_lm.server" in done.stderr


def test_bad_usage_exits_2(workspace: Path, tmp_path: Path) -> None:
    assert punie("run", "   ", "--cwd", str(workspace)).returncode == 2
    missing = punie("run", "hi", "--cwd", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "not a directory" in missing.stderr
    bad_file = punie(
        "run", "hi", "--model", f"gguf:{tmp_path / 'missing.gguf'}", "--cwd", str(workspace)
    )
    assert bad_file.returncode == 1 and "model file not found" in bad_file.stderr
