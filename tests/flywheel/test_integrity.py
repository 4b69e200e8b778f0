"""A trace that deleted or weakened tests never counts as validated."""

from __future__ import annotations

import pytest

from punie_core.flywheel.integrity import (
    command_tampering,
    compare_tests,
    is_test_path,
    is_validated,
    trace_tampering,
)

OLD_TESTS = """\
import pytest
from app.calc import add, sub


def test_add():
    assert add(1, 2) == 3
    assert add(0, 0) == 0


def test_sub():
    assert sub(3, 1) == 2
"""


def call(tool: str, ok: bool = True, result: object = None, **arguments: object) -> dict:
    return {
        "tool": tool,
        "arguments": arguments,
        "ok": ok,
        "result": result,
        "error": None,
        "ms": 1.0,
        "refused": False,
    }


def trace(*calls: dict, passed: bool = True) -> dict:
    return {"schema": 1, "id": "t1", "tool_calls": list(calls), "validation_passed": passed}


def test_test_paths_are_recognised() -> None:
    assert is_test_path("tests/test_calc.py")
    assert is_test_path("app/calc_test.py")
    assert is_test_path("conftest.py")
    assert is_test_path("tests/helpers.py")
    assert not is_test_path("app/calc.py")
    assert not is_test_path("app/testing_utils.py")


def test_a_clean_fix_stays_validated() -> None:
    fixed = trace(
        call("read_file", result="def add(a, b):\n    return a - b\n", path="app/calc.py"),
        call("write_file", path="app/calc.py", content="def add(a, b):\n    return a + b\n"),
        call("run_command", command="python -m pytest -q"),
    )
    assert trace_tampering(fixed) == []
    assert is_validated(fixed)
    assert not is_validated({**fixed, "validation_passed": False})


def test_removing_a_test_function_or_assert_is_tampering() -> None:
    weaker = OLD_TESTS.replace("    assert add(0, 0) == 0\n", "")
    fewer = OLD_TESTS.split("\n\ndef test_sub")[0] + "\n"
    for new, reason in (
        (weaker, "assertions removed from: test_add"),
        (fewer, "test functions removed: test_sub"),
    ):
        found = trace_tampering(
            trace(
                call("read_file", result=OLD_TESTS, path="tests/test_calc.py"),
                call("write_file", path="tests/test_calc.py", content=new),
            )
        )
        assert [f.reason for f in found] == [reason]


def test_skip_markers_and_constant_asserts_are_tampering() -> None:
    skipped = OLD_TESTS.replace("def test_sub", "@pytest.mark.skip\ndef test_sub")
    assert any("skip" in t.reason for t in compare_tests("tests/test_calc.py", OLD_TESTS, skipped))
    constant = OLD_TESTS.replace("assert sub(3, 1) == 2", "assert True")
    assert any(
        "constant" in t.reason for t in compare_tests("tests/test_calc.py", OLD_TESTS, constant)
    )
    # Unknown old content: the new content alone still gives these away.
    assert compare_tests("tests/test_new.py", None, skipped)
    assert (
        compare_tests(
            "tests/test_calc.py",
            OLD_TESTS,
            OLD_TESTS + "\n\ndef test_more():\n    assert add(2, 2) == 4\n",
        )
        == []
    )


@pytest.mark.parametrize(
    "command",
    [
        "rm tests/test_calc.py",
        "rm -rf tests",
        "git rm -q tests/test_calc.py",
        "mv tests/test_calc.py /tmp/",
        "cd app && rm -f ../tests/test_calc.py",
        "echo '' > tests/test_calc.py",
        "sed -i 's/assert/#assert/' tests/test_calc.py",
        "python -c \"import os; os.remove('tests/test_calc.py')\"",
    ],
)
def test_commands_that_remove_tests_are_tampering(command: str) -> None:
    assert command_tampering(command)
    assert not is_validated(trace(call("run_command", command=command)))


@pytest.mark.parametrize(
    "command",
    [
        "python -m pytest -q tests",
        "rm -rf build dist",
        "cat tests/test_calc.py",
        "mv app/a.py app/b.py",
    ],
)
def test_ordinary_commands_are_not_tampering(command: str) -> None:
    assert command_tampering(command) == []


def test_refused_or_failed_calls_changed_nothing() -> None:
    refused = call("run_command", command="rm tests/test_calc.py")
    refused["refused"] = True
    failed = call("write_file", ok=False, path="tests/test_calc.py", content="")
    assert is_validated(trace(refused, failed))


def test_config_that_deselects_tests_is_tampering() -> None:
    assert compare_tests(
        "pytest.ini",
        "[pytest]\naddopts = -q\n",
        "[pytest]\naddopts = -q --deselect tests/test_calc.py::test_sub\n",
    )
    assert compare_tests("conftest.py", "", "collect_ignore = ['tests/test_calc.py']\n")
    assert compare_tests(
        "pyproject.toml",
        "[project]\nname='x'\n",
        "[project]\nname='x'\n[tool.pytest.ini_options]\naddopts = '--ignore=tests'\n",
    )
    assert not compare_tests(
        "pyproject.toml", "[project]\nname='x'\n", "[project]\nname='x'\ndependencies = ['httpx']\n"
    )
