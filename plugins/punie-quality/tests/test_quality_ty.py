"""typecheck against real ty on sample projects, compared with ty's own concise output."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from punie_quality.results import TypeCheckResult
from quality_helpers import TYPE_FILES, make_venv, raw_ty_concise, site_packages, write_tree


@pytest.fixture
def type_project(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "typeme", TYPE_FILES)


def _rows(result: TypeCheckResult) -> list[tuple[str, int, int, str, str]]:
    return [
        (d.file, d.line, d.column, d.severity, d.rule)
        for d in [*result.errors, *result.warnings, *result.infos]
    ]


def test_typecheck_matches_tys_own_report(type_project, caller):
    result = caller(type_project)("typecheck")

    exit_code, rows, summary = raw_ty_concise(type_project)
    assert Counter(_rows(result)) == Counter(rows)
    assert summary == f"Found {len(rows)} diagnostics"
    assert result.error_count == len(result.errors) == 6
    assert result.warning_count == len(result.warnings) == 1
    assert all(d.severity == "error" for d in result.errors)
    assert result.success is False and result.exit_code == exit_code == 1
    assert str(result).startswith("ty: 6 errors, 1 warning")


def test_diagnostic_fields(type_project, caller):
    result = caller(type_project)("typecheck", paths=["src/typeme/errors.py"])

    assert [(d.line, d.column, d.rule) for d in result.errors] == [
        (2, 12, "invalid-explicit-return"),
        (6, 12, "unresolved-reference"),
        (13, 11, "invalid-argument-type"),
    ]
    first = result.errors[0]
    assert first.file == "src/typeme/errors.py"
    assert (first.end_line, first.end_column) == (2, 26)
    assert first.message.startswith("Return type does not match returned value")
    assert not first.message.startswith("invalid-explicit-return")


def test_only_warnings_is_success_though_ty_exits_1(type_project, caller):
    result = caller(type_project)("typecheck", paths="src/typeme/warn_only.py")

    exit_code, rows, _ = raw_ty_concise(type_project, "src/typeme/warn_only.py")
    assert exit_code == 1 == result.exit_code
    assert result.success is True
    assert (result.error_count, result.warning_count, len(result.infos)) == (0, 1, 1)
    assert Counter(_rows(result)) == Counter(rows)


def test_syntax_errors_and_non_ascii_paths(type_project, caller):
    result = caller(type_project)("typecheck", paths=["src/typeme/broken.py", "src/typeme/ünï.py"])

    assert [(d.file, d.rule) for d in result.errors] == [
        ("src/typeme/broken.py", "invalid-syntax"),
        ("src/typeme/broken.py", "invalid-syntax"),
        ("src/typeme/ünï.py", "invalid-assignment"),
    ]
    _, rows, _ = raw_ty_concise(type_project, "src/typeme/broken.py", "src/typeme/ünï.py")
    assert Counter(_rows(result)) == Counter(rows)


def test_empty_project_passes(tmp_path, caller):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = caller(empty)("typecheck")
    exit_code, rows, _ = raw_ty_concise(empty)
    assert (
        result.success and result.errors == [] and rows == [] and exit_code == 0 == result.exit_code
    )


def test_imports_resolve_in_the_projects_venv(tmp_path, caller):
    code = {"app.py": "from extlib import answer\n\nx: str = answer()\n"}
    with_venv = write_tree(tmp_path / "with_venv", code)
    venv = make_venv(with_venv)
    (site_packages(venv) / "extlib.py").write_text("def answer() -> int:\n    return 42\n")

    result = caller(with_venv)("typecheck")

    assert result.python == str(venv)
    assert [(d.rule, d.line) for d in result.errors] == [("invalid-assignment", 3)]
    assert "`int` is not assignable to `str`" in result.errors[0].message
    _, rows, _ = raw_ty_concise(with_venv, "--python", str(venv))
    assert Counter(_rows(result)) == Counter(rows)

    # The same code without that environment cannot even find the module.
    without = write_tree(tmp_path / "without", code)
    assert [d.rule for d in caller(without)("typecheck").errors] == ["import-not-found"]


def test_bad_configuration_is_a_tool_error(tmp_path, caller):
    project = write_tree(
        tmp_path / "p", {"pyproject.toml": "[tool.ty]\nbogus = 1\n", "a.py": "x = 1\n"}
    )
    result = caller(project)("typecheck")
    assert result.success is False and result.exit_code == 2
    assert "bogus" in result.tool_error
    assert str(result).startswith("ty could not check:")
