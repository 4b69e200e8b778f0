"""How fast `punie serve` answers an IDE: spawn -> initialize, session/new, first streamed chunk.

Each run spawns a fresh `punie serve --model local:URL` (the whole process: interpreter start,
stdio channel, SDK import, agent), speaks raw NDJSON JSON-RPC like an IDE and times, from the
spawn:

- the `initialize` response (IDEs give up on agents after 30 s; the goal is 0.5 s);
- the `session/new` response, sent right after `initialize` (goal 1.5 s; other agents take
  1.5 s to 11 s and more);
- the first `agent_message_chunk` of a prompt sent right after `session/new`, against the
  scripted OpenAI-compatible server on loopback (so the model costs nothing: what remains is
  Punie's own start-up: plugins, pydantic-ai, the first request);
- the process exit after stdin closes;
- in separate runs, the first chunk of a prompt sent 5 s after `session/new` (a person typing
  while the agent warms up in the background).

Baselines, measured interleaved in the same run: `python -c pass` (interpreter start) and
`python -c "import acp"` (what an agent importing the ACP SDK before answering `initialize`
would pay before its first byte). Medians of N runs after one warm-up run.

    uv run python bench/bench_acp.py [--runs N] [--no-http] [--append]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from punie_core.testing.scripted_model import ScriptedModelServer  # noqa: E402

GOAL_INITIALIZE = 0.5
GOAL_NEW_SESSION = 1.5
THINK = 5.0
"""Seconds between `session/new` and the prompt in the "person typing" runs."""


def punie() -> list[str]:
    script = Path(sys.executable).with_name("punie")
    return [str(script)] if script.exists() else [sys.executable, "-m", "punie_core.cli"]


def read_until(process: subprocess.Popen[bytes], want: Callable[[dict], bool]) -> dict:
    """Frames from the agent until one satisfies `want`."""
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("punie serve closed stdout")
        frame = json.loads(line)
        if want(frame):
            return frame


def one_run(
    model: str, workspace: Path, env: dict[str, str], extra: list[str], think: float = 0.0
) -> dict[str, float]:
    """Spawn, initialize, session/new, prompt; the times in seconds from the spawn.

    With `think` > 0 the prompt goes `think` seconds after `session/new` (a person typing), and
    only its latency is kept.
    """

    def send(message: dict) -> None:
        assert process.stdin is not None
        process.stdin.write((json.dumps(message) + "\n").encode())
        process.stdin.flush()

    started = time.perf_counter()
    process = subprocess.Popen(
        [*punie(), "serve", "--model", model, *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=workspace,
    )
    times: dict[str, float] = {}
    send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": 1}})
    read_until(process, lambda f: f.get("id") == 0)
    times["initialize"] = time.perf_counter() - started
    sent = time.perf_counter()
    new = {"cwd": str(workspace), "mcpServers": []}
    send({"jsonrpc": "2.0", "id": 1, "method": "session/new", "params": new})
    session_id = read_until(process, lambda f: f.get("id") == 1)["result"]["sessionId"]
    times["session/new"] = time.perf_counter() - started
    times["session/new request"] = time.perf_counter() - sent
    if think:
        time.sleep(think)
    sent = time.perf_counter()
    prompt = {"sessionId": session_id, "prompt": [{"type": "text", "text": "hello"}]}
    send({"jsonrpc": "2.0", "id": 2, "method": "session/prompt", "params": prompt})
    read_until(
        process,
        lambda f: (
            f.get("method") == "session/update"
            and f["params"]["update"]["sessionUpdate"] == "agent_message_chunk"
        ),
    )
    times["first agent_message_chunk"] = time.perf_counter() - started
    times["first chunk after the prompt"] = time.perf_counter() - sent
    read_until(process, lambda f: f.get("id") == 2)
    assert process.stdin is not None
    process.stdin.close()
    closed = time.perf_counter()
    process.wait(timeout=60)
    times["exit after stdin closes"] = time.perf_counter() - closed
    if think:
        return {
            f"first chunk after a prompt typed for {think:g} s": times[
                "first chunk after the prompt"
            ]
        }
    return times


def baseline(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-http", action="store_true", help="serve without the web UI")
    parser.add_argument("--append", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as tmp,
        ScriptedModelServer(
            [{"text": "Hello from the scripted model."}], repeat_last=True
        ) as server,
    ):
        workspace = Path(tmp) / "project"
        workspace.mkdir()
        (workspace / "app.py").write_text("print('hello')\n")
        env = {**os.environ, "PUNIE_HOME": str(Path(tmp) / "home")}
        env.pop("PUNIE_MODEL", None)
        extra = ["--no-http"] if args.no_http else []
        one_run(server.model_string, workspace, env, extra)  # warm-up: page cache, .pyc files
        runs: list[dict[str, float]] = []
        python: list[float] = []
        sdk: list[float] = []
        typed: list[dict[str, float]] = []
        for _ in range(args.runs):
            python.append(baseline("pass"))
            sdk.append(baseline("import acp"))
            runs.append(one_run(server.model_string, workspace, env, extra))
            typed.append(one_run(server.model_string, workspace, env, extra, think=THINK))

    base = statistics.median(python)
    rows = [
        ("`python -c pass` (baseline)", base),
        ('`python -c "import acp"` (SDK import)', statistics.median(sdk)),
    ]
    for group in (runs, typed):
        for key in group[0]:
            rows.append((f"`punie serve`: {key}", statistics.median(r[key] for r in group)))
    init = statistics.median(r["initialize"] for r in runs)
    new = statistics.median(r["session/new"] for r in runs)
    mode = "without the web UI (`--no-http`)" if args.no_http else "with the web UI (default)"
    lines = [
        f"## ACP agent start-up (bench/bench_acp.py), {mode}",
        "",
        f"{datetime.date.today().isoformat()}, 2 vCPU, 24 GiB, {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}; medians of {args.runs} runs "
        "after a warm-up; times from the spawn of the process unless stated; the machine is "
        f"shared (load average {os.getloadavg()[0]:.1f} at the end).",
        "",
        "| what | seconds | x `python -c pass` |",
        "|---|---:|---:|",
        *[f"| {name} | {value:.3f} | {value / base:.1f}x |" for name, value in rows],
        "",
        f"- Goal `initialize` < {GOAL_INITIALIZE} s: {init:.3f} s, "
        f"{'meets' if init < GOAL_INITIALIZE else 'MISSES'} it.",
        f"- Goal `session/new` < {GOAL_NEW_SESSION} s: {new:.3f} s from the spawn, "
        f"{'meets' if new < GOAL_NEW_SESSION else 'MISSES'} it.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.append:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
