"""Web UI event latency: agent event -> SSE client, with 1 session (baseline) and 20 at once.

One agent process (this one) runs the web UI and N real `Session`s in one asyncio loop, each
answering prompts from the scripted model server (in its own process): every prompt runs a Code
Mode snippet with two tool calls, then streams its answer in 24 pieces. A separate client process
holds one SSE stream per session (as N browser tabs would) and records, for every event, the
time it arrived minus the time the web UI received it from the session (`ts`, stamped when the
session emitted it; same machine clock). It also checks that every stream got every sequence
number 1..last with none missing or doubled, and that last equals the server's count.

    uv run python bench/bench_sse.py [--sessions 20] [--prompts 3] [--append]

Goal: p99 < 100 ms with no event lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = 'files = list_files("*.txt")\nfor name in files:\n    print(name, len(read_file(name)))'
ANSWER = "The project has one text file, notes.txt, holding eleven characters of notes. " * 2


def scripted_reply(body: dict, index: int) -> dict:
    """Tool calls first; once their results are in the conversation, the streamed answer.

    In Code Mode one snippet makes both tool calls; in direct mode the model calls both tools.
    """
    last = body["messages"][-1]
    if last.get("role") == "tool":
        return {"text": ANSWER, "chunks": 24}
    tools = {t["function"]["name"] for t in body.get("tools", [])}
    if "execute_code" in tools:
        return {"tool_calls": [{"name": "execute_code", "arguments": {"code": CODE}}]}
    calls = [{"name": "list_files", "arguments": {"pattern": "*.txt"}}]
    return {"tool_calls": calls + [{"name": "read_file", "arguments": {"path": "notes.txt"}}]}


def model_process(port_out: multiprocessing.Queue) -> None:
    """The scripted model server, in its own process (as a real local model server would be)."""
    import signal
    import threading

    from punie_core.testing.scripted_model import ScriptedModelServer

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with ScriptedModelServer(scripted_reply) as server:
        port_out.put(server.port)
        done.wait()


CLIENT = r"""
import asyncio, json, sys, time

async def follow(port, token, session_id, prompts, ready, arrivals, seqs):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"GET /api/sessions/{session_id}/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                  f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    while (await reader.readline()) not in (b"\r\n", b""):
        pass  # response headers
    ready()
    finished = 0
    data = None
    event = None
    buffer = b""
    while finished < prompts:
        size_line = await reader.readline()  # chunked transfer encoding
        size = int(size_line.strip() or b"0", 16)
        chunk = await reader.readexactly(size + 2)
        now = time.time()
        buffer += chunk[:-2]
        while b"\n\n" in buffer:
            block, buffer = buffer.split(b"\n\n", 1)
            lines = [l for l in block.decode().split("\n") if ": " in l and not l.startswith(":")]
            fields = dict(line.split(": ", 1) for line in lines)
            if "data" not in fields:
                continue
            payload = json.loads(fields["data"])
            arrivals.append(now - payload["ts"])
            seqs.append(payload["seq"])
            if fields.get("event") == "prompt_finished":
                finished += 1
    writer.close()

async def main():
    port, token, prompts = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    ids = sys.argv[4:]
    count = 0
    def ready():
        nonlocal count
        count += 1
        if count == len(ids):
            print("ready", flush=True)
    results = {i: ([], []) for i in ids}
    await asyncio.gather(*(follow(port, token, i, prompts, ready, *results[i]) for i in ids))
    print(json.dumps({i: {"latencies": a, "seqs": s} for i, (a, s) in results.items()}), flush=True)

