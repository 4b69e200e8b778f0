"""The quality triad through Punie versus the raw commands, on real codebases, in the same run.

Each tool runs through `Toolbox.call` (argument binding, workspace confinement, permission,
events, the subprocess, parsing into Pydantic results) and, alternately, as the plain command
line it wraps (`subprocess.run`, output captured, nothing parsed). Same arguments, same
project, interleaved runs, so the ratio of medians is Punie's overhead. Goal: <= 1.10.

Codebases are sdists downloaded from PyPI at bench time (cached in the temp directory):

- rich 15.0.0 (100 files, 38k lines) for `ruff_check`, `ruff_format` and `typecheck`;
- pluggy 1.6.0 (its `testing/` suite, ~124 tests) for `pytest_run`.

    uv run python bench/bench_quality.py [--runs N] [--append]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "punie-bench"
GOAL = 1.10
SDISTS = {"rich": "15.0.0", "pluggy": "1.6.0"}


def pip_command() -> list[str]:
    """A pip to download with: this interpreter's, else the first `pip` on PATH."""
    probe = subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True)
    if probe.returncode == 0:
        return [sys.executable, "-m", "pip"]
    pip = shutil.which("pip") or shutil.which("pip3")
    if pip is None:
        sys.exit("bench_quality needs pip to download sdists (pip download --no-binary :all:)")
    return [pip]


def sdist(name: str, version: str) -> Path:
    """Download (once) and unpack the sdist of `name==version`; return the unpacked directory."""
    CACHE.mkdir(parents=True, exist_ok=True)
    for folder in (f"{name}-{version}", f"{name.replace('-', '_')}-{version}"):
        if (CACHE / folder / "PKG-INFO").is_file():
            return CACHE / folder
    command = [*pip_command(), "download", "--no-binary", ":all:", "--no-deps", "-d", str(CACHE)]
    subprocess.run([*command, f"{name}=={version}"], check=True, capture_output=True)
    archive = next(CACHE.glob(f"{name.replace('-', '_')}-{version}.tar.gz"), None) or next(
        CACHE.glob(f"{name}-{version}.tar.gz")
    )
    with tarfile.open(archive) as tar:
        tar.extractall(CACHE, filter="data")
    return sdist(name, version)


