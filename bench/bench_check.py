"""`punie check` versus `ruff check` and `ty check` on the same realistic codebase, in the same run.

The codebase is the rich 15.0.0 sdist (100 files, 38k lines, nothing to do with tdom or
svcs; downloaded from PyPI once and cached in the temp directory, like bench_quality.py)
plus Punie's own tdom and svcs corpus projects (small applications with components,
registrations and middleware), so a few files are relevant and most are not.

Measured, interleaved, median of N runs after one warm-up:

- `ruff check` (the baseline: one Rust process for every file);
- `ty check` (the cost of the types layer, one Rust process);
- `punie check --layers syntax,conventions` with the domain plugins (tdom, svcs), as a
  process: interpreter start, plugin loading, the syntax gate and the convention rules;
- the same pipeline per layer (syntax gate, conventions), timed inside a fresh interpreter
  after start-up and plugin loading (cold caches; the first libcst import is in the syntax gate).

Goal: the convention layers add no more than the ty layer costs.

    uv run python bench/bench_check.py [--runs N] [--append]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "punie-bench"
RICH = "15.0.0"
CORPORA = [
    ROOT / "plugins/punie-tdom/tests/fixtures",
    ROOT / "plugins/punie-svcs/tests/fixtures",
]


def rich_sdist() -> Path:
    """Download (once) and unpack the rich sdist; return the unpacked directory."""
    folder = CACHE / f"rich-{RICH}"
    if (folder / "PKG-INFO").is_file():
        return folder
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-binary",
            ":all:",
            "--no-deps",
            "-d",
            str(CACHE),
            f"rich=={RICH}",
        ],
        check=True,
        capture_output=True,
    )
    with tarfile.open(CACHE / f"rich-{RICH}.tar.gz") as tar:
        tar.extractall(CACHE, filter="data")
    return folder


def build_codebase() -> Path:
    """rich's package and tests plus the domain corpora, in one fresh directory."""
    target = Path(tempfile.mkdtemp(prefix="punie-bench-check-"))
    rich = rich_sdist()
    shutil.copytree(rich / "rich", target / "rich")
    if (rich / "tests").is_dir():
        shutil.copytree(rich / "tests", target / "tests")
    for corpus in CORPORA:
        for case in sorted(corpus.iterdir()):
            if case.is_dir():
                shutil.copytree(case, target / "apps" / case.name)
    (target / "pyproject.toml").write_text(
        '[project]\nname = "bench"\nrequires-python = ">=3.14"\n'
    )
    return target


def binary(name: str) -> str:
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else (shutil.which(name) or sys.exit(f"{name} not found"))


def timed(
    argv: list[str], cwd: Path, env: dict[str, str]
) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - started, done


IN_PROCESS = """
import json, sys, time
import punie_svcs.plugin, punie_tdom.plugin
from punie_core.plugins.loader import candidate_from_object, load_toolbox
from punie_core.validation.pipeline import check_paths

toolbox = load_toolbox(entry_points=False, extra=[
    candidate_from_object(punie_tdom.plugin, "tdom", "punie-tdom"),
    candidate_from_object(punie_svcs.plugin, "svcs", "punie-svcs"),
])
started = time.perf_counter()
report = check_paths([sys.argv[1]], toolbox, layers=("syntax", "conventions"))
timings = dict(report.timings, total=time.perf_counter() - started, files=report.files)
print(json.dumps(timings))
"""


