"""Model-written tools: what checking a draft costs, what making a tool saves on a repeat.

1. Validation of a draft, warm, without the model's own tests (parse, signature, typecheck in
   Monty, ruff, replay of the motivating snippet): median of N runs. Goal: < 100 ms on 2 cores.
   Beside it, one plain `execute_code` of the function's source (the floor: one sandbox run).
2. The repeated-task scenario (`tests/toolmaking/scenario.py`, a scripted model over real HTTP):
   requests and prompt tokens (Punie's estimate, as the scripted server reports usage) of each
   of three repetitions. Goal: the third uses at most half the prompt tokens of the first.

    uv run python bench/bench_toolmaking.py [--runs 20] [--append]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from punie_core.plugins.context import ToolContext  # noqa: E402
from punie_core.plugins.loader import load_toolbox  # noqa: E402
from punie_core.sandbox.results import CodeResult  # noqa: E402
from punie_core.sandbox.runner import execute_code, shutdown_pool  # noqa: E402
from punie_core.toolmaking.checks import CHECK_LIMITS, Snippet, check_draft  # noqa: E402
from punie_core.toolmaking.shelf import ToolShelf  # noqa: E402
from tests.toolmaking.scenario import FUNCTION, make_project, repeated_task  # noqa: E402


async def validation(project: Path, runs: int) -> tuple[float, float, list[str]]:
    toolbox = ToolShelf(project).extend(load_toolbox(entry_points=False))
    context = ToolContext.local(project)
    motivating = FUNCTION + '\nprint(count_todos("a.py"))\n'
    first = await execute_code(motivating, toolbox=toolbox, context=context)
    history = [Snippet(motivating, CodeResult.model_validate(first.model_dump()))]
    check_times, floor_times, kinds = [], [], []
    try:
        for _ in range(runs + 2):  # two warm-up rounds
            started = time.perf_counter()
            run = await check_draft(
                "count_todos", FUNCTION, [], toolbox=toolbox, context=context, history=history
            )
            check_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            await execute_code(FUNCTION, toolbox=toolbox, context=context, limits=CHECK_LIMITS)
            floor_times.append(time.perf_counter() - started)
            kinds = [f"{c.kind}:{'ok' if c.ok else 'fail'}" for c in run.checks]
    finally:
        await shutdown_pool()
    return (
        statistics.median(check_times[2:]) * 1000,
        statistics.median(floor_times[2:]) * 1000,
        kinds,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--append", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PUNIE_HOME"] = str(Path(tmp) / "home")
        project = make_project(Path(tmp) / "proj")
        checks_ms, floor_ms, kinds = asyncio.run(validation(project, args.runs))
        scenario = repeated_task(
            make_project(Path(tmp) / "repeat"), load_toolbox(entry_points=False)
        )
    when = datetime.date.today().isoformat()
    machine = f"{os.cpu_count()} CPUs, {platform.machine()}, CPython {platform.python_version()}"
    lines = [
        f"## Model-written tools (bench/bench_toolmaking.py), {when}, {machine}",
        "",
        f"Validating a draft without its tests, warm, median of {args.runs}: "
        f"**{checks_ms:.1f} ms** (goal < 100 ms); one sandbox run of the same source: "
        f"{floor_ms:.1f} ms. Checks: {' '.join(kinds)} (the tests check only counted them).",
        "",
        "| repetition | requests | prompt tokens | ratio to first |",
        "|---|---:|---:|---:|",
    ]
    first = scenario[0]["prompt_tokens"]
    for number, run in enumerate(scenario, 1):
        ratio = run["prompt_tokens"] / first
        lines.append(f"| {number} | {run['requests']} | {run['prompt_tokens']} | {ratio:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.append:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as results:
            results.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
