"""Punie's eval on real small models: pass rate, requests, prompt tokens, wall time per task.

Runs `punie eval` on each model (the packaged Qwen2.5-Coder-1.5B and 0.5B, the embedded
SmolLM2-135M) over the 33 tasks of evals/tasks, one after another on the same machine, each on
its own warm managed server, and prints a Markdown table (`--append` adds it to
bench/RESULTS.md). Needs the `models` group (`uv sync --group models`). Or render result files
that `punie eval --out` already wrote:

    uv run python bench/bench_real_models.py [--models gguf:qwen2.5-coder-1.5b,...] [--append]
    uv run python bench/bench_real_models.py --results A.json B.json [--append]

Never run it beside other heavy work when the times matter (2 cores: a second process halves
llama.cpp's speed, or worse); say in RESULTS.md when the machine was shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ["gguf:qwen2.5-coder-1.5b", "gguf:qwen2.5-coder-0.5b", "embedded"]


def run_eval(model: str, out: Path, timeout: float) -> dict:
    command = [
        sys.executable, "-m", "punie_core.cli", "eval", "--model", model,
        "--task-timeout", str(timeout), "--out", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=False, cwd=ROOT, env=os.environ)
    return json.loads(out.read_text())


def row(results: dict) -> str:
    summary = results["summary"]
    tools = [t for t in results["tasks"] if t["expects"] == "tools"]
    tool_passed = sum(t["passed"] for t in tools)
    return (
        f"| {results['model']} | {summary['passed']}/{summary['tasks']} "
        f"({100 * (summary['pass_rate'] or 0):.0f}%) | {tool_passed}/{len(tools)} "
        f"| {summary['requests_per_task']:.1f} | {summary['input_tokens_per_task']:.0f} "
        f"| {summary['wall_s_per_task']:.1f} | {summary['errors']} |"
    )


def failures(results: dict) -> list[str]:
    lines = []
    for task in results["tasks"]:
        if task["passed"]:
            continue
        failed = next((c for c in task["checks"] if not c["ok"]), None)
        why = task["error"] or (f"{failed['kind']}: {failed['detail']}" if failed else "")
        lines.append(f"  - {task['id']}: {' '.join(why.split())[:140]}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--results", nargs="+", type=Path, help="render these result files")
    parser.add_argument("--task-timeout", type=float, default=180.0)
    parser.add_argument("--append", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument("--note", default="", help="a line about the machine (shared? load?)")
    args = parser.parse_args()
    if args.results:
        documents = [json.loads(p.read_text()) for p in args.results]
    else:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        documents = [
            run_eval(model, ROOT / "eval-results" / f"bench-{i}-{stamp}.json", args.task_timeout)
            for i, model in enumerate(args.models.split(","))
        ]
    table = "\n".join(
        [
            "| model | passed (33 tasks) | tool tasks passed | requests / task "
            "| prompt tokens / task | wall s / task | errors (time limit, server) |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *(row(d) for d in documents),
        ]
    )
    detail = []
    for document in documents:
        detail.append(f"- {document['model']} (started {document['started']}), failed:")
        detail += failures(document)
    text = (
        f"\n## Real models on the eval tasks (bench/bench_real_models.py)\n\n"
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} vCPU, {platform.system()} "
        f"{platform.machine()}, llama.cpp (xllamacpp) managed servers, Code Mode; "
        f"{args.note}\n\n{table}\n\n" + "\n".join(detail) + "\n"
    )
    print(text)
    if args.append:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as results:
            results.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
