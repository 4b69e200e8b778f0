"""Specs (issue 16): the context index's size, and what spec_status adds over the pytest run.

1. The index in the system prompt, on a project with all three layers (an Agent OS base install
   with a two-profile chain as the organisation, nested AGENTS.md, a spec-kit constitution,
   Agent OS standards and product files, Kiro steering, a spec-kit feature). Goal <= 300 tokens
   (`punie_core.plugins.prompt.estimate_tokens`).
2. `spec_status()` on a generated 200-test project versus `pytest_run()` alone, both through
   `Toolbox.call` in the same run, interleaved, medians compared. spec_status runs the same
   pytest_run and then links the tests to 40 requirements (markers, names, docstrings) by
   reading the test modules with `ast`. Goal: <= 1.10x. On a shared machine two pytest runs
   differ by more than the linking costs, so each spec_status call is also compared with its
   own inner pytest_run (timed by the toolbox's `ToolCallFinished` events): that ratio is the
   work spec_status adds, free of run-to-run noise.

    uv run python bench/bench_specs.py [--runs N] [--append]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import textwrap
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

INDEX_GOAL = 300
STATUS_GOAL = 1.10
REQUIREMENTS = 40
TEST_FILES = 10
TESTS_PER_FILE = 20


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def all_layers(base: Path) -> Path:
    """An organisation folder (in PUNIE_HOME) and a project using every layout at once."""
    from tests.specs.projects import agent_os_base, spec_kit_project

    home = base / "home"
    agent_os_base(home / "standards")
    for i in range(8):
        write(
            home / "standards/profiles/base/standards/global",
            {f"rule-{i}.md": f"# Organisation rule {i}: services, logging, errors, reviews\n"},
        )
    os.environ["PUNIE_HOME"] = str(home)
    project = spec_kit_project(base / "project")
    files = {
        "AGENTS.md": "# Shop agents guide\n",
        "app/AGENTS.md": "# App conventions for views and services\n",
        "app/api/AGENTS.md": "# API handlers: versioning, pagination, errors\n",
        ".kiro/steering/product.md": "# Product: a shop for rare teas\n",
        ".kiro/steering/tech.md": "# Tech stack: Starlette, SQLite, tdom\n",
        "agent-os/product/mission.md": "# Mission: rare teas, shipped fast\n",
        "agent-os/product/roadmap.md": "# Roadmap: checkout, gift cards, subscriptions\n",
    }
    for i in range(12):
        files[f"agent-os/standards/area-{i % 4}/standard-{i}.md"] = (
            f"# Standard {i}: how we write handlers, tests, migrations and templates\n"
        )
    write(project, files)
    return project


def index_size(base: Path) -> dict[str, Any]:
    from punie_core.plugins.prompt import estimate_tokens
    from punie_core.specs.discovery import discover
    from punie_core.specs.index import context_index

    project = all_layers(base)
    context_index(project)  # imports (yaml) and a cold file cache are not the index's cost
    started = time.perf_counter()
    index = context_index(project)
    ms = (time.perf_counter() - started) * 1000
    found = discover(project)
    levels = {
        level: sum(e.file.level == level for e in found.entries)
        for level in ("org", "project", "feature")
    }
    return {"tokens": estimate_tokens(index), "chars": len(index), "files": levels, "ms": ms}


def two_hundred_tests(root: Path) -> Path:
    """A spec with 40 requirements and 200 tests linked by markers, names and docstrings."""
    requirements = "\n".join(
        f"- **FR-{n:03d}**: System MUST handle case {n}" for n in range(1, REQUIREMENTS + 1)
    )
    files = {
        "specs/001-bench/spec.md": f"# Feature Specification: Bench\n\n{requirements}\n",
        "app/__init__.py": "",
        "app/core.py": "def double(x):\n    return 2 * x\n",
    }
    for f in range(TEST_FILES):
        tests = ["import pytest\n\nfrom app.core import double\n"]
        for t in range(TESTS_PER_FILE):
            n = (f * TESTS_PER_FILE + t) % REQUIREMENTS + 1
            if t % 3 == 0:
                tests.append(f'\n@pytest.mark.spec("FR-{n:03d}")\ndef test_case_{t}():\n')
            elif t % 3 == 1:
                tests.append(f"\ndef test_fr_{n:03d}_case_{t}():\n")
            else:
                tests.append(f'\ndef test_docstring_{t}():\n    """Covers FR-{n:03d}."""\n')
            tests.append(f"    assert double({t}) == {2 * t}\n")
        files[f"tests/test_bench_{f}.py"] = "\n".join(tests)
    write(root, files)
    return root


def status_overhead(base: Path, runs: int) -> dict[str, Any]:
    from punie_core import AutoApprove, ToolContext, using_context
    from punie_core.plugins.loader import entry_point_candidates, load_toolbox

    root = two_hundred_tests(base / "tests200")
    toolbox = load_toolbox(entry_points=False, extra=entry_point_candidates("punie-quality"))
    events: list[Any] = []
    context = ToolContext.local(root, permissions=AutoApprove(), emit=events.append)

    async def timed(name: str) -> tuple[float, Any]:
        with using_context(context):
            started = time.perf_counter()
            result = await toolbox.call(name)
            return time.perf_counter() - started, result

    from punie_core.plugins.events import ToolCallFinished

    pytest_times: list[float] = []
    status_times: list[float] = []
    inner_ratios: list[float] = []
    asyncio.run(timed("pytest_run"))  # warm the interpreter's caches once
    status = None
    for _ in range(runs):
        seconds, result = asyncio.run(timed("pytest_run"))
        assert result.passed == TEST_FILES * TESTS_PER_FILE, result.tool_error
        pytest_times.append(seconds)
        events.clear()
        seconds, status = asyncio.run(timed("spec_status"))
        status_times.append(seconds)
        finished = {e.tool: e.ms for e in events if isinstance(e, ToolCallFinished)}
        inner_ratios.append(finished["spec_status"] / finished["pytest_run"])
    assert status is not None and status.passing == REQUIREMENTS, status
    pytest_ms = statistics.median(pytest_times) * 1000
    status_ms = statistics.median(status_times) * 1000
    return {
        "tests": TEST_FILES * TESTS_PER_FILE,
        "requirements": REQUIREMENTS,
        "pytest_ms": pytest_ms,
        "status_ms": status_ms,
        "ratio": status_ms / pytest_ms,
        "inner_ratio": statistics.median(inner_ratios),
        "runs": runs,
    }


def render(index: dict[str, Any], status: dict[str, Any]) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    files = ", ".join(f"{level} {count}" for level, count in index["files"].items())
    verdict_index = "meets" if index["tokens"] <= INDEX_GOAL else "MISSES"
    verdict_status = "meets" if status["inner_ratio"] <= STATUS_GOAL else "MISSES"
    rows = [
        (
            f"index, all three layers ({files} files)",
            f"{index['tokens']} tokens, {index['chars']} chars, built in {index['ms']:.1f} ms",
        ),
        (
            f"pytest_run, {status['tests']} tests (median of {status['runs']})",
            f"{status['pytest_ms']:.0f} ms",
        ),
        (
            f"spec_status, same run + linking {status['requirements']} requirements",
            f"{status['status_ms']:.0f} ms",
        ),
        ("spec_status / pytest_run (interleaved medians)", f"{status['ratio']:.3f}x"),
        ("spec_status / its own inner pytest_run (median)", f"{status['inner_ratio']:.3f}x"),
    ]
    return "\n".join(
        [
            "",
            "## Specs: context index size and spec_status overhead (bench/bench_specs.py), "
            f"{date.today()}, {machine}",
            "",
            "| what | value |",
            "|---|---|",
            *(f"| {what} | {value} |" for what, value in rows),
            "",
            f"Goal index <= {INDEX_GOAL} tokens: {verdict_index} it. Goal spec_status <= "
            f"{STATUS_GOAL:.2f}x the pytest run: {verdict_status} it (judged on the inner ratio, "
            "which run-to-run noise on a shared machine does not move).",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--append", action="store_true", help="append the table to bench/RESULTS.md"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="punie-bench-specs-") as scratch:
        base = Path(scratch)
        index = index_size(base)
        status = status_overhead(base, args.runs)
    text = render(index, status)
    print(text)
    if args.append:
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