def in_process(codebase: Path) -> dict[str, float]:
    """The pipeline's own time per layer and validator, cold (a fresh interpreter each run,
    timed after start-up and plugin loading, so no parse or model cache is warm)."""
    import json

    done = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, str(codebase)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--append", action="store_true", help="append the table to bench/RESULTS.md"
    )
    args = parser.parse_args()

    codebase = build_codebase()
    files = [p for p in codebase.rglob("*.py")]
    lines = sum(len(p.read_text(encoding="utf-8", errors="replace").splitlines()) for p in files)
    relevant = [p for p in files if "apps" in p.relative_to(codebase).parts]
    env = {**os.environ, "PUNIE_LOAD_PLUGINS": "tdom,svcs"}
    commands = {
        "ruff": [
            binary("ruff"),
            "check",
            "--no-cache",
            "--exit-zero",
            "--output-format=json",
            "--target-version",
            "py314",
            ".",
        ],
        "ty": [
            binary("ty"),
            "check",
            "--python-version",
            "3.14",
            "--output-format",
            "gitlab",
            "--exit-zero",
            ".",
        ],
        "punie": [
            sys.executable,
            "-m",
            "punie_core.cli",
            "check",
            "--layers",
            "syntax,conventions",
            "--json",
            ".",
        ],
    }
    samples: dict[str, list[float]] = {name: [] for name in commands}
    layers: list[dict[str, float]] = []
    outputs: dict[str, subprocess.CompletedProcess[str]] = {}
    for index in range(args.runs + 1):
        for name, argv in commands.items():
            elapsed, done = timed(argv, codebase, env)
            outputs[name] = done
            if index:
                samples[name].append(elapsed)
        if index:
            layers.append(in_process(codebase))
    if outputs["punie"].returncode not in (0, 1):
        sys.exit(f"punie check failed:\n{outputs['punie'].stderr}")

    def median(name: str) -> float:
        return statistics.median(samples[name]) * 1000

    def layer(key: str) -> float:
        return statistics.median(run.get(key, 0.0) for run in layers) * 1000

    ruff_ms, ty_ms, punie_ms = median("ruff"), median("ty"), median("punie")
    syntax_ms, conventions_ms, total_ms = layer("syntax"), layer("conventions"), layer("total")
    tdom_ms, svcs_ms = layer("validator:tdom_components"), layer("validator:svcs_services")
    import json

    punie_findings = len(json.loads(outputs["punie"].stdout)["findings"])
    meets = conventions_ms <= ty_ms
    today = datetime.date.today().isoformat()
    table = f"""
## punie check vs ruff check vs ty check (bench/bench_check.py)

{today}, 2 vCPU, 24 GiB, Linux {platform.machine()}, Python {platform.python_version()}. Codebase:
rich {RICH} (package + tests) plus the tdom/svcs corpora: {len(files)} files, {lines} lines,
{len(relevant)} of them tdom/svcs application code. Median of {args.runs} interleaved runs
after a warm-up; `punie check` runs the domain plugins only (`PUNIE_LOAD_PLUGINS=tdom,svcs`).

| what | ms | vs ruff |
|---|---:|---:|
| `ruff check` (all files, Rust) | {ruff_ms:.0f} | 1.0x |
| `ty check` (all files, Rust): the types layer | {ty_ms:.0f} | {ty_ms / ruff_ms:.1f}x |
| `punie check --layers syntax,conventions` (process) | {punie_ms:.0f} | {punie_ms / ruff_ms:.1f}x |
| &nbsp; pipeline without start-up, syntax + conventions | {total_ms:.0f} | {
        total_ms / ruff_ms:.1f}x |
| &nbsp; syntax gate (ast, libcst for t-strings) | {syntax_ms:.0f} | {syntax_ms / ruff_ms:.1f}x |
| &nbsp; convention layers (tdom + svcs rules) | {conventions_ms:.0f} | {
        conventions_ms / ruff_ms:.1f}x |
| &nbsp; &nbsp; tdom_components / svcs_services | {tdom_ms:.0f} / {svcs_ms:.0f} | |

- Findings: punie {punie_findings} (the corpora's bad projects), ruff
  {len(json.loads(outputs["ruff"].stdout or "[]"))}.
- Goal: convention layers <= the ty layer: {conventions_ms:.0f} ms vs {ty_ms:.0f} ms,
  {"meets it" if meets else "MISSES it"} (ratio {conventions_ms / ty_ms:.2f}).
"""
    print(table)
    if args.append:
        with (ROOT / "bench/RESULTS.md").open("a", encoding="utf-8") as handle:
            handle.write(table)
    shutil.rmtree(codebase, ignore_errors=True)


if __name__ == "__main__":
    main()
