"""`pytest_run`: the project's tests in a fresh subprocess of its own environment, as data.

Always a new process: pytest re-run in one process keeps stale imports, so an agent that has
just fixed the code would see the old failure. Our collector plugin
(`pytest_plugin/punie_pytest_collector.py`) is injected with `-p` and PYTHONPATH and writes one
JSON line per event; its categories are the ones pytest's own summary counts.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from punie_core import tool_context
from punie_quality.environment import Python, project_python, run_process, tail
from punie_quality.pytest_args import checked_args
from punie_quality.results import CollectionError, TestCase, TestResult
from punie_quality.workspace_paths import operands, target_paths

DEFAULT_TIMEOUT = 120.0
MAX_TIMEOUT = 600.0
"""The tool record's own timeout is a little longer, so the run is stopped (and reported) here."""

COLLECTOR_DIR = Path(__file__).parent / "pytest_plugin"
COLLECTOR_MODULE = "punie_pytest_collector"
REPORT_ENV = "PUNIE_PYTEST_REPORT"
COUNTED = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
NOT_PASSING = ("failed", "error", "skipped", "xfailed", "xpassed")


def pytest_argv(python: Python, targets: list[str], args: list[str]) -> list[str]:
    """The command line: the project's Python, pytest, our collector, then the caller's args."""
    return [*python.argv, "-m", "pytest", "-p", COLLECTOR_MODULE, *args, *operands(targets)]


def pytest_env(report: Path, python: Python) -> dict[str, str]:
    """The environment for the run: ours plus the collector on PYTHONPATH and the report path."""
    env = dict(os.environ)
    existing = env.get("PYTHONPATH")
    env["PYTHONPATH"] = str(COLLECTOR_DIR) + (os.pathsep + existing if existing else "")
    env[REPORT_ENV] = str(report)
    if python.argv[1:2] == ("run",):
        env.pop("VIRTUAL_ENV", None)  # `uv run` must pick the project's environment, not ours
    return env


