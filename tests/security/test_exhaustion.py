"""Resource exhaustion: each attempt ends at its limit with an error naming it; the host lives."""

from __future__ import annotations

import time

import pytest

from punie_core.plugins.context import ToolContext
from punie_core.sandbox.results import Limits

from .conftest import Run, describe, failed

LIMITS = Limits(wall_seconds=1.0, memory_bytes=64 * 1024 * 1024, max_output_bytes=8192)

ATTACKS = {
    "cpu": ("while True:\n    pass", "TimeoutError"),
    "cpu in a caught loop": (
        "while True:\n    try:\n        pass\n    except Exception:\n        pass",
        "TimeoutError",
    ),
    "memory at once": ("x = 'a' * 10 ** 10", "MemoryError"),
    "memory growing": ("x = []\nwhile True:\n    x.append([0] * 1000)", "MemoryError"),
    "memory in a huge sort": ("sorted(list(range(10 ** 8)))", "MemoryError"),
    "huge power": ("10 ** (10 ** 9)", "MemoryError"),
    "huge shift": ("1 << (10 ** 12)", "MemoryError"),
    "recursion": ("def f(n):\n    return f(n + 1)\nf(0)", "RecursionError"),
    "mutual recursion": (
        "def a(n):\n    return b(n)\ndef b(n):\n    return a(n)\na(0)",
        "RecursionError",
    ),
    "print flood": ("while True:\n    print('x' * 1000)", "OutputLimitExceeded"),
    "huge value": ("['x' * 1000 for _ in range(1000)]", "OutputLimitExceeded"),
    "deeply nested value": (
        "x = []\nfor i in range(10 ** 5):\n    x = [x]\nx",
        "OutputLimitExceeded",
    ),
    "deeply nested dict": (
        "x = {}\nfor i in range(10 ** 5):\n    x = {'k': x}\nx",
        "OutputLimitExceeded",
    ),
    "json nesting": ("import json\njson.loads('[' * 10 ** 5 + ']' * 10 ** 5)", "JSONDecodeError"),
    "tool flood": ("while True:\n    list_files('*.txt')", "ToolCallLimitExceeded"),
    "host round trip flood": (
        "while True:\n    WriteResult(path='a', size=1, created=True)",
        "TimeoutError",
    ),
    "sleep": ("import time\ntime.sleep(3600)", "RuntimeError"),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_exhaustion_ends_with_an_error_naming_the_limit(
    run: Run, context: ToolContext, untouched: None, name: str
) -> None:
    code, expected = ATTACKS[name]
    started = time.perf_counter()
    [result] = run(context, code, limits=LIMITS)
    elapsed = time.perf_counter() - started
    assert failed(result, expected), describe([result])
    assert elapsed < 15, f"{name} took {elapsed:.1f} s"
    names = {
        "TimeoutError": "wall_seconds",
        "MemoryError": "memory_bytes",
        "RecursionError": "recursion_depth",
        "OutputLimitExceeded": "",
        "ToolCallLimitExceeded": "max_tool_calls",
    }
    assert names.get(expected, "") in result.error.message


@pytest.mark.slow
def test_a_huge_integer_multiply_is_killed_by_the_backstop(run: Run, context: ToolContext) -> None:
    # One big-int multiply is not interruptible inside the worker; the pool kills the worker
    # at wall_seconds plus its grace, and only that snippet fails.
    started = time.perf_counter()
    [result] = run(
        context, "x = 3\nfor i in range(40):\n    x = x * x\nx", limits=Limits(wall_seconds=1)
    )
    assert failed(result, "SandboxCrashed", "MemoryError", "TimeoutError"), describe([result])
    assert time.perf_counter() - started < 20


def test_catastrophic_regex_is_bounded(run: Run, context: ToolContext) -> None:
    [result] = run(context, "import re\nbool(re.match(r'(a+)+$', 'a' * 5000 + 'b'))", limits=LIMITS)
    assert result.ok or failed(result, "TimeoutError"), describe([result])
