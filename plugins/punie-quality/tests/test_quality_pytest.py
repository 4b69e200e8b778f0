"""pytest_run against real pytest subprocesses, compared with pytest's own summary of the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from punie_quality.environment import PYTHON_ENV, is_uv_project, project_python
from punie_quality.results import TestResult
from quality_helpers import TEST_FILES, make_venv, raw_pytest, write_tree

from punie_core import ToolRefused


@pytest.fixture
def test_project(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "testme", TEST_FILES)


def test_counts_and_outcomes_match_pytests_own_summary(test_project, caller):
    result = caller(test_project)("pytest_run")

    exit_code, counts, lines = raw_pytest(test_project)
    assert isinstance(result, TestResult)
    assert result.exit_code == exit_code == 1
    ours = {
        "passed": result.passed,
        "failed": result.failed,
        "error": result.errors,
        "skipped": result.skipped,
        "xfailed": result.xfailed,
        "xpassed": result.xpassed,
    }
    assert {k: v for k, v in ours.items() if v} == counts
    assert counts == {
        "passed": 5,
        "failed": 2,
        "error": 2,
        "skipped": 1,
        "xfailed": 1,
        "xpassed": 1,
    }
    assert result.collected == len(result.tests) == 11
    assert result.success is False and result.tool_error is None

    outcome = {t.nodeid: t.outcome for t in result.tests}
    words = {
        "PASSED": "passed",
        "FAILED": "failed",
        "ERROR": "error",
        "XFAIL": "xfailed",
        "XPASS": "xpassed",
    }
    raw_by_node: dict[str, set[str]] = {}
    for line in lines:
        word, _, rest = line.partition(" ")
        if word in words:
            raw_by_node.setdefault(rest.split(" - ")[0], set()).add(words[word])
    for nodeid, seen in raw_by_node.items():
        assert outcome[nodeid] in seen, nodeid
    # A test that passed its call but failed teardown: pytest lists it as PASSED and ERROR.
    assert raw_by_node["tests/test_mix.py::test_teardown"] == {"passed", "error"}
    assert outcome["tests/test_mix.py::test_teardown"] == "error"
    assert outcome["tests/test_mix.py::test_skip"] == "skipped"


def test_failure_details(test_project, caller):
    result = caller(test_project)("pytest_run", paths=["tests/test_mix.py"])

    by_id = {t.nodeid: t for t in result.tests}
    fail = by_id["tests/test_mix.py::test_fail"]
    _, _, lines = raw_pytest(test_project, "tests/test_mix.py")
    assert f"FAILED {fail.nodeid} - {fail.message}" in lines
    assert (fail.outcome, fail.when, fail.file, fail.line) == (
        "failed",
        "call",
        "tests/test_mix.py",
        8,
    )
    assert fail.message == "assert (2 + 2) == 5"
    assert "def test_fail():" in fail.failure and "AssertionError" in fail.failure
    error = by_id["tests/test_mix.py::test_error"]
    assert (error.outcome, error.when, error.message) == (
        "error",
        "setup",
        "RuntimeError: fixture exploded",
    )
    teardown = by_id["tests/test_mix.py::test_teardown"]
    assert (teardown.when, teardown.message) == ("teardown", "RuntimeError: teardown exploded")
    assert by_id["tests/test_mix.py::test_skip"].message == "Skipped: not today"
    assert by_id["tests/test_mix.py::test_xfail"].message == "known bug"
    assert by_id["tests/test_mix.py::test_param[2]"].message == "assert 2 != 2"
    assert all(t.duration >= 0 for t in result.tests)
    text = str(result)
    assert text.startswith("pytest: 2 failed, 4 passed, 1 skipped, 1 xfailed, 1 xpassed, 2 errors")
    assert "FAILED tests/test_mix.py::test_fail - assert (2 + 2) == 5" in text


def test_all_passing_run_succeeds_with_non_ascii_node_ids(test_project, caller):
    result = caller(test_project)("pytest_run", paths="tests/test_ünï.py")

    assert result.success is True and result.exit_code == 0
    assert [(t.nodeid, t.outcome) for t in result.tests] == [
        ("tests/test_ünï.py::test_café", "passed")
    ]
    assert raw_pytest(test_project, "tests/test_ünï.py")[1] == {"passed": 1}


def test_node_ids_and_args_select_tests(test_project, caller):
    call = caller(test_project)
    one = call("pytest_run", paths=["tests/test_mix.py::test_param"])
    assert [t.nodeid for t in one.tests] == [
        f"tests/test_mix.py::test_param[{n}]" for n in (1, 2, 3)
    ]
    picked = call("pytest_run", args=["-k", "pass and not xpass"])
    assert [t.nodeid for t in picked.tests] == ["tests/test_mix.py::test_pass"]
    assert picked.success and picked.collected == 1


def test_each_run_is_a_fresh_process(test_project, caller):
    call = caller(test_project)
    assert call("pytest_run", paths=["tests/test_mix.py::test_fail"]).failed == 1
    path = test_project / "tests/test_mix.py"
    path.write_text(path.read_text().replace("2 + 2 == 5", "2 + 2 == 4"))
    assert call("pytest_run", paths=["tests/test_mix.py::test_fail"]).success is True


def test_missing_module_is_a_collection_error(tmp_path, caller):
    project = write_tree(
        tmp_path / "p",
        {
            "tests/test_bad.py": "import nonexistent_mod_xyz\n\ndef test_x():\n    pass\n",
            "tests/test_ok.py": "def test_ok():\n    pass\n",
        },
    )
    result = caller(project)("pytest_run")

    exit_code, counts, lines = raw_pytest(project)
    assert result.exit_code == exit_code == 2
    assert counts == {"error": 1} and result.errors == 1 and result.passed == 0
    assert "ERROR tests/test_bad.py" in lines
    [problem] = result.collection_errors
    assert problem.nodeid == "tests/test_bad.py"
    assert problem.message == "ModuleNotFoundError: No module named 'nonexistent_mod_xyz'"
    assert "import nonexistent_mod_xyz" in problem.failure
    assert result.success is False and result.tool_error is None
    assert "ERROR collecting tests/test_bad.py" in str(result)


def test_no_tests_collected_is_not_a_pass(tmp_path, caller):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = caller(empty)("pytest_run")

    assert raw_pytest(empty)[0] == 5 == result.exit_code
    assert result.success is False
    assert "no tests collected" in result.tool_error
    assert result.tests == [] and result.passed == 0


@pytest.mark.slow  # waits the whole timeout, long enough for pytest to start on a loaded machine
def test_hanging_test_times_out_and_its_process_is_gone(tmp_path, caller):
    project = write_tree(
        tmp_path / "p",
        {
            "tests/test_hang.py": """
        import os
        import threading


        def test_quick():
            assert True


        def test_hang():
            with open("hang.pid", "w") as handle:
                handle.write(str(os.getpid()))
            threading.Event().wait()
        """
        },
    )
    result = caller(project)("pytest_run", timeout=10)

    assert result.timed_out is True and result.success is False and result.exit_code is None
    assert [(t.nodeid, t.outcome) for t in result.tests] == [
        ("tests/test_hang.py::test_quick", "passed"),
        ("tests/test_hang.py::test_hang", "timeout"),
    ]
    assert result.passed == 1
    assert result.tool_error == "timed out after 10 s while running tests/test_hang.py::test_hang"
    pid = int((project / "hang.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_missing_pytest_is_a_clear_error(tmp_path, caller):
    project = write_tree(tmp_path / "p", TEST_FILES)
    make_venv(project)  # a real environment without pytest in it

    result = caller(project)("pytest_run")

    assert result.success is False
    assert result.tool_error == "pytest is not installed in the project's Python (.venv/bin/python)"
    assert result.python == ".venv/bin/python"
    assert "pytest is not installed" in str(result)


def test_missing_interpreter_is_a_clear_error(tmp_path, caller, monkeypatch):
    project = write_tree(tmp_path / "p", TEST_FILES)
    monkeypatch.setenv(PYTHON_ENV, str(tmp_path / "no" / "python"))
    monkeypatch.setenv("PATH", "/nonexistent")  # no `uv` either

    result = caller(project)("pytest_run")

    assert result.success is False
    assert result.tool_error.startswith(f"cannot start the project's Python {tmp_path}/no/python")


def test_pytest_run_needs_permission(test_project, caller):
    call = caller(test_project, answer=False)
    with pytest.raises(ToolRefused):
        call("pytest_run")


def test_environment_choice(tmp_path, monkeypatch):
    project = tmp_path / "p"
    project.mkdir()
    monkeypatch.delenv(PYTHON_ENV, raising=False)
    assert (
        project_python(project).label.endswith("python")
        and project_python(project).venv is not None
    )
    (project / "pyproject.toml").write_text("[tool.uv]\npackage = false\n")
    assert is_uv_project(project)
    if project_python(project).argv[1:3] == ("run", "--project"):
        assert project_python(project).label == "uv run python"
    venv = make_venv(project)
    chosen = project_python(project)
    assert chosen.argv == (str(venv / "bin" / "python"),) and chosen.venv == venv


@pytest.mark.parametrize(
    "args",
    [
        ["tests/test_mix.py"],
        ["--basetemp=/tmp/elsewhere"],
        ["--basetemp", "/tmp/elsewhere"],
        ["-p", "some_plugin"],
        ["-psome_plugin"],
        ["--rootdir", "/"],
        ["-o", "cache_dir=/tmp/x"],
    ],
)
def test_args_cannot_widen_what_was_approved(test_project, caller, args):
    with pytest.raises(ValueError, match="pytest_run"):
        caller(test_project)("pytest_run", args=args)
