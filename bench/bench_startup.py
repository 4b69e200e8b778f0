"""Cold start of `punie --help` and `punie plugins --json` as whole processes, beside bare Python.

Every command is a new process (as a user or an IDE starts it), run N times interleaved so
machine noise hits all of them alike; the medians and their ratios to `python -c pass` are
printed, and `--append` adds them to bench/RESULTS.md. Goal: `punie --help` <= 10x bare Python.

    uv run python bench/bench_startup.py [--runs 21] [--append]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PUNIE = str(Path(PYTHON).with_name("punie"))

COMMANDS: dict[str, list[str]] = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "python -c 'import pydantic'": [PYTHON, "-c", "import pydantic"],
    "punie --help": [PUNIE, "--help"],
    "punie plugins --json": [PUNIE, "plugins", "--json"],
    "punie plugins --json (PUNIE_LOAD_PLUGINS=)": [PUNIE, "plugins", "--json"],
    "punie stubs": [PUNIE, "stubs"],
}
ENVIRONMENTS = {"punie plugins --json (PUNIE_LOAD_PLUGINS=)": {"PUNIE_LOAD_PLUGINS": ""}}
HEAVY = ("pydantic_ai", "pydantic_monty", "acp", "libcst", "openai", "starlette", "uvicorn")


def time_once(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - started


def heavy_imports(args: list[str]) -> list[str]:
    """Heavy libraries imported by one command (checked in-process after it ran)."""
    code = (
        "import contextlib, io, sys\nfrom punie_core.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try:\n        main({args!r})\n    except SystemExit:\n        pass\n"
        f"print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUNIE_")}
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True, env=env)
    return out.stdout.split()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=21, help="runs per command (default 21)")
    parser.add_argument(
        "--append", action="store_true", help="append the figures to bench/RESULTS.md"
    )
    args = parser.parse_args()

    # Bytecode is cached as after any normal install (pip and uv compile it, or the first run
    # does); an environment with PYTHONDONTWRITEBYTECODE=1 would otherwise recompile pydantic
    # on every start. The cache goes to a temporary prefix, not into the tree.
    pycache = tempfile.mkdtemp(prefix="punie-bench-pycache-")
    base_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PUNIE_") and k != "PYTHONDONTWRITEBYTECODE"
    }
    base_env["PYTHONPYCACHEPREFIX"] = pycache
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for name, argv in COMMANDS.items():  # warm the file cache once
        time_once(argv, {**base_env, **ENVIRONMENTS.get(name, {})})
    for _ in range(args.runs):
        for name, argv in COMMANDS.items():
            samples[name].append(time_once(argv, {**base_env, **ENVIRONMENTS.get(name, {})}))

    baseline = statistics.median(samples["python -c pass"])
    rows = []
    for name in COMMANDS:
        median = statistics.median(samples[name])
        rows.append((name, median * 1000, median / baseline))
    lines = [
        f"| command | median ms ({args.runs} runs) | x `python -c pass` |",
        "|---|---:|---:|",
        *[f"| `{name}` | {ms:.0f} | {ratio:.1f}x |" for name, ms, ratio in rows],
    ]
    heavy = {
        "punie --help": heavy_imports(["--help"]),
        "punie plugins --json": heavy_imports(["plugins", "--json"]),
    }
    help_ratio = next(ratio for name, _, ratio in rows if name == "punie --help")
    verdict = "meets" if help_ratio <= 10 else "MISSES"
    notes = [
        f"Goal `punie --help` <= 10x bare Python: {help_ratio:.1f}x, {verdict} it.",
        *[
            f"Heavy libraries imported by `{c}`: {', '.join(m) or 'none'}."
            for c, m in heavy.items()
        ],
    ]
    table = "\n".join(lines)
    print(table)
    print("\n".join(notes))
    if args.append:
        plugins = subprocess.run(
            [PUNIE, "plugins"], capture_output=True, text=True, env=base_env
        ).stdout
        active = [row.split()[0] for row in plugins.splitlines()[1:] if " active " in row]
        section = (
            f"\n## Cold start (bench/bench_startup.py)\n\n"
            f"{time.strftime('%Y-%m-%d')}, 2 vCPU, 24 GiB, "
            f"{platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}; active plugins: {', '.join(active)}.\n\n"
            f"{table}\n\n" + "\n".join(f"- {note}" for note in notes) + "\n"
        )
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as results:
            results.write(section)
    shutil.rmtree(pycache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
