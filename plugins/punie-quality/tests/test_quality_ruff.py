"""ruff_check and ruff_format on sample projects, compared with ruff's own output."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from punie_quality.environment import find_binary
from punie_quality.results import FormatResult, RuffResult
from quality_helpers import (
    LINT_FILES,
    make_venv,
    raw,
    raw_ruff_concise,
    ruff_bin,
    site_packages,
    write_tree,
)

from punie_core import ToolRefused


@pytest.fixture
def lint_project(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "lintme", LINT_FILES)


def test_ruff_check_matches_ruffs_own_report(lint_project, caller):
    result = caller(lint_project)("ruff_check")

    assert isinstance(result, RuffResult)
    ours = [(v.file, v.line, v.column, v.code) for v in result.violations]
    assert Counter(ours) == Counter(raw_ruff_concise(lint_project))
    assert result.violation_count == len(result.violations) == 9
    assert result.syntax_error_count == 2
    assert result.success is False and result.exit_code == 1 and result.tool_error is None
    # "[*] N fixable with `--fix`." is ruff's own count of safe fixes.
    text = raw([ruff_bin(lint_project), "check", "--no-fix"], lint_project).stdout
    assert f"[*] {result.fixable_count} fixable" in text
    assert result.fixable_count == 4
    assert "ruff: 9 violations in 3 files (4 fixable)" in str(result)


def test_violation_fields_carry_rule_fix_and_non_ascii_paths(lint_project, caller):
    result = caller(lint_project)("ruff_check", paths=["src/lintme/ünï", "src/lintme/core.py"])

    by_code = {v.code: v for v in result.violations}
    unsafe = by_code["B006"]
    assert (unsafe.line, unsafe.column, unsafe.end_line) == (10, 17, 10)
    assert unsafe.name == "mutable-argument-default"
    assert unsafe.fixable is False and unsafe.fix_applicability == "unsafe"
    unused = [v for v in result.violations if v.file == "src/lintme/ünï/mödule.py"]
    assert [(v.code, v.line, v.fixable, v.fix_message) for v in unused] == [
        ("F401", 1, True, "Remove unused import: `json`")
    ]
    assert result.violation_count == 7


def test_syntax_error_file_is_reported_not_passed(lint_project, caller):
    result = caller(lint_project)("ruff_check", paths="src/lintme/broken.py")

    assert result.success is False
    assert [(v.code, v.line, v.column) for v in result.violations] == [
        ("invalid-syntax", 1, 7),
        ("invalid-syntax", 1, 8),
    ]
    assert result.syntax_error_count == 2


def test_clean_file_and_empty_project_succeed(lint_project, tmp_path, caller):
    clean = caller(lint_project)("ruff_check", paths=["src/lintme/clean.py"])
    assert clean.success and clean.violations == [] and clean.exit_code == 0
    assert str(clean) == "ruff: no violations"

    empty = tmp_path / "empty"
    empty.mkdir()
    result = caller(empty)("ruff_check")
    assert result.success and result.violation_count == 0 and result.tool_error is None
    assert raw([ruff_bin(empty), "check"], empty).returncode == 0


def test_fix_applies_exactly_what_ruff_fix_does(lint_project, tmp_path, caller):
    twin = tmp_path / "twin"
    shutil.copytree(lint_project, twin)
    call = caller(lint_project)

    result = call("ruff_check", fix=True)

    raw_fix = raw([ruff_bin(twin), "check", "--fix", "--no-unsafe-fixes"], twin).stdout
    assert f"({result.fixed_count} fixed, {result.violation_count} remaining)" in raw_fix
    for name in LINT_FILES:
        assert (lint_project / name).read_text() == (twin / name).read_text(), name
    assert sorted((v.code, v.file) for v in result.fixed) == [
        ("F401", "src/lintme/core.py"),
        ("F401", "src/lintme/core.py"),
        ("F401", "src/lintme/ünï/mödule.py"),
        ("UP045", "src/lintme/core.py"),
    ]
    assert Counter((v.file, v.line, v.column, v.code) for v in result.violations) == Counter(
        raw_ruff_concise(lint_project)
    )
    # Permission was asked once, for exactly the files that had safe fixes, as part of the
    # same call the events announce (the IDE shows one call, not two).
    [request] = call.requests
    assert request.kind == "edit"
    assert request.paths == ("src/lintme/core.py", "src/lintme/ünï/mödule.py")
    assert {event.call_id for event in call.events} == {request.call_id}


def test_fix_refused_changes_nothing(lint_project, caller):
    before = (lint_project / "src/lintme/core.py").read_text()
    call = caller(lint_project, answer=False)

    with pytest.raises(ToolRefused, match="permission refused"):
        call("ruff_check", paths=["src"], fix=True)

    assert (lint_project / "src/lintme/core.py").read_text() == before
    assert len(call.requests) == 1
    started, finished = call.events
    assert started.call_id == finished.call_id == call.requests[0].call_id
    assert finished.ok is False


def test_read_only_check_never_asks_permission(lint_project, caller):
    call = caller(lint_project, answer=False)
    result = call("ruff_check")
    assert result.violation_count == 9 and call.requests == []


def test_fix_on_sensitive_file_needs_a_person(tmp_path, caller):
    project = write_tree(
        tmp_path / "p",
        {"pyproject.toml": LINT_FILES["pyproject.toml"], "conftest.py": "import os\n"},
    )
    call = caller(project, answer=True)  # approves ordinary writes, refuses sensitive ones
    with pytest.raises(ToolRefused, match="explicit approval"):
        call("ruff_check", fix=True)
    assert call.requests[0].sensitive is True
    assert (project / "conftest.py").read_text() == "import os\n"


def test_project_config_fix_true_is_overridden_for_checks(tmp_path, caller):
    project = write_tree(
        tmp_path / "p",
        {
            "pyproject.toml": "[tool.ruff]\nfix = true\n",
            "a.py": "import os\n",
        },
    )
    result = caller(project)("ruff_check")
    assert result.fixable_count == 1
    assert (project / "a.py").read_text() == "import os\n"


def test_paths_outside_the_workspace_are_refused(lint_project, caller):
    with pytest.raises(ToolRefused):
        caller(lint_project)("ruff_check", paths=["../"])


def test_a_glob_pattern_among_paths_means_the_files_it_matches(lint_project, caller):
    by_pattern = caller(lint_project)("ruff_check", paths="src/lintme/**/*.py")
    by_folder = caller(lint_project)("ruff_check", paths=["src/lintme"])
    assert Counter(v.file for v in by_pattern.violations) == Counter(
        v.file for v in by_folder.violations
    )
    with pytest.raises(FileNotFoundError, match="nothing/\\*\\.py does not exist"):
        caller(lint_project)("ruff_check", paths=["nothing/*.py"])


def test_missing_path_is_a_clear_error(lint_project, caller):
    with pytest.raises(FileNotFoundError, match="nope.py does not exist"):
        caller(lint_project)("ruff_check", paths=["nope.py"])


def test_bad_ruff_configuration_is_a_tool_error(tmp_path, caller):
    project = write_tree(
        tmp_path / "p", {"pyproject.toml": "[tool.ruff]\nbogus = 1\n", "a.py": "x = 1\n"}
    )
    result = caller(project)("ruff_check")
    assert result.success is False and result.exit_code == 2
    assert "bogus" in result.tool_error
    assert str(result).startswith("ruff could not check:")


UGLY = {
    "src/lintme/ugly.py": "x=1\ndef  f( a ):\n  return a\n",
    "src/lintme/ünï/häßlich.py": "y = [1,2]\n",
}


def test_format_check_lists_files_ruff_would_reformat(lint_project, caller):
    write_tree(lint_project, UGLY)
    result = caller(lint_project)("ruff_format")

    assert isinstance(result, FormatResult)
    diff = raw([ruff_bin(lint_project), "format", "--diff"], lint_project)
    would = sorted(
        line.removeprefix("--- ") for line in diff.stdout.splitlines() if line.startswith("--- ")
    )
    assert result.files == would == sorted(UGLY)
    assert [e.split(":")[0] for e in result.errors] == ["src/lintme/broken.py"]
    assert "Failed to parse src/lintme/broken.py" in diff.stderr
    check = raw([ruff_bin(lint_project), "format", "--check"], lint_project)
    assert (
        "2 files would be reformatted" in check.stdout and check.returncode == result.exit_code == 2
    )
    assert result.success is False and result.checked is True
    assert (lint_project / "src/lintme/ugly.py").read_text().startswith("x=1")
    assert "ruff format would reformat 2 files" in str(result)


def test_format_write_matches_ruff_format_and_asks_first(lint_project, tmp_path, caller):
    (lint_project / "src/lintme/broken.py").unlink()
    write_tree(lint_project, UGLY)
    twin = tmp_path / "twin"
    shutil.copytree(lint_project, twin)
    call = caller(lint_project)

    result = call("ruff_format", paths=["src"], check=False)

    done = raw([ruff_bin(twin), "format", "src"], twin)
    assert done.stdout.startswith("2 files reformatted")
    assert result.files == sorted(UGLY)
    for name in [*UGLY, *LINT_FILES]:
        if (twin / name).exists():
            assert (lint_project / name).read_text() == (twin / name).read_text(), name
    assert result.success and result.checked is False
    assert [r.paths for r in call.requests] == [tuple(result.files)]
    assert {event.call_id for event in call.events} == {call.requests[0].call_id}
    assert caller(lint_project)("ruff_format").files == []


def test_format_nothing_to_do_asks_nothing(lint_project, caller):
    call = caller(lint_project, answer=False)
    result = call("ruff_format", paths=["src/lintme/clean.py"], check=False)
    assert result.success and result.files == [] and call.requests == []


def test_the_projects_own_ruff_never_runs(tmp_path):
    # A cloned repository's .venv/bin/ruff is the project's code: a read tool never runs it.
    project = tmp_path / "p"
    project.mkdir()
    venv = make_venv(project)
    bundled = find_binary("ruff", tmp_path)
    shutil.copy2(bundled.path, venv / "bin" / "ruff")
    (site_packages(venv) / "ruff-0.17.6.dist-info").mkdir()

    chosen = find_binary("ruff", project)
    assert (chosen.source, chosen.path) == ("punie", bundled.path)
