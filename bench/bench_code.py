"""punie-code: navigation latency on a 200-file project, the server's first start, git_status.

Every call goes through `Toolbox.call` (argument binding, workspace confinement, events) and,
for navigation, the freshness check that runs before each query (a stat of every tracked
file, then the LSP request to `ty server`). Measured:

- first call: `references` on a fresh workspace, paying `ty server`'s start and first analysis;
- warm `references` and `definition` (median and p90 of N calls), goal < 100 ms on 2 cores;
- warm `references` right after a write through Punie (the write's sync included);
- `git_status` vs the raw `git status --porcelain=v2 -z --branch --untracked-files=all` it
  wraps, interleaved in the same run, goal within 2x.

The project is generated: 200 modules that each import and call a shared `base.helper` and
their neighbour, so `references` of `helper` spans every file.

    uv run python bench/bench_code.py [--runs N] [--append]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from punie_code.server import stop_all

from punie_core import AutoApprove, ToolContext, load_toolbox, using_context

ROOT = Path(__file__).resolve().parents[1]
FILES = 200


def generate(root: Path) -> None:
    """200 modules calling a shared helper and each other, in a git repository."""
    package = root / "app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text(
        '"""Shared."""\n\n\ndef helper(value: int) -> int:\n    """Double it."""\n'
        "    return value * 2\n"
    )
    for index in range(FILES - 2):
        neighbour = f"from app.mod_{index - 1:03d} import step_{index - 1:03d}\n" if index else ""
        body = f"step_{index - 1:03d}(value)" if index else "value"
        (package / f"mod_{index:03d}.py").write_text(
            f"from app.base import helper\n{neighbour}\n\n"
            f"def step_{index:03d}(value: int) -> int:\n"
            f"    return helper({body}) + {index}\n\n\n"
            f"class Thing{index:03d}:\n    def run(self) -> int:\n"
            f"        return step_{index:03d}(1)\n"
        )
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=b", "-c", "user.email=b@x", "commit", "-qm", "base"],
    ):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)
    for index in range(0, 20):
        path = package / f"mod_{index:03d}.py"
        path.write_text(path.read_text() + "\n# touched\n")
    (package / "new_file.py").write_text("X = 1\n")


LOOP = asyncio.new_event_loop()
"""One event loop for every call, as in a session (a new loop per call would add ~1 ms)."""


def timed(toolbox: Any, root: Path, name: str, **kwargs: Any) -> tuple[float, Any]:
    context = ToolContext.local(root, permissions=AutoApprove())

    async def run() -> Any:
        with using_context(context):
            return await toolbox.call(name, kwargs=kwargs)

    started = time.perf_counter()
    result = LOOP.run_until_complete(run())
    return (time.perf_counter() - started) * 1000, result


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.9) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--append", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()

    toolbox = load_toolbox(entry_points=False, extra=_candidates(), strict=True)
    with tempfile.TemporaryDirectory(prefix="punie-bench-code-") as tmp:
        root = Path(tmp) / "project"
        generate(root)
        time.sleep(2.1)  # past the "racy" window: files edited this recently are hashed
        where = {"path": "app/base.py", "line": 4, "column": 5}
        first_ms, refs = timed(toolbox, root, "references", **where)
        assert refs.count == 1 + 2 * (FILES - 2), refs.count  # def, then an import and a call each
        warm_refs = [timed(toolbox, root, "references", **where)[0] for _ in range(args.runs)]
        use = {"path": "app/mod_150.py", "line": 6, "column": 12}
        warm_def = [timed(toolbox, root, "definition", **use)[0] for _ in range(args.runs)]
        after_write = []
        for index in range(min(args.runs, 10)):
            text = f"from app.base import helper\n\nEXTRA = helper({index})\n"
            timed(toolbox, root, "write_file", path="app/extra.py", content=text)
            after_write.append(timed(toolbox, root, "references", **where)[0])
        raw_git, punie_git = [], []
        argv = ["git", "status", "--porcelain=v2", "-z", "--branch", "--untracked-files=all"]
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run(argv, cwd=root, capture_output=True, check=True)
            raw_git.append((time.perf_counter() - started) * 1000)
            punie_git.append(timed(toolbox, root, "git_status")[0])
        stop_all()

    rows = [
        ("first `references` (starts `ty server`)", first_ms, first_ms),
        ("warm `references` (397 hits in 200 files)", *stats(warm_refs)),
        ("warm `definition`", *stats(warm_def)),
        ("`references` right after a `write_file`", *stats(after_write)),
        ("raw `git status --porcelain=v2 -z`", *stats(raw_git)),
        ("`git_status()`", *stats(punie_git)),
    ]
    ratio = statistics.median(punie_git) / statistics.median(raw_git)
    machine = (
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} vCPU, {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}"
    )
    lines = [
        "## Code intelligence: navigation on ty server, git_status (bench/bench_code.py)",
        "",
        f"{machine}; a generated 200-file project; every call through `Toolbox.call`, "
        f"{args.runs} runs each (10 for after-write).",
        "",
        "| what | median ms | p90 ms |",
        "|---|---:|---:|",
        *[f"| {name} | {median:.1f} | {p90:.1f} |" for name, median, p90 in rows],
        "",
        f"- Goal warm `references`/`definition` < 100 ms: {stats(warm_refs)[0]:.1f} / "
        f"{stats(warm_def)[0]:.1f} ms, "
        f"{'meets it' if max(stats(warm_refs)[0], stats(warm_def)[0]) < 100 else 'MISSES it'}.",
        f"- Goal `git_status` within 2x of raw `git status`: {ratio:.2f}x, "
        f"{'meets it' if ratio <= 2 else 'MISSES it'}.",
        "",
    ]
    print("\n".join(lines))
    if args.append:
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as results:
            results.write("\n" + "\n".join(lines))


def _candidates() -> list[Any]:
    from punie_core.plugins.loader import entry_point_candidates

    return entry_point_candidates("punie-code")


if __name__ == "__main__":
    main()