async def pytest_run(
    args: list[str] | None = None,
    paths: str | list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> TestResult:
    """Run the project's tests with pytest (in its own environment) and return the results as data.

    Read `result.success`, the counts `result.passed`, `.failed`, `.errors`, `.skipped`,
    and `result.tests`: one entry per test with nodeid, outcome (`passed`, `failed`, `error`,
    `skipped`, `xfailed`, `xpassed`, `timeout`), file, line, message and full failure text.
    `result.collection_errors` lists test files that could not be imported. No tests
    collected, a missing pytest and a timeout are failures with `result.tool_error` set.

    Args:
        args: Extra pytest options as a list of strings: `-x` stops at the first failure,
            `-k EXPRESSION` selects tests by name (test paths go in `paths`). Usually none.
        paths: Test files, directories or node ids (`FILE::TEST_NAME`, as reported in
            `result.tests`) relative to the workspace root (default: pytest's own
            configuration, usually the whole project).
        timeout: Seconds before the run is stopped; the test running then is reported as `timeout`.
    """
    root = tool_context().workspace.root
    targets = [] if paths is None else target_paths(paths, node_ids=True)
    timeout = max(1.0, min(float(timeout), MAX_TIMEOUT))
    python = project_python(root)
    with tempfile.TemporaryDirectory(prefix="punie-pytest-") as scratch:
        report = Path(scratch) / "report.jsonl"
        argv = pytest_argv(python, targets, checked_args(list(args or []), confine=_confine))
        try:
            done = await run_process(argv, root, timeout, env=pytest_env(report, python))
        except (FileNotFoundError, PermissionError) as exc:
            return TestResult(
                success=False,
                tool_error=f"cannot start the project's Python {python.label}: {exc}",
                python=python.label,
            )
        events = read_events(report)
    result = build_result(events, done.exit_code, python.label, done.duration)
    if done.timed_out:
        running = [t.nodeid for t in result.tests if t.outcome == "timeout"]
        where = f" while running {running[0]}" if running else ""
        result.timed_out = True
        result.tool_error = f"timed out after {timeout:g} s{where}"
        result.success = False
    elif result.tool_error is None and not events:
        result.tool_error = startup_problem(
            done.stdout + "\n" + done.stderr, done.exit_code, python
        )
    elif result.tool_error is None and done.exit_code in (2, 3, 4) and not result.collection_errors:
        kind = {2: "was interrupted", 3: "had an internal error", 4: "usage error"}[done.exit_code]
        result.tool_error = f"pytest {kind}: {tail(done.stderr or done.stdout, 800)}"
        result.success = False
    return result


def _confine(path: str) -> None:
    """A path-valued option (`--ignore`, `--deselect`) must name a place in the workspace."""
    tool_context().workspace.resolve(path)


REPORT_LIMIT = 64 * 1024 * 1024
"""Most bytes of the collector's report read back (each event's output is already capped)."""


def read_events(report: Path) -> list[dict[str, Any]]:
    """The collector's events; a line torn by a kill at the timeout is skipped."""
    try:
        with report.open("rb") as handle:
            text = handle.read(REPORT_LIMIT).decode("utf-8", errors="replace")
    except FileNotFoundError:
        return []
    events = []
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def startup_problem(output: str, exit_code: int | None, python: Python) -> str:
    """Why pytest produced no events at all: a missing pytest, a broken interpreter, ..."""
    if "No module named pytest" in output:
        return f"pytest is not installed in the project's Python ({python.label})"
    detail = tail(output, 800) or "no output"
    return f"pytest did not run (exit {exit_code}) with {python.label}: {detail}"


def build_result(
    events: list[dict[str, Any]], exit_code: int | None, python: str, duration: float
) -> TestResult:
    """Totals and per-test entries from the collector's events (pure; tested on its own)."""
    counts = dict.fromkeys(COUNTED, 0)
    tests: dict[str, TestCase] = {}
    collection_errors: list[CollectionError] = []
    running: dict[str, None] = {}
    collected = 0
    for event in events:
        kind = event.get("event")
        if kind == "collected":
            collected = int(event.get("count") or 0)
        elif kind == "collect_error":
            counts["error"] += 1
            collection_errors.append(
                CollectionError(
                    nodeid=event.get("nodeid") or "",
                    message=event.get("message") or "",
                    failure=event.get("failure") or "",
                )
            )
        elif kind == "collect_skip":
            counts["skipped"] += 1
        elif kind == "start":
            running[event["nodeid"]] = None
        elif kind == "finish":
            running.pop(event["nodeid"], None)
        elif kind == "report":
            _add_report(event, counts, tests)
    for nodeid in running:
        case = tests.get(nodeid) or TestCase(nodeid=nodeid, outcome="timeout")
        tests[nodeid] = case.model_copy(
            update={"outcome": "timeout", "message": "still running at the timeout"}
        )

    no_tests = exit_code == 5 or (exit_code == 0 and not tests and collected == 0)
    result = TestResult(
        success=False,
        passed=counts["passed"],
        failed=counts["failed"],
        errors=counts["error"],
        skipped=counts["skipped"],
        xfailed=counts["xfailed"],
        xpassed=counts["xpassed"],
        collected=collected,
        tests=list(tests.values()),
        collection_errors=collection_errors,
        exit_code=exit_code,
        python=python,
        duration=duration,
    )
    if no_tests and events:
        result.tool_error = (
            "no tests collected (check the paths and that test files are named test_*.py)"
        )
    result.success = (
        exit_code == 0
        and not no_tests
        and result.failed == 0
        and result.errors == 0
        and not collection_errors
        and bool(tests)
    )
    return result


def _add_report(event: dict[str, Any], counts: dict[str, int], tests: dict[str, TestCase]) -> None:
    category = str(event.get("category") or "")
    if category in counts:
        counts[category] += 1
    nodeid = str(event.get("nodeid") or "")
    case = tests.get(nodeid)
    if case is None:
        case = TestCase(
            nodeid=nodeid,
            outcome="passed",
            file=str(event.get("file") or ""),
            line=event.get("line"),
        )
        tests[nodeid] = case
    case.duration += float(event.get("duration") or 0.0)
    decided = case.when is not None
    if category in NOT_PASSING and not decided:
        # The first phase that did not pass decides the outcome (a failed call stays
        # "failed" even when teardown errors too; pytest counts both, as we do above).
        case.outcome = category  # type: ignore[assignment]
        case.when = str(event.get("when") or "")
        case.message = str(event.get("message") or "")
        case.failure = str(event.get("failure") or "")
        case.output = str(event.get("output") or "")
