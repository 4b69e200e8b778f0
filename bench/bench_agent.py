"""Agent overhead and model requests per task, through the real HTTP path with the scripted server.

1. Agent overhead per model request: a Punie `Session` answers prompts of 20 model requests
   (19 cheap direct tool calls, then text) from a scripted OpenAI-compatible server running in
   its own process. Overhead per request = (prompt wall time - tool time - the server's own
   time for each request, from its clock) / requests: everything but the server, including the
   client side of HTTP on loopback. Plain pydantic-ai (an `Agent` with one tool, streamed, same
   kind of server) is measured the same way as the reference. Goal: < 5 ms.
2. Requests and prompt tokens per task, Code Mode vs one tool per turn, on the scripted task
   set of bench/bench_turns.py: the scripted server replays each task's snippet (Code Mode) or
   its plan one call per turn, deciding each call from the tool results Punie sent back.
   Prompt tokens are the server's usage (the same estimate as `punie prompt --tokens`), summed
   over the task's requests: the system prompt and tool definitions are paid on every request.
3. Cold start and exit of `punie run` against plain pydantic-ai doing the same one request.

    uv run python bench/bench_agent.py [--append] [--quick]
"""

# ruff: noqa: E501  (markdown table rows)

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PUNIE_HOME", tempfile.mkdtemp(prefix="punie-bench-home-"))
os.environ["PUNIE_TRACES"] = os.environ.get("PUNIE_TRACES", "1")

from punie_core.testing.scripted_model import ScriptedModelServer  # noqa: E402

TOOL_REQUESTS = 19


class ServerProcess:
    """`python -m punie_core.testing.scripted_model` in its own process (so it takes no time from ours)."""

    def __init__(self, replies: list[dict[str, Any]]) -> None:
        self.file = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(replies, self.file)
        self.file.close()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "punie_core.testing.scripted_model",
                "--script",
                self.file.name,
                "--port",
                "0",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.base_url = self.process.stdout.readline().strip()

    def server_ms(self) -> list[float]:
        """The server's own time for each chat request so far (from its own clock)."""
        import urllib.request

        root = self.base_url.rsplit("/v1", 1)[0]
        with urllib.request.urlopen(root + "/_scripted/requests", timeout=10) as response:
            rows = json.loads(response.read())
        return [r["ms"] for r in rows if r["path"].endswith("/chat/completions")]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        os.unlink(self.file.name)


def prompt_replies(prompts: int) -> list[dict[str, Any]]:
    one = [
        {"tool_calls": [{"name": "tool_help", "arguments": {"name": "read_file"}}]}
    ] * TOOL_REQUESTS
    return (one + [{"text": "done"}]) * prompts


async def raw_round_trips(base_url: str, count: int) -> list[float]:
    """Milliseconds per streamed request with a bare client: the server's time plus loopback."""
    import httpx2

    body = {
        "model": "m",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "x"}],
    }
    times = []
    async with httpx2.AsyncClient(timeout=30) as client:
        for _ in range(count):
            started = time.perf_counter()
            async with client.stream("POST", base_url + "/chat/completions", json=body) as response:
                async for _ in response.aiter_bytes():
                    pass
            times.append((time.perf_counter() - started) * 1000)
    return times


async def punie_overhead(
    server: ServerProcess, prompts: int, workspace: Path
) -> list[tuple[float, float, int]]:
    """(wall ms, tool + server ms, requests) per prompt of one Punie session."""
    base_url = server.base_url
    from punie_core.agent.session import Session
    from punie_core.agent.traces import read_traces
    from punie_core.plugins.loader import load_toolbox

    session = Session(
        cwd=workspace,
        model=f"local:{base_url}",
        toolbox=load_toolbox(entry_points=False),
        request_limit=100,
    )
    rows = []
    for _ in range(prompts):
        before = len(server.server_ms())
        started = time.perf_counter()
        outcome = await session.prompt("Look up read_file's documentation many times.")
        wall = (time.perf_counter() - started) * 1000
        assert outcome.stop_reason == "end_turn", outcome.error
        trace = next(t for t in read_traces() if t["id"] == outcome.trace_id)
        served = sum(server.server_ms()[before:])
        rows.append((wall, trace["timings"]["tool_ms"] + served, outcome.requests))
        session._history = []  # each prompt starts fresh: same work every time
    await session.aclose()
    return rows


