"""Limits: each ends the snippet with an error naming it; the host keeps serving snippets."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from punie_core.plugins.context import ToolContext
from punie_core.plugins.toolbox import Toolbox
from punie_core.sandbox.results import CodeResult, Limits
from punie_core.sandbox.runner import Sandbox, shutdown_pool

from .conftest import Runner, run_many

FAST = Limits(wall_seconds=1.0)


def assert_host_alive(toolbox: Toolbox, context: ToolContext, limits: Limits) -> None:
    """After a limit, the same kind of sandbox still runs a snippet with a tool call."""
    [after] = run_many(toolbox, context, ["len(read_file('notes.txt'))"], limits)
    assert after.ok and after.value == 6, after.error


def test_an_endless_loop_ends_at_wall_seconds(
    run: Runner, toolbox: Toolbox, context: ToolContext
) -> None:
    started = time.perf_counter()
    result = run("n = 0\nwhile True:\n    n += 1\n", FAST)
    elapsed = time.perf_counter() - started
    assert result.error is not None and result.error.type == "TimeoutError"
    assert "wall_seconds=1" in result.error.message
    assert elapsed < 10
    assert_host_alive(toolbox, context, FAST)


def test_the_timeout_cannot_be_caught_by_the_snippet(run: Runner) -> None:
    result = run(
        "try:\n    while True:\n        pass\nexcept Exception:\n    print('caught')\n", FAST
    )
    assert result.error is not None and result.error.type == "TimeoutError"
    assert result.stdout == ""


def test_host_round_trips_count_against_wall_seconds(run: Runner) -> None:
    # Building nouns goes through the host; the worker's own clock stops meanwhile.
    result = run("while True:\n    Problem(line=1, message='m')\n", Limits(wall_seconds=0.5))
    assert result.error is not None and result.error.type == "TimeoutError"
    assert "wall_seconds=0.5" in result.error.message


def test_time_inside_tools_does_not_count_against_wall_seconds(run: Runner) -> None:
    result = run("wait(0.8)\nwait(0.8)\n'done'", Limits(wall_seconds=1.0))
    assert result.ok, result.error
    assert result.value == "done"


def test_memory_limit_ends_the_snippet_naming_memory_bytes(
    run: Runner, toolbox: Toolbox, context: ToolContext
) -> None:
    limits = Limits(memory_bytes=32 * 1024 * 1024)
    for code in ["x = 'a' * 10 ** 9", "x = []\nwhile True:\n    x.append('abcdefgh' * 100)"]:
        result = run(code, limits)
        assert result.error is not None and result.error.type == "MemoryError", result.error
        assert f"memory_bytes={32 * 1024 * 1024}" in result.error.message
    assert_host_alive(toolbox, context, limits)


def test_huge_integers_are_stopped_before_they_allocate(run: Runner) -> None:
    result = run("x = 2 ** (10 ** 10)", Limits(memory_bytes=64 * 1024 * 1024))
    assert result.error is not None and result.error.type == "MemoryError"


def test_recursion_is_limited_and_catchable(run: Runner) -> None:
    limits = Limits(recursion_depth=50)
    caught = run(
        "def down(n):\n    return down(n + 1)\n"
        "try:\n    down(0)\nexcept RecursionError:\n    print('stopped')\n",
        limits,
    )
    assert caught.ok and caught.stdout == "stopped\n"
    uncaught = run("def down(n):\n    return down(n + 1)\ndown(0)\n", limits)
    assert uncaught.error is not None and uncaught.error.type == "RecursionError"
    assert "recursion_depth=50" in uncaught.error.message
    assert uncaught.error.line == 2
    assert len(uncaught.for_model()) < 2000  # the repeated frames are folded


def test_tool_calls_beyond_the_limit_end_the_snippet(run: Runner, events: list[object]) -> None:
    result = run("for i in range(50):\n    list_files('*.txt')\n", Limits(max_tool_calls=5))
    assert result.error is not None and result.error.type == "ToolCallLimitExceeded"
    assert "max_tool_calls=5" in result.error.message and result.error.line == 2
    assert len(result.tool_calls) == 5
    assert len(events) == 10  # started + finished for the five that ran, nothing for the sixth


def test_refused_calls_count_too(run: Runner) -> None:
    code = (
        "for i in range(50):\n"
        "    try:\n        write_file('x.txt', 'y')\n    except PermissionError:\n        pass\n"
    )
    result = run(code, Limits(max_tool_calls=3))
    assert result.error is not None and result.error.type == "ToolCallLimitExceeded"
    assert len(result.tool_calls) == 3


def test_printed_output_is_capped_and_kept_up_to_the_cap(
    run: Runner, toolbox: Toolbox, context: ToolContext
) -> None:
    limits = Limits(max_output_bytes=4096, wall_seconds=10)
    result = run("while True:\n    print('x' * 100)\n", limits)
    assert result.error is not None and result.error.type == "OutputLimitExceeded"
    assert "max_output_bytes=4096" in result.error.message
    assert result.stdout == "x" * 4096 or result.stdout.startswith("x" * 100 + "\n")
    assert len(result.stdout.encode()) == 4096
    assert result.ms < 5000  # stopped when the cap was hit, not at wall_seconds
    assert_host_alive(toolbox, context, limits)


def test_a_huge_returned_value_is_refused_naming_the_limit(run: Runner) -> None:
    result = run("['x' * 100 for i in range(10000)]", Limits(max_output_bytes=4096))
    assert result.error is not None and result.error.type == "OutputLimitExceeded"
    assert "max_output_bytes=4096" in result.error.message
    assert result.value is None


def test_a_deeply_nested_value_is_refused_not_crashing_the_host(run: Runner) -> None:
    result = run("x = []\nfor i in range(100000):\n    x = [x]\nx")
    assert result.error is not None and result.error.type == "OutputLimitExceeded"
    assert "nested deeper" in result.error.message


def test_a_deeply_nested_argument_is_a_catchable_error(run: Runner) -> None:
    result = run(
        "x = []\nfor i in range(5000):\n    x = [x]\n"
        "try:\n    echo(x)\nexcept ValueError as e:\n    print(e)\n"
    )
    assert result.ok, result.error
    assert "nested deeper" in result.stdout


def _monty_workers() -> list[int]:
    """Pids of this process's Monty worker children."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and comm.startswith("monty"):
            pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find workers")
def test_a_crashed_worker_fails_that_snippet_only(toolbox: Toolbox, context: ToolContext) -> None:
    async def main() -> list[CodeResult]:
        sandbox = Sandbox(toolbox, Limits(wall_seconds=5))
        try:
            task = asyncio.create_task(sandbox.run("while True:\n    pass", context))
            await asyncio.sleep(0.5)
            workers = _monty_workers()
            assert workers
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
            crashed = await task
            after = await sandbox.run("len(read_file('notes.txt'))", context)
            return [crashed, after]
        finally:
            await shutdown_pool()

    crashed, after = asyncio.run(main())
    assert crashed.error is not None and crashed.error.type == "SandboxCrashed"
    assert "host is fine" in crashed.error.message
    assert after.ok and after.value == 6, after.error


def test_many_snippets_in_a_row_stay_well(toolbox: Toolbox, context: ToolContext) -> None:
    codes = ["while True:\n    pass", "x = 'a' * 10 ** 9", "len(read_file('notes.txt'))"] * 2
    results = run_many(toolbox, context, codes, Limits(wall_seconds=0.3))
    assert [r.error.type if r.error else r.value for r in results] == [
        "TimeoutError",
        "MemoryError",
        6,
    ] * 2
