"""Overhead of one `execute_code` snippet, beside CPython `exec` of the same code and raw Monty.

Two snippets: a trivial one (`x = 1 + 2`) and one with 3 tool calls (`read_file` of three
files). For each, medians over N runs of:

* `cpython exec`: `exec(compile(code))` with the tools as plain Python functions (no sandbox);
* `raw monty`: the same code fed to a warm Monty session with the same stubs and type check,
  each pause answered directly with the file's text (what any Monty embedding pays);
* `punie`: `Sandbox.run` with the real toolbox (gate, permissions, events, conversions);
* `toolbox.call x3`: three direct `Toolbox.call("read_file")`, the gate's share of `punie`.

`punie - raw monty` is the host overhead Punie adds (goal: < 2 ms for the 3-call snippet
once the pool is warm). Each timed run starts with its sandbox's spare session ready, as it
is when a model takes more than a few milliseconds to answer.

    uv run python bench/bench_code_mode.py [--runs 30] [--core] [--append]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from punie_core.plugins.context import ToolContext, using_context  # noqa: E402
from punie_core.plugins.loader import load_toolbox  # noqa: E402
from punie_core.plugins.toolbox import Toolbox  # noqa: E402
from punie_core.sandbox import pool as sandbox_module  # noqa: E402
from punie_core.sandbox.runner import CHECKER_BUILTINS, Sandbox, shutdown_pool, warm_up_code  # noqa: E402

SNIPPETS = {
    "trivial": "x = 1 + 2\nx",
    "3 tool calls": (
        "total = 0\nfor p in ['a.py', 'b.py', 'c.py']:\n    total += len(read_file(p))\ntotal"
    ),
}


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_cpython(code: str, root: Path, runs: int) -> list[float]:
    def read_file(path: str) -> str:
        return (root / path).read_text()

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        namespace: dict[str, Any] = {"read_file": read_file}
        exec(compile(code, "snippet.py", "exec"), namespace)
        times.append(time.perf_counter() - started)
    return times


async def raw_monty_once(code: str, toolbox: Toolbox, root: Path) -> float:
    """One run of `code` in a fresh, warmed Monty session, pauses answered directly."""
    from pydantic_monty import AsyncFunctionSnapshot, CollectString, MontyComplete

    pool = await sandbox_module.sandbox_pool()
    session = pool.checkout(
        script_name="snippet.py",
        limits={"max_memory": 128 << 20, "max_feed_duration_secs": 10},
        type_check=True,
        type_check_stubs=toolbox.stubs + CHECKER_BUILTINS,
        type_check_format="concise",
    )
    await session.__aenter__()
    await session.feed_run(
        warm_up_code(t.name for t in toolbox.tools), print_callback=CollectString()
    )
    started = time.perf_counter()
    snapshot = await session.feed_start(code, print_callback=CollectString())
    while not isinstance(snapshot, MontyComplete):
        assert isinstance(snapshot, AsyncFunctionSnapshot)
        text = (root / snapshot.args[0]).read_text()
        snapshot = await snapshot.resume({"return_value": text})
    elapsed = time.perf_counter() - started
    await session.__aexit__(None, None, None)
    return elapsed


async def bench_interleaved(
    code: str, toolbox: Toolbox, context: ToolContext, root: Path, runs: int
) -> tuple[list[float], list[float], list[float], list[float]]:
    """Raw Monty and Punie runs alternated (noise hits both alike), then Punie without a spare."""
    sandbox = Sandbox(toolbox)
    raw, warm, cold, host = [], [], [], []
    await sandbox.run(code, context)  # start the pool and the first spare
    for _ in range(runs):
        raw.append(await raw_monty_once(code, toolbox, root))
        await settle(sandbox)
        started = time.perf_counter()
        result = await sandbox.run(code, context)
        warm.append(time.perf_counter() - started)
        host.append((result.ms - result.worker_ms) / 1000)
        assert result.ok, result.error
    for _ in range(max(5, runs // 3)):
        fresh = Sandbox(toolbox)
        started = time.perf_counter()
        result = await fresh.run(code, context)
        cold.append(time.perf_counter() - started)
        await fresh.aclose()
        await settle(None)
    await sandbox.aclose()
    return raw, warm, cold, host


async def settle(sandbox: Sandbox | None) -> None:
    """Wait until the spare session is ready and used sessions are closed (the model's turn)."""
    if sandbox is not None and sandbox._spare is not None:
        await asyncio.shield(sandbox._spare)
    pending = list(sandbox_module._background)
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)