async def plain_overhead(server: ServerProcess, prompts: int) -> list[tuple[float, float, int]]:
    """The same prompts on a bare pydantic-ai Agent (one tool, streamed): the reference."""
    base_url = server.base_url
    from httpx2 import AsyncClient
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider
    from pydantic_ai.usage import UsageLimits

    provider = OpenAICompatibleProvider(
        "local", base_url=base_url, api_key="x", http_client=AsyncClient(timeout=30)
    )
    tool_ms = [0.0]

    def tool_help(name: str) -> str:
        """Return the documentation of a tool.

        Args:
            name: The tool.
        """
        started = time.perf_counter()
        text = f"def {name}(path: str) -> str: ..."
        tool_ms[0] += (time.perf_counter() - started) * 1000
        return text

    agent = Agent(
        OpenAIChatModel("m", provider=provider), tools=[tool_help], instructions="You are terse."
    )

    async def handler(ctx: Any, stream: Any) -> None:
        async for _ in stream:
            pass

    rows = []
    for _ in range(prompts):
        tool_ms[0] = 0.0
        before = len(server.server_ms())
        started = time.perf_counter()
        result = await agent.run(
            "go", event_stream_handler=handler, usage_limits=UsageLimits(request_limit=100)
        )
        wall = (time.perf_counter() - started) * 1000
        served = sum(server.server_ms()[before:])
        rows.append((wall, tool_ms[0] + served, result.usage.requests))
    return rows


def per_request(rows: list[tuple[float, float, int]]) -> list[float]:
    return [(wall - excluded) / requests for wall, excluded, requests in rows]


def measure_overhead(prompts: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp)
        (workspace / "a.txt").write_text("hello\n")
        raw_server = ServerProcess([{"text": "done"}] * 400)
        punie_server = ServerProcess(prompt_replies(prompts + 1))
        plain_server = ServerProcess(prompt_replies(prompts + 1))
        try:

            async def main() -> tuple[list[float], Any, Any]:
                await raw_round_trips(raw_server.base_url, 20)  # warm up
                raw = await raw_round_trips(raw_server.base_url, 300)
                # Plain pydantic-ai first: connecting a Punie model switches off the openai
                # client's per-request params walk for the whole process (see models.py).
                await plain_overhead(plain_server, 1)
                plain_rows = await plain_overhead(plain_server, prompts)
                await punie_overhead(punie_server, 1, workspace)  # warm up: imports, schemas
                punie_rows = await punie_overhead(punie_server, prompts, workspace)
                return raw, punie_rows, plain_rows

            raw, punie_rows, plain_rows = asyncio.run(main())
        finally:
            for server in (raw_server, punie_server, plain_server):
                server.close()
    raw_ms = statistics.median(raw)
    return {
        "raw_ms": raw_ms,
        "punie": per_request(punie_rows),
        "plain": per_request(plain_rows),
        "requests": punie_rows[0][2],
    }


# --- 2. Code Mode vs one tool per turn -----------------------------------------------------


