"""Views: the cost of showing a typed result as HTML, against turning it into JSON for the event.

Every `tool_call_finished` event already pays `to_jsonable(result)` (the baseline). A noun also
gets its view rendered on the server (plugin template, then the allowlist), or the generic view
from its schema. Both run in the agent's event loop, so they must stay small next to a model
request; large reports are capped by the templates (200 tests, 300 findings, 100 generic rows).

    uv run python bench/bench_views.py [--repeat 20] [--append]
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import time
from pathlib import Path

from punie_core import load_toolbox
from punie_core.views import ViewSet
from punie_core.web.serialize import to_jsonable

ROOT = Path(__file__).resolve().parents[1]


def tests(count: int):
    from punie_quality.results import TestCase, TestResult

    cases = [
        TestCase(
            nodeid=f"tests/test_app.py::test_case_{i}",
            outcome="failed" if i % 10 == 0 else "passed",
            file="tests/test_app.py",
            line=i + 1,
            message="assert response.status_code == 200" if i % 10 == 0 else "",
            failure="Traceback...\n" * 20 if i % 10 == 0 else "",
            duration=0.01,
        )
        for i in range(count)
    ]
    return TestResult(success=False, tests=cases, passed=count - count // 10, failed=count // 10)


def violations(count: int):
    from punie_quality.results import RuffResult, Violation

    found = [
        Violation(
            file=f"app/module_{i % 40}.py",
            line=i + 1,
            column=1,
            end_line=i + 1,
            end_column=10,
            code="F401",
            name="unused-import",
            message="`os` imported but unused",
            fixable=True,
        )  # fmt: skip
        for i in range(count)
    ]
    return RuffResult(success=False, violations=found, violation_count=count)


def best_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--append", action="store_true", help="add the table to RESULTS.md")
    args = parser.parse_args()
    views = ViewSet.of(load_toolbox())
    cases = [
        ("TestResult, 10 tests", tests(10)),
        ("TestResult, 1000 tests", tests(1000)),
        ("RuffResult, 20 violations", violations(20)),
        ("RuffResult, 500 violations", violations(500)),
    ]
    rows = [
        "| result | JSON (baseline) | plugin view | ratio | generic view | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for label, value in cases:
        views.render(value)  # compile the templates once, as a running agent has
        json_ms = best_ms(lambda v=value: to_jsonable(v), args.repeat)
        view_ms = best_ms(lambda v=value: views.render(v), args.repeat)
        generic_ms = best_ms(lambda v=value: views.generic(v), args.repeat)
        rows.append(
            f"| {label} | {json_ms:.2f} ms | {view_ms:.2f} ms | {view_ms / json_ms:.1f}x "
            f"| {generic_ms:.2f} ms | {generic_ms / json_ms:.1f}x |"
        )
    table = "\n".join(rows)
    print(table)
    if args.append:
        machine = (
            f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
        )
        heading = (
            f"\n## Views: typed results as HTML (bench/bench_views.py), "
            f"{datetime.date.today().isoformat()}, {machine}\n\n"
            "Median of "
            f"{args.repeat} runs per cell, in the process; the baseline is the JSON every event "
            "already carries.\n\n"
        )
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as results:
            results.write(heading + table + "\n")


if __name__ == "__main__":
    main()