async def bench_toolbox_calls(toolbox: Toolbox, context: ToolContext, runs: int) -> list[float]:
    times = []
    with using_context(context):
        for _ in range(runs):
            started = time.perf_counter()
            for path in ("a.py", "b.py", "c.py"):
                await toolbox.call("read_file", (path,), {})
            times.append(time.perf_counter() - started)
    return times


async def measure(
    toolbox: Toolbox, context: ToolContext, root: Path, runs: int
) -> dict[str, dict[str, float]]:
    rows: dict[str, dict[str, float]] = {}
    for name, code in SNIPPETS.items():
        cpython = median_ms(bench_cpython(code, root, runs))
        raw, warm, cold, host = await bench_interleaved(code, toolbox, context, root, runs)
        rows[name] = {
            "cpython exec": cpython,
            "raw monty": median_ms(raw),
            "punie": median_ms(warm),
            "punie host": median_ms(host),
            "punie, no spare": median_ms(cold),
        }
    rows["3 tool calls"]["toolbox.call x3"] = median_ms(
        await bench_toolbox_calls(toolbox, context, runs)
    )
    await shutdown_pool()
    return rows


def report(rows: dict[str, dict[str, float]], runs: int, stubs_bytes: int) -> str:
    lines = [
        "| snippet | cpython exec | raw monty | punie | punie host share | punie / cpython "
        "| punie / raw monty | punie, no spare |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        lines.append(
            f"| {name} | {row['cpython exec']:.3f} ms | {row['raw monty']:.2f} ms "
            f"| {row['punie']:.2f} ms | {row['punie host']:.2f} ms "
            f"| {row['punie'] / row['cpython exec']:.0f}x | {row['punie'] / row['raw monty']:.2f}x "
            f"| {row['punie, no spare']:.1f} ms |"
        )
    gate = rows["3 tool calls"]["toolbox.call x3"]
    host = rows["3 tool calls"]["punie host"]
    verdict = "met" if host < 2 else "NOT met"
    lines += [
        "",
        f"Medians of {runs} runs, raw Monty and Punie interleaved; {stubs_bytes} bytes of stubs "
        "type-checked per snippet. `punie host share` is the run's time not spent waiting on "
        "the Monty worker (`CodeResult.ms - worker_ms`): the gate, conversions and bookkeeping "
        f"Punie adds. Of it, {gate:.2f} ms is three direct `Toolbox.call('read_file')` "
        "(validation, confinement, events, async file read). The rest of a run is Monty itself "
        "(type check of the snippet against the stubs, interpreter, IPC), as `raw monty` shows. "
        f"Goal < 2 ms host overhead for 3 calls, warm: {verdict} ({host:.2f} ms).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--core", action="store_true", help="core tools only (smaller stubs)")
    parser.add_argument("--append", action="store_true", help="append the table to RESULTS.md")
    args = parser.parse_args()

    toolbox = load_toolbox(entry_points=not args.core)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name in ("a.py", "b.py", "c.py"):
            (root / name).write_text("print('hello')\n" * 20)
        context = ToolContext.local(root)
        rows = asyncio.run(measure(toolbox, context, root, args.runs))
    text = report(rows, args.runs, len(toolbox.stubs))
    print(text)
    if args.append:
        stamp = datetime.date.today().isoformat()
        machine = f"{platform.machine()}, Python {platform.python_version()}"
        which = "core tools" if args.core else "all installed plugins"
        section = (
            f"\n\n## Code Mode overhead per snippet (bench/bench_code_mode.py, {which})\n\n"
            f"{stamp}, 2 vCPU, 24 GiB, Linux {machine}, shared with other work.\n\n{text}\n"
        )
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as handle:
            handle.write(section)


if __name__ == "__main__":
    main()