def load_turn_tasks() -> Any:
    spec = importlib.util.spec_from_file_location("bench_turns", ROOT / "bench" / "bench_turns.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_turns"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def decode(tool: str, content: str) -> Any:
    """A tool result as the plan expects it back, from the text Punie sent the model."""
    if tool == "list_files":
        return json.loads(content)
    return content


def direct_script(task: Any) -> Any:
    """A scripted model that follows the task's plan, one call per response."""

    def script(body: dict[str, Any], index: int) -> dict[str, Any]:
        plan = task.plan()
        call = next(plan)
        try:
            for message in body["messages"]:
                if message["role"] == "tool":
                    call = plan.send(decode(call[0], message["content"]))
        except StopIteration as stop:
            return {"text": f"Done: {json.dumps(stop.value)}"}
        return {"tool_calls": [{"name": call[0], "arguments": call[1]}]}

    return script


def code_script(task: Any) -> list[dict[str, Any]]:
    return [
        {"tool_calls": [{"name": "execute_code", "arguments": {"code": task.snippet}}]},
        {"text": "Done."},
    ]


async def run_task(script: Any, mode: str, root: Path) -> tuple[int, int, str]:
    from punie_core.agent.session import Session
    from punie_core.plugins.context import ToolContext
    from punie_core.plugins.loader import load_toolbox

    with ScriptedModelServer(script) as server:
        session = Session(
            cwd=root,
            model=server.model_string,
            toolbox=load_toolbox(entry_points=False),
            context=ToolContext.local(root, yes=True),
            mode=mode,  # type: ignore[arg-type]
            request_limit=200,
        )
        outcome = await session.prompt("Do the task.")
        await session.aclose()
        assert outcome.stop_reason == "end_turn", outcome.error
        first = server.chat_requests[0].body
        first_tokens = 0
        from punie_core.testing.scripted_model import request_tokens

        first_tokens = request_tokens(first)
    return outcome.requests, outcome.usage["input_tokens"], f"{first_tokens}"


def measure_tasks() -> list[tuple[str, tuple[int, int, str], tuple[int, int, str], bool]]:
    turns = load_turn_tasks()
    rows = []

    async def main() -> None:
        from punie_core.sandbox.runner import shutdown_pool

        try:
            for task in turns.TASKS:
                with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
                    code_root, direct_root = Path(a), Path(b)
                    turns.make_project(code_root)
                    turns.make_project(direct_root)
                    code = await run_task(code_script(task), "code", code_root)
                    direct = await run_task(direct_script(task), "direct", direct_root)
                    same = turns.snapshot(code_root) == turns.snapshot(direct_root)
                    rows.append((task.name, code, direct, same))
        finally:
            await shutdown_pool()

    asyncio.run(main())
    return rows


# --- 3. Cold start and exit ----------------------------------------------------------------

PLAIN_SCRIPT = """
import asyncio, sys
from httpx2 import AsyncClient
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider
provider = OpenAICompatibleProvider("local", base_url=sys.argv[1], api_key="x", http_client=AsyncClient(timeout=30))
agent = Agent(OpenAIChatModel("m", provider=provider), instructions="You are terse.")
async def handler(ctx, stream):
    async for _ in stream:
        pass
result = asyncio.run(agent.run("hi", event_stream_handler=handler))
print(result.output)
"""


def measure_startup(runs: int) -> dict[str, list[tuple[float, float]]]:
    """(launch -> first request ms, last reply -> exit ms) for `punie run` and plain pydantic-ai."""
    punie = Path(sys.executable).with_name("punie")
    results: dict[str, list[tuple[float, float]]] = {"punie run": [], "plain pydantic-ai": []}
    # As on a person's machine: Python caches bytecode (a CI-style PYTHONDONTWRITEBYTECODE
    # would recompile Punie's own modules, which live in the work tree, on every start).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a.txt").write_text("hello\n")
        for run in range(runs + 1):
            for name in results:
                with ScriptedModelServer([{"text": "hello"}]) as server:
                    if name == "punie run":
                        command = [
                            str(punie),
                            "run",
                            "hi",
                            "--model",
                            server.model_string,
                            "--cwd",
                            tmp,
                            "--json",
                            "-q",
                        ]
                    else:
                        command = [sys.executable, "-c", PLAIN_SCRIPT, server.base_url]
                    started = time.perf_counter()
                    done = subprocess.run(
                        command, capture_output=True, text=True, stdin=subprocess.DEVNULL, env=env
                    )
                    ended = time.perf_counter()
                    assert done.returncode == 0, done.stderr
                    request = server.chat_requests[0]
                    if run == 0:
                        continue  # warm-up: bytecode written, files in the page cache
                    results[name].append(
                        ((request.received - started) * 1000, (ended - request.answered) * 1000)
                    )
    return results


# --- report --------------------------------------------------------------------------------


def report(
    overhead: dict[str, Any], tasks: list[Any], startup: dict[str, list[tuple[float, float]]]
) -> str:
    punie, plain = overhead["punie"], overhead["plain"]
    lines = [
        f"Agent overhead per model request (prompts of {overhead['requests']} requests, streamed; "
        "the server's own time per request is subtracted; for scale, a bare streaming HTTP round "
        f"trip to it takes {overhead['raw_ms']:.2f} ms):",
        "",
        "| agent | prompts | median ms/request | min | max |",
        "|---|---|---|---|---|",
        f"| Punie Session (Code Mode agent, direct tool) | {len(punie)} | **{statistics.median(punie):.2f}** | {min(punie):.2f} | {max(punie):.2f} |",
        f"| plain pydantic-ai Agent (one tool, openai client as shipped) | {len(plain)} | {statistics.median(plain):.2f} | {min(plain):.2f} | {max(plain):.2f} |",
        "",
        f"Goal < 5 ms median: {'met' if statistics.median(punie) < 5 else 'NOT met'} "
        f"(ratio to plain pydantic-ai {statistics.median(punie) / max(statistics.median(plain), 1e-9):.2f}).",
        "",
        "Model requests and prompt tokens per task (bench/bench_turns.py's tasks; core tools only):",
        "",
        "| task | requests, Code Mode | requests, one tool per turn | prompt tokens, Code Mode | prompt tokens, one tool per turn | same files |",
        "|---|---|---|---|---|---|",
    ]
    for name, code, direct, same in tasks:
        lines.append(
            f"| {name} | {code[0]} | {direct[0]} | {code[1]} | {direct[1]} | {'yes' if same else 'NO'} |"
        )
    code_requests = sum(c[0] for _, c, _, _ in tasks)
    direct_requests = sum(d[0] for _, _, d, _ in tasks)
    code_tokens = sum(c[1] for _, c, _, _ in tasks)
    direct_tokens = sum(d[1] for _, _, d, _ in tasks)
    lines += [
        f"| **all {len(tasks)}** | **{code_requests}** | **{direct_requests}** | **{code_tokens}** | **{direct_tokens}** | |",
        "",
        f"Code Mode: {direct_requests / code_requests:.1f}x fewer requests, {direct_tokens / code_tokens:.1f}x fewer prompt "
        f"tokens. First request (system prompt + tool definitions): Code Mode {tasks[0][1][2]} tokens, "
        f"one tool per turn {tasks[0][2][2]} tokens.",
        "",
        "Cold start and exit (medians; the scripted server answers at once):",
        "",
        "| process | runs | launch -> first model request ms | last reply -> exit ms |",
        "|---|---|---|---|",
    ]
    for name, rows in startup.items():
        first = statistics.median(r[0] for r in rows)
        exit_ms = statistics.median(r[1] for r in rows)
        lines.append(f"| {name} | {len(rows)} | {first:.0f} | {exit_ms:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--append", action="store_true", help="append the results to bench/RESULTS.md"
    )
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    args = parser.parse_args()
    overhead = measure_overhead(5 if args.quick else 15)
    tasks = measure_tasks()
    startup = measure_startup(2 if args.quick else 5)
    text = report(overhead, tasks, startup)
    print(text)
    if args.append:
        load = os.getloadavg()[0]
        section = (
            "\n\n## Agent: overhead per request, requests per task, cold start (bench/bench_agent.py)\n\n"
            f"{datetime.date.today().isoformat()}, 2 vCPU, 24 GiB, Linux {platform.machine()}, Python "
            f"{platform.python_version()}; load average {load:.1f} when it finished. Scripted "
            "OpenAI-compatible server over real HTTP on loopback.\n\n"
            f"{text}\n"
        )
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as handle:
            handle.write(section)


if __name__ == "__main__":
    main()