asyncio.run(main())
"""


async def run_load(
    sessions: int, prompts: int, model_port: int, workspace: Path, mode: str
) -> dict:
    """One measurement: `sessions` sessions answering `prompts` prompts each, all at once."""
    from punie_core.agent.approvals import PermissionBroker
    from punie_core.agent.session import Session
    from punie_core.plugins.context import ToolContext
    from punie_core.plugins.loader import load_toolbox
    from punie_core.security.workspace import Workspace
    from punie_core.web import WebUI

    toolbox = load_toolbox()
    web = WebUI(project=workspace, model="scripted", announce=False, register=False)
    await web.start()
    model = f"local:http://127.0.0.1:{model_port}/v1"
    agents = []
    for _ in range(sessions):
        context = ToolContext(workspace=Workspace.at(workspace), permissions=PermissionBroker())
        session = Session(
            cwd=workspace, model=model, context=context, toolbox=toolbox, traces=False, mode=mode
        )
        agents.append(session)
    # Warm up every session once (model connection, agent, sandbox) before anyone watches.
    await asyncio.gather(*(s.prompt("warm up") for s in agents))
    for session in agents:
        web.attach(session)
    client = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CLIENT,
        str(web.port),
        web.token,
        str(prompts),
        *[s.id for s in agents],
        stdout=asyncio.subprocess.PIPE,
    )
    assert client.stdout is not None
    assert (await client.stdout.readline()).strip() == b"ready"
    started = time.perf_counter()

    async def drive(session: Session) -> None:
        for n in range(prompts):
            outcome = await session.prompt(f"what is in the project? ({n})")
            assert outcome.stop_reason == "end_turn", outcome.error

    await asyncio.gather(*(drive(s) for s in agents))
    wall = time.perf_counter() - started
    report = json.loads(await client.stdout.readline())
    await client.wait()
    expected = {s.id: web.hub.views[s.id].seq for s in agents}
    await web.stop()
    latencies = [ms * 1000 for r in report.values() for ms in r["latencies"]]
    lost = sum(1 for sid, r in report.items() if r["seqs"] != list(range(1, expected[sid] + 1)))
    latencies.sort()
    return {
        "sessions": sessions,
        "events": len(latencies),
        "median_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "max_ms": latencies[-1],
        "streams_with_loss": lost,
        "events_per_s": len(latencies) / wall,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--prompts", type=int, default=3, help="prompts per session (default 3)")
    parser.add_argument(
        "--mode",
        choices=("code", "direct"),
        default="code",
        help="code: each prompt runs a Code Mode snippet; direct: the model calls the tools itself",
    )
    parser.add_argument(
        "--append", action="store_true", help="append the figures to bench/RESULTS.md"
    )
    args = parser.parse_args()
    os.environ.setdefault("PUNIE_HOME", tempfile.mkdtemp(prefix="punie-bench-home-"))
    ports: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=model_process, args=(ports,), daemon=True)
    server.start()
    try:
        model_port = ports.get(timeout=30)
        with tempfile.TemporaryDirectory() as directory:
            workspace = Path(directory)
            (workspace / "notes.txt").write_text("hello notes")
            baseline = asyncio.run(run_load(1, args.prompts, model_port, workspace, args.mode))
            load = asyncio.run(
                run_load(args.sessions, args.prompts, model_port, workspace, args.mode)
            )
    finally:
        server.terminate()
        server.join(10)
    rows = [
        (f"1 session (baseline), {args.mode} mode", baseline),
        (f"{args.sessions} sessions at once, {args.mode} mode", load),
    ]
    lines = [
        "| load | events | median | p99 | max | events/s | streams with a lost event |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['events']} | {r['median_ms']:.2f} ms | {r['p99_ms']:.2f} ms | "
            f"{r['max_ms']:.2f} ms | {r['events_per_s']:.0f} | {r['streams_with_loss']} |"
        )
    ratio = load["p99_ms"] / baseline["p99_ms"] if baseline["p99_ms"] else float("nan")
    verdict = "met" if load["p99_ms"] < 100 and load["streams_with_loss"] == 0 else "NOT met"
    lines.append("")
    lines.append(
        f"p99 under load / baseline p99: {ratio:.1f}x. "
        f"Goal (p99 < 100 ms, no event lost): {verdict}."
    )
    table = "\n".join(lines)
    print(table)
    if args.append:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        )
        header = (
            f"\n## Web UI: agent event -> SSE client latency (`bench/bench_sse.py`)\n\n"
            f"{time.strftime('%Y-%m-%d')}, commit {commit.stdout.strip() or '?'}, "
            f"{os.cpu_count()} vCPU, Linux {platform.machine()}, "
            f"Python {platform.python_version()}. "
            f"{args.prompts} prompts per session, each 2 tool calls (in one Code Mode snippet, or "
            "called directly) and a 24-piece streamed answer, from the scripted model server (own "
            "process); one SSE client "
            "process with one stream per session. "
            "Latency = arrival at the client - time the web UI "
            "got the event from the session.\n\n"
        )
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as results:
            results.write(header + table + "\n")
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
