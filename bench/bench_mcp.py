"""MCP servers: `session/new` with slow servers, and what a Code Mode call adds to a tool call.

1. `session/new` with two MCP servers, one of them 2 s slow to start (the test servers of
   `tests/mcp_tools/mcp_servers.py`, stdio): a fresh `punie serve` per run, raw NDJSON like an
   IDE, `initialize` then `session/new`; timed from the spawn and per request. Baseline in the
   same run: the same with `mcpServers: []`. Goal: < 1.5 s from the spawn on 2 cores.
2. A warm MCP tool call (`echo`, read-only, typed result) three ways, interleaved, medians:
   the SDK's own `ClientSession.call_tool` on the same connection (the server's time plus the
   transport: the baseline),
   `Toolbox.call` (the gate: validation, confinement, events, result noun), and from Code Mode
   (a snippet calling it K times in the Monty sandbox, minus the same snippet without calls,
   per call). Goal: Code Mode adds < 5 ms per call over the baseline.

    uv run python bench/bench_mcp.py [--runs N] [--calls K] [--append]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVERS = ROOT / "tests" / "mcp_tools" / "mcp_servers.py"
GOAL_NEW_SESSION = 1.5
GOAL_OVERHEAD_MS = 5.0


def punie() -> list[str]:
    script = Path(sys.executable).with_name("punie")
    return [str(script)] if script.exists() else [sys.executable, "-m", "punie_core.cli"]


def session_new(workspace: Path, env: dict[str, str], servers: list[dict]) -> dict[str, float]:
    """Spawn `punie serve`, initialize, session/new; seconds from the spawn and per request."""

    def send(message: dict) -> None:
        assert process.stdin is not None
        process.stdin.write((json.dumps(message) + "\n").encode())
        process.stdin.flush()

    def read(want_id: int) -> dict:
        assert process.stdout is not None
        while True:
            frame = json.loads(process.stdout.readline())
            if frame.get("id") == want_id:
                return frame

    started = time.perf_counter()
    process = subprocess.Popen(
        [*punie(), "serve", "--model", "local:http://127.0.0.1:9/v1", "--no-http"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=workspace,
    )
    send({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": 1}})
    read(0)
    sent = time.perf_counter()
    params = {"cwd": str(workspace), "mcpServers": servers}
    send({"jsonrpc": "2.0", "id": 1, "method": "session/new", "params": params})
    frame = read(1)
    done = time.perf_counter()
    assert "result" in frame, frame
    assert process.stdin is not None
    process.stdin.close()
    process.wait(timeout=60)
    return {"from spawn": done - started, "request": done - sent}


async def call_overhead(workspace: Path, calls: int, runs: int) -> dict[str, float]:
    """Median ms per warm call: SDK baseline, through the gate, from Code Mode."""
    from punie_core.mcp.config import ServerSpec
    from punie_core.mcp.manager import McpServers
    from punie_core.plugins.context import ToolContext, using_context
    from punie_core.plugins.loader import load_toolbox
    from punie_core.sandbox.runner import Sandbox, shutdown_pool

    spec = ServerSpec(
        name="bench", transport="stdio", command=sys.executable, args=(str(SERVERS), "basic")
    )
    servers = McpServers([spec], root=workspace, ide_tools=False).start()
    await servers.settle(30)
    toolbox = servers.toolbox(load_toolbox())
    context = ToolContext.local(workspace)
    sandbox = Sandbox(toolbox)
    loop_code = f"n = 0\nfor i in range({calls}):\n    n += bench_echo(text='hello').length\nn"
    empty_code = f"n = 0\nfor i in range({calls}):\n    n += len('hello')\nn"
    sdk: list[float] = []
    gate: list[float] = []
    snippet: list[float] = []
    session = servers.connections[0]._session  # the same connection: only Punie's part differs
    for _ in range(5):  # warm up every path
        await session.call_tool("echo", {"text": "hello"})
    with using_context(context):
        for _ in range(5):
            await toolbox.call("bench_echo", kwargs={"text": "hello"})
    await sandbox.run(loop_code, context)
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(calls):
            await session.call_tool("echo", {"text": "hello"})
        sdk.append((time.perf_counter() - started) * 1000 / calls)
        with using_context(context):
            started = time.perf_counter()
            for _ in range(calls):
                await toolbox.call("bench_echo", kwargs={"text": "hello"})
            gate.append((time.perf_counter() - started) * 1000 / calls)
        full = await sandbox.run(loop_code, context)
        empty = await sandbox.run(empty_code, context)
        assert full.ok and full.value == 5 * calls, full
        snippet.append((full.ms - empty.ms) / calls)
    await sandbox.aclose()
    await servers.aclose()
    await shutdown_pool()
    return {
        "sdk": statistics.median(sdk),
        "gate": statistics.median(gate),
        "code mode": statistics.median(snippet),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--append", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "project"
        workspace.mkdir()
        env = {**os.environ, "PUNIE_HOME": str(Path(tmp) / "home"), "PUNIE_LOAD_PLUGINS": ""}
        env.pop("PUNIE_MODEL", None)
        servers = [
            {"name": "fast", "command": sys.executable, "args": [str(SERVERS), "basic"], "env": []},
            {
                "name": "slow",
                "command": sys.executable,
                "args": [str(SERVERS), "basic", "--delay", "2"],
                "env": [],
            },
        ]
        session_new(workspace, env, [])  # warm-up: page cache, .pyc files
        without: list[dict[str, float]] = []
        with_mcp: list[dict[str, float]] = []
        for _ in range(args.runs):
            without.append(session_new(workspace, env, []))
            with_mcp.append(session_new(workspace, env, servers))
        overhead = asyncio.run(call_overhead(workspace, args.calls, args.runs))

    def median(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    new = median(with_mcp, "from spawn")
    added = overhead["code mode"] - overhead["sdk"]
    lines = [
        "## MCP servers (bench/bench_mcp.py)",
        "",
        f"{datetime.date.today().isoformat()}, {os.cpu_count()} vCPU, {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}; medians of {args.runs} runs; "
        f"the machine is shared (load average {os.getloadavg()[0]:.1f} at the end).",
        "",
        "| `session/new` | from the spawn s | the request s |",
        "|---|---:|---:|",
        f"| no MCP servers (baseline) | {median(without, 'from spawn'):.3f} "
        f"| {median(without, 'request'):.3f} |",
        f"| two stdio MCP servers, one 2 s slow to start | {new:.3f} "
        f"| {median(with_mcp, 'request'):.3f} |",
        "",
        f"| warm MCP call (`echo`), {args.calls} per run | ms per call | over the SDK |",
        "|---|---:|---:|",
        f"| `ClientSession.call_tool` (the server's own time, baseline) | {overhead['sdk']:.2f} "
        "| 1.0x |",
        f"| `Toolbox.call` (the gate) | {overhead['gate']:.2f} "
        f"| {overhead['gate'] / overhead['sdk']:.1f}x |",
        f"| from Code Mode (Monty snippet) | {overhead['code mode']:.2f} "
        f"| {overhead['code mode'] / overhead['sdk']:.1f}x |",
        "",
        f"- Goal `session/new` < {GOAL_NEW_SESSION} s with a slow server: {new:.3f} s, "
        f"{'meets' if new < GOAL_NEW_SESSION else 'MISSES'} it (the servers connect behind it).",
        f"- Goal: a Code Mode MCP call adds < {GOAL_OVERHEAD_MS:g} ms over the server's own time: "
        f"{added:.2f} ms, {'meets' if added < GOAL_OVERHEAD_MS else 'MISSES'} it.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.append:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