def count_lines(root: Path) -> tuple[int, int]:
    files = [root] if root.is_file() else [p for p in root.rglob("*.py") if ".venv" not in p.parts]
    return len(files), sum(
        len(p.read_text(encoding="utf-8", errors="replace").splitlines()) for p in files
    )


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def measure(
    name: str,
    punie: Callable[[], Any],
    raw_argv: list[str],
    cwd: Path,
    runs: int,
    check: Callable[[Any, subprocess.CompletedProcess[str]], str],
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Alternate raw and Punie runs (one warm-up each); return medians, ratio and a summary."""
    raw_times: list[float] = []
    punie_times: list[float] = []
    raw_cpu: list[float] = []
    punie_cpu: list[float] = []

    async def timed_punie() -> tuple[Any, float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        value = await punie()
        return value, time.perf_counter() - started, time.process_time() - cpu

    def timed_raw() -> tuple[subprocess.CompletedProcess[str], float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        value = subprocess.run(raw_argv, cwd=cwd, capture_output=True, text=True, env=env)
        return value, time.perf_counter() - started, time.process_time() - cpu

    for index in range(runs + 1):
        if index % 2:  # alternate who goes first, so neither gains from the other's warm-up
            result, punie_elapsed, punie_cpu_used = await timed_punie()
            done, raw_elapsed, raw_cpu_used = timed_raw()
        else:
            done, raw_elapsed, raw_cpu_used = timed_raw()
            result, punie_elapsed, punie_cpu_used = await timed_punie()
        if index:  # the first pair warms caches and the page cache
            raw_times.append(raw_elapsed)
            punie_times.append(punie_elapsed)
            raw_cpu.append(raw_cpu_used)
            punie_cpu.append(punie_cpu_used)
    return {
        "name": name,
        "raw_ms": median_ms(raw_times),
        "punie_ms": median_ms(punie_times),
        "ratio": statistics.median(punie_times) / statistics.median(raw_times),
        "raw_min_ms": min(raw_times) * 1000,
        "punie_min_ms": min(punie_times) * 1000,
        "extra_cpu_ms": median_ms(punie_cpu) - median_ms(raw_cpu),
        "runs": runs,
        "what": check(result, done),
    }


async def main(runs: int) -> list[dict[str, Any]]:
    from punie_quality.environment import find_binary, project_python
    from punie_quality.pytest_tool import COLLECTOR_MODULE, pytest_argv
    from punie_quality.ruff_tool import check_argv, format_argv
    from punie_quality.ty_tool import typecheck_argv

    from punie_core.plugins.context import ToolContext, using_context
    from punie_core.plugins.loader import entry_point_candidates, load_toolbox

    toolbox = load_toolbox(entry_points=False, extra=entry_point_candidates("punie-quality"))
    rich = sdist("rich", SDISTS["rich"])
    pluggy = sdist("pluggy", SDISTS["pluggy"])
    ruff = find_binary("ruff", rich)
    ty = find_binary("ty", rich)
    rows = []

    def call(root: Path, tool: str, **kwargs: Any) -> Callable[[], Any]:
        context = ToolContext.local(root, yes=True)

        async def run() -> Any:
            with using_context(context):
                return await toolbox.call(tool, kwargs=kwargs)

        return run

    def same_count(field: str, raw_count: Callable[[subprocess.CompletedProcess[str]], int]):
        def check(result: Any, done: subprocess.CompletedProcess[str]) -> str:
            ours, theirs = getattr(result, field), raw_count(done)
            ours = len(ours) if isinstance(ours, list) else ours
            assert ours == theirs, f"{field}: Punie {ours} != raw {theirs}"
            return f"{ours} {field.replace('_', ' ')}"

        return check

    import json

    rows.append(
        await measure(
            "ruff_check",
            call(rich, "ruff_check"),
            check_argv(ruff, ["."], fix=False),
            rich,
            runs,
            same_count("violation_count", lambda d: len(json.loads(d.stdout))),
        )
    )
    rows.append(
        await measure(
            "ruff_check (one file)",
            call(rich, "ruff_check", paths=["rich/console.py"]),
            check_argv(ruff, ["rich/console.py"], fix=False),
            rich,
            runs,
            same_count("violation_count", lambda d: len(json.loads(d.stdout))),
        )
    )
    rows.append(
        await measure(
            "ruff_format",
            call(rich, "ruff_format"),
            format_argv(ruff, ["."], check=True),
            rich,
            runs,
            same_count(
                "files", lambda d: len({m["filename"] for m in json.loads(d.stdout or "[]")})
            ),
        )
    )
    rows[-1]["what"] = rows[-1]["what"].replace("files", "files to reformat")
    python = project_python(rich)
    rows.append(
        await measure(
            "typecheck",
            call(rich, "typecheck"),
            typecheck_argv(ty, python, []),
            rich,
            max(3, runs // 3),  # ty takes ~1 s
            same_count(
                "error_count",
                lambda d: sum(m["severity"] == "major" for m in json.loads(d.stdout or "[]")),
            ),
        )
    )

    def pytest_check(result: Any, done: subprocess.CompletedProcess[str]) -> str:
        tail = done.stdout.strip().splitlines()[-1]
        assert f"{result.passed} passed" in tail, (tail, str(result))
        return f"{len(result.tests)} tests ({result.passed} passed, {result.failed} failed)"

    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    plain = [
        a for a in pytest_argv(project_python(pluggy), ["testing"], ["-q"]) if a != COLLECTOR_MODULE
    ]
    plain.remove("-p")  # the raw command is pytest without our collector
    rows.append(
        await measure(
            "pytest_run",
            call(pluggy, "pytest_run", paths=["testing"], args=["-q"]),
            plain,
            pluggy,
            max(3, runs // 5),  # pytest takes ~2 s
            pytest_check,
            env=env,
        )
    )
    rows[-1]["lines"] = count_lines(pluggy)
    for row in rows[:-1]:
        row["lines"] = count_lines(rich)
    rows[1]["lines"] = count_lines(rich / "rich" / "console.py")
    return rows


def report(rows: list[dict[str, Any]]) -> str:
    today = time.strftime("%Y-%m-%d")
    lines = [
        "",
        f"## Quality triad through Punie vs the raw commands ({today})",
        "",
        f"`bench/bench_quality.py`; machine: 2 vCPU, 24 GiB, {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}. Punie = `Toolbox.call` "
        "(gate, subprocess, parse into Pydantic results); raw = the same command line via "
        "`subprocess.run`, output unparsed. Interleaved runs (alternating which goes first) "
        "after one warm-up pair; medians. "
        "Extra CPU: this process's CPU time per call (`time.process_time`) through Punie minus "
        "the raw call's: the work Punie adds, which load on a shared machine does not blur. "
        f"Codebases: rich {SDISTS['rich']} sdist, pluggy {SDISTS['pluggy']} sdist (`testing/`). "
        f"Goal: ratio <= {GOAL:.2f}. Load average during the run: {os.getloadavg()[0]:.1f}.",
        "",
        "| tool | codebase | runs | raw median ms | Punie median ms | ratio (medians) "
        "| raw / Punie min ms | ratio (mins) | Punie's extra CPU ms | result |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        files, loc = row["lines"]
        mark = "" if row["ratio"] <= GOAL else " (over goal)"
        lines.append(
            f"| {row['name']} | {files} files, {loc / 1000:.1f}k lines | {row['runs']} | "
            f"{row['raw_ms']:.0f} | {row['punie_ms']:.0f} | {row['ratio']:.3f}{mark} | "
            f"{row['raw_min_ms']:.0f} / {row['punie_min_ms']:.0f} | "
            f"{row['punie_min_ms'] / row['raw_min_ms']:.3f} | {row['extra_cpu_ms']:.1f} | "
            f"{row['what']} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=25, help="measured runs per tool (ruff)")
    parser.add_argument(
        "--append", action="store_true", help="append the table to bench/RESULTS.md"
    )
    options = parser.parse_args()
    text = report(asyncio.run(main(options.runs)))
    print(text)
    if options.append:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as handle:
            handle.write(text)
