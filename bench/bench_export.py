"""Export throughput and peak memory: `punie traces export` on 10,000 synthetic traces.

    uv run python bench/bench_export.py [--traces 10000]

The traces are realistic in size and shape: Punie's real system prompt, tool definitions,
one to three snippets with typed results, and a mix of validated traces, error-then-fix
traces, unvalidated ones and traces that delete a test. Measured, each in a fresh process:

* baseline: parse every line with `json.loads` and write it back with `json.dumps` (the I/O
  and JSON floor any export pays);
* export: the real streaming export (`punie_core.flywheel.export`), tools format;
* memory: peak traced Python allocations (tracemalloc) of the export on 1,000 and on 10,000
  traces (constant memory means the two are close), against loading the whole file first.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def synthetic_traces(count: int, seed: int = 0):
    """Yield `count` trace records in the schema Punie writes."""
    from punie_core.plugins.loader import load_toolbox

    system_prompt = load_toolbox().prompt
    tools = [
        {
            "type": "function",
            "function": {
                "name": "execute_code",
                "description": "Run Python code in the sandbox; the tools are functions there.",
                "parameters": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}},
                    "required": ["code"],
                },
            },
        }
    ]
    rng = random.Random(seed)
    for index in range(count):
        kind = rng.choices(["ok", "fix", "unvalidated", "tamper"], [60, 20, 10, 10])[0]
        steps = []
        if kind == "fix":
            steps.append(("r = pytest_run()\nprint(r.faild)", False))
        if kind == "tamper":
            steps.append(
                (
                    "run_command('rm tests/test_app.py')\n"
                    "print(run_command('pytest -q').exit_code)",
                    True,
                )
            )
        steps.append(
            (
                "r = pytest_run()\nprint(r.failed, r.passed)\n"
                f"print([t.nodeid for t in r.tests][:{index % 5}])",
                True,
            )
        )
        messages = [
            {"role": "system", "content": system_prompt},
            {
                "role": "user",
                "content": f"Task {index}: make the failing tests in tests/test_app.py pass.",
            },
        ]
        snippets, calls = [], []
        for number, (code, ok) in enumerate(steps):
            call_id = f"call_{index}_{number}"
            messages.append(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": call_id,
                            "type": "function",
                            "function": {
                                "name": "execute_code",
                                "arguments": json.dumps({"code": code}),
                            },
                        }
                    ],
                }
            )
            error = (
                None
                if ok
                else {
                    "type": "TypeCheckError",
                    "message": "TestResult has no attribute faild",
                    "line": 2,
                }
            )
            stdout = "1 4\n['tests/test_app.py::test_a']\n" if ok else ""
            snippets.append(
                {
                    "code": code,
                    "result": {
                        "ok": ok,
                        "stdout": stdout,
                        "value": None,
                        "error": error,
                        "tool_calls": [],
                        "ms": 812.0,
                    },
                }
            )
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": call_id,
                    "content": stdout or "TypeCheckError: TestResult has no attribute faild",
                }
            )
            if ok:
                calls.append(
                    {
                        "tool": "pytest_run",
                        "arguments": {"args": None, "paths": None},
                        "ok": True,
                        "result": {
                            "success": False,
                            "passed": 4,
                            "failed": 1,
                            "tests": [
                                {"nodeid": f"tests/test_app.py::test_{i}", "outcome": "passed"}
                                for i in range(5)
                            ],
                        },
                        "error": None,
                        "ms": 800.0,
                        "refused": False,
                    }
                )
                if "rm tests" in code:
                    calls.append(
                        {
                            "tool": "run_command",
                            "arguments": {"command": "rm tests/test_app.py"},
                            "ok": True,
                            "result": {
                                "command": "rm tests/test_app.py",
                                "exit_code": 0,
                                "output": "",
                            },
                            "error": None,
                            "ms": 5.0,
                            "refused": False,
                        }
                    )
        messages.append({"role": "assistant", "content": "The tests pass now."})
        yield {
            "schema": 1,
            "id": f"{seed:04d}{index:08d}",
            "session_id": f"s{index // 10}",
            "started": "2026-11-22T10:00:00.000+00:00",
            "finished": "2026-11-22T10:00:03.000+00:00",
            "model": "local:http://localhost:8080/v1",
            "cwd": "/home/dev/shop",
            "query": messages[1]["content"],
            "system_prompt": system_prompt,
            "tools": tools,
            "messages": messages,
            "snippets": snippets,
            "tool_calls": calls,
            "validation": {"findings": [], "passed": kind != "unvalidated"},
            "retries": int(kind == "fix"),
            "outcome": "end_turn",
            "output": "The tests pass now.",
            "usage": {"input_tokens": 5200, "output_tokens": 90, "requests": len(steps) + 1},
            "timings": {"total_ms": 3000.0, "model_ms": 2000.0, "tool_ms": 1000.0},
            "validation_passed": kind != "unvalidated",
        }


def child(mode: str, source: Path, out: Path) -> None:
    """One measurement in this (fresh) process; prints a JSON line."""
    import tracemalloc

    from punie_core.flywheel.export import ExportOptions, export
    from punie_core.flywheel.sources import iter_traces

    traced = mode.endswith("-memory")
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    if mode.startswith("baseline"):
        count = 0
        with open(source, "rb") as handle, open(out / "copy.jsonl", "w", encoding="utf-8") as copy:
            for line in handle:
                copy.write(json.dumps(json.loads(line), ensure_ascii=False) + "\n")
                count += 1
    elif mode.startswith("whole"):
        traces = list(iter_traces([source]))  # everything in memory first, then export
        count = export(iter(traces), out, ExportOptions()).traces
    else:
        count = export(iter_traces([source]), out, ExportOptions()).traces
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else 0
    print(json.dumps({"mode": mode, "traces": count, "seconds": seconds, "peak_bytes": peak}))


def measure(mode: str, source: Path, work: Path) -> dict:
    out = work / f"out-{mode}-{source.stem}"
    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(source), str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--traces", type=int, default=10_000)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, source, out = args.child
        child(mode, Path(source), Path(out))
        return
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="punie-bench-export-") as temporary:
        work = Path(temporary)
        big, small = work / "traces-big.jsonl", work / "traces-small.jsonl"
        with (
            open(big, "w", encoding="utf-8") as handle_big,
            open(small, "w", encoding="utf-8") as handle_small,
        ):
            for index, trace in enumerate(synthetic_traces(args.traces)):
                line = json.dumps(trace, ensure_ascii=False) + "\n"
                handle_big.write(line)
                if index < args.traces // 10:
                    handle_small.write(line)
        size_mb = big.stat().st_size / 1e6
        baseline = measure("baseline", big, work)
        exported = measure("export", big, work)
        memory_small = measure("export-memory", small, work)
        memory_big = measure("export-memory", big, work)
        memory_whole = measure("whole-memory", big, work)
    rate = exported["traces"] / exported["seconds"]
    base_rate = baseline["traces"] / baseline["seconds"]
    mib = 1024 * 1024
    print(
        f"traces: {args.traces} ({size_mb:.0f} MB of JSONL, "
        f"{size_mb * 1e3 / args.traces:.1f} KB per trace)"
    )
    print(f"baseline json.loads + json.dumps: {base_rate:,.0f} traces/s")
    print(
        f"export (tools format): {rate:,.0f} traces/s ({exported['seconds']:.2f} s; "
        f"{rate / base_rate:.2f}x the baseline)"
    )
    print(
        f"peak traced memory of the export: {memory_small['peak_bytes'] / mib:.1f} MiB "
        f"on {memory_small['traces']} traces, "
        f"{memory_big['peak_bytes'] / mib:.1f} MiB on {memory_big['traces']} "
        f"({memory_big['peak_bytes'] / max(memory_small['peak_bytes'], 1):.2f}x for 10x the traces)"
    )
    print(
        f"loading the whole file first instead: {memory_whole['peak_bytes'] / mib:.1f} MiB "
        f"({memory_whole['peak_bytes'] / max(memory_big['peak_bytes'], 1):.0f}x "
        "the streaming export)"
    )
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
