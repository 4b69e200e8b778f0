"""The plugin as Punie sees it: contract, kinds, stubs, validators and `punie check`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import punie_quality.plugin
import pytest
from punie_quality import validators
from quality_helpers import (
    LINT_FILES,
    TYPE_FILES,
    raw,
    raw_ruff_concise,
    raw_ty_concise,
    ruff_bin,
    write_tree,
)

from punie_core import check_paths, validate_source, validation_run

TOOLS = {"ruff_check": "read", "ruff_format": "read", "typecheck": "read", "pytest_run": "execute"}
NOUNS = {
    "CollectionError",
    "FormatResult",
    "RuffResult",
    "TestCase",
    "TestResult",
    "TypeCheckResult",
    "TypeDiagnostic",
    "Violation",
}


def test_plugin_contract():
    from punie_core.testing import assert_plugin_contract

    info = assert_plugin_contract(punie_quality.plugin, "quality")
    assert set(info.names("tools")) == set(TOOLS)
    assert set(info.names("nouns")) >= NOUNS
    assert info.names("skills") == ["quality-triad"]
    assert sorted(info.names("validators")) == ["ruff_lint", "ruff_syntax", "ty_types"]


def test_installed_entry_point_is_active(quality_toolbox):
    info = next(i for i in quality_toolbox.plugins if i.name == "quality")
    assert info.status == "active" and info.distribution == "punie-quality"
    kinds = {t.name: t.kind for t in quality_toolbox.tools if t.name in TOOLS}
    assert kinds == TOOLS
    assert [t.needs_permission for t in quality_toolbox.tools if t.name == "pytest_run"] == [True]


def test_stubs_show_the_field_names_other_checks_rely_on(quality_toolbox):
    stubs = quality_toolbox.stubs
    for line in (
        "def ruff_check(paths: str | list[str] | None = None, fix: bool = False) -> RuffResult:",
        "def ruff_format(paths: str | list[str] | None = None, check: bool = True) -> "
        "FormatResult:",
        "def typecheck(paths: str | list[str] | None = None) -> TypeCheckResult:",
        "    violations: list[Violation] = ...",
        "    violation_count: int = 0",
        "    fixable_count: int = 0",
        "    errors: list[TypeDiagnostic] = ...",
        "    error_count: int = 0",
        "    warning_count: int = 0",
        "    tests: list[TestCase] = ...",
        "    files: list[str] = ...",
        "    success: bool",
    ):
        assert line in stubs, line
    assert (
        "def pytest_run(args: list[str] | None = None, paths: str | list[str] | None = None"
        in stubs
    )
    for count in ("passed", "failed", "errors", "skipped"):
        assert f"    {count}: int = 0" in stubs
    assert "quality-triad" in quality_toolbox.prompt


def test_plugin_module_imports_lightly():
    code = (
        "import sys, punie_quality.plugin as p; "
        "heavy = [m for m in ('pydantic', 'punie_quality.ruff_tool', 'punie_quality.pytest_tool') "
        "if m in sys.modules]; "
        "print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_shipped_ruff_rule_list_matches_the_pinned_ruff(tmp_path):
    done = raw([ruff_bin(tmp_path), "rule", "--all", "--output-format", "json"], tmp_path)
    current = {
        r["code"]: r["name"]
        for r in json.loads(done.stdout)
        if r["code"] and "Removed" not in r["status"]
    }
    assert validators.ruff_lint_rules() == current
    assert set(validators.RUFF_SYNTAX_RULES).isdisjoint(current)


@pytest.fixture
def lint_project(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "lintme", LINT_FILES)


def test_ruff_validators_split_syntax_from_lint(lint_project, monkeypatch):
    monkeypatch.chdir(lint_project)
    broken = "src/lintme/broken.py"
    syntax = validators.ruff_syntax_check(broken, (lint_project / broken).read_text())
    assert [(f.path, f.line, f.column, f.rule) for f in syntax] == [
        (broken, 1, 7, "E999"),
        (broken, 1, 8, "E999"),
    ]
    core = "src/lintme/core.py"
    source = (lint_project / core).read_text()
    lint = validators.ruff_lint_check(core, source)
    expected = [r for r in raw_ruff_concise(lint_project, core)]
    assert [(f.path, f.line, f.column, f.rule) for f in lint] == expected
    assert [f.fixable for f in lint] == [True, True, True, False, False, False]
    assert validators.ruff_syntax_check(core, source) == []


def test_ruff_lint_checks_unsaved_text_and_fixes_it(lint_project, monkeypatch):
    monkeypatch.chdir(lint_project)
    candidate = "import os\nfrom typing import Optional\n\nx: Optional[int] = 1\n"
    found = validators.ruff_lint_check("src/lintme/new.py", candidate)
    assert [f.rule for f in found] == ["F401", "UP045"]
    assert not (lint_project / "src/lintme/new.py").exists()
    fixed = validators.ruff_lint_fix("src/lintme/new.py", candidate)
    (lint_project / "twin.py").write_text(candidate)
    raw([ruff_bin(lint_project), "check", "--fix", "--no-unsafe-fixes", "twin.py"], lint_project)
    assert fixed == (lint_project / "twin.py").read_text() == "\nx: int | None = 1\n"


def test_ty_batch_reports_errors_only(tmp_path, monkeypatch):
    project = write_tree(tmp_path / "typeme", TYPE_FILES)
    monkeypatch.chdir(project)
    paths = ["src/typeme/errors.py", "src/typeme/warn_only.py", "src/typeme/ünï.py"]
    found = validators.ty_batch(paths)
    _, rows, _ = raw_ty_concise(project, *paths)
    assert Counter(
        (f.path, f.line, f.column, "error", f.message.split(":")[0]) for f in found
    ) == Counter(r for r in rows if r[3] == "error")
    assert {f.rule for f in found} == {"TY001"}
    assert [f for f in found if f.path == "src/typeme/warn_only.py"] == []


def test_punie_check_runs_ruff_and_ty(lint_project, quality_toolbox, monkeypatch):
    monkeypatch.chdir(lint_project)
    (lint_project / "src/lintme/typed.py").write_text("x: int = 'text'\n")
    report = check_paths(["src"], quality_toolbox)
    rules = Counter((f.path, f.rule) for f in report.findings)
    assert rules[("src/lintme/core.py", "F401")] == 2
    assert rules[("src/lintme/typed.py", "TY001")] == 1
    assert rules[("src/lintme/ünï/mödule.py", "F401")] == 1
    plugins = {f.rule: f.plugin for f in report.findings}
    assert plugins["F401"] == plugins["TY001"] == "quality"
    assert validate_source("src/lintme/x.py", "import os\n", quality_toolbox)[0].rule == "F401"


def test_missing_configured_interpreter_is_a_configuration_finding(
    tmp_path, quality_toolbox, monkeypatch
):
    """`[tool.ty.environment] python` naming a missing .venv: ty refuses to run (exit 2);
    `punie check` reports the setting (TY002), not a validator crash (PUNIE001)."""
    project = write_tree(
        tmp_path / "p",
        {
            "pyproject.toml": '[project]\nname = "p"\nversion = "0"\n\n'
            '[tool.ty.environment]\npython = ".venv"\n',
            "uv.lock": "",
            "app/m.py": "x: int = 1\n",
        },
    )
    monkeypatch.chdir(project)
    report = check_paths(["app"], quality_toolbox, layers=("types",))
    assert [(f.rule, Path(f.path).name, f.line) for f in report.findings] == [
        ("TY002", "pyproject.toml", 6)
    ]
    assert "environment.python" in report.findings[0].message


def test_punie_check_fix_applies_ruff_safe_fixes(lint_project, quality_toolbox, monkeypatch):
    monkeypatch.chdir(lint_project)
    report = check_paths(
        ["src/lintme/core.py"], quality_toolbox, fix=True, layers=("syntax", "conventions")
    )
    assert report.fixed >= 3
    assert [f.rule for f in report.findings] == ["F821", "B006", "E722"]
    assert (
        (lint_project / "src/lintme/core.py")
        .read_text()
        .lstrip()
        .startswith("def greet(name: str | None = None)")
    )


def test_ruff_syntax_adds_target_version_errors_the_core_gate_accepts(
    lint_project, quality_toolbox, monkeypatch
):
    monkeypatch.chdir(lint_project)  # the project targets Python 3.11
    source = 'name = "x"\ngreeting = t"hi {name}"\n'
    findings = validate_source("src/lintme/tstr.py", source, quality_toolbox)
    assert [(f.rule, f.line, f.plugin, f.layer) for f in findings] == [
        ("E999", 2, "quality", "syntax")
    ]
    assert "t-strings" in findings[0].message


def test_one_ruff_run_serves_syntax_and_lint(lint_project, monkeypatch):
    monkeypatch.chdir(lint_project)
    source = "import os\n"
    assert validators.ruff_syntax_check("src/lintme/a.py", source) == []
    assert len(validators._handover) == 1  # the lint check that follows reuses this run
    assert [f.rule for f in validators.ruff_lint_check("src/lintme/a.py", source)] == ["F401"]
    assert validators._handover == {}


def test_punie_check_lints_every_file_with_one_ruff_process(
    lint_project, quality_toolbox, monkeypatch
):
    monkeypatch.chdir(lint_project)
    # Valid for the core gate (3.14 grammar), an E999 for ruff (the project targets 3.11).
    (lint_project / "src/lintme/tstr.py").write_text('import os\nname = "x"\ng = t"hi {name}"\n')
    runs: list[list[str]] = []
    real = validators.run_process_sync

    def counting(argv, *args, **kwargs):
        runs.append(argv)
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(validators, "run_process_sync", counting)
    report = check_paths(["src"], quality_toolbox, layers=("syntax", "conventions"))

    assert len(runs) == 1 and "--stdin-filename" not in runs[0]  # one run, files on disk
    found = Counter((f.path, f.rule, f.layer) for f in report.findings)
    assert found == Counter(
        {
            ("src/lintme/broken.py", "SYN001", "syntax"): 1,  # the core gate: ruff never sees it
            ("src/lintme/tstr.py", "E999", "syntax"): 1,  # and no F401: it went no further
            ("src/lintme/core.py", "F401", "conventions"): 2,
            ("src/lintme/core.py", "UP045", "conventions"): 1,
            ("src/lintme/core.py", "F821", "conventions"): 1,
            ("src/lintme/core.py", "B006", "conventions"): 1,
            ("src/lintme/core.py", "E722", "conventions"): 1,
            ("src/lintme/ünï/mödule.py", "F401", "conventions"): 1,
        }
    )
    # The same findings, positions and fixability as the per-file checks of unsaved text.
    runs.clear()
    for path in ("src/lintme/core.py", "src/lintme/ünï/mödule.py", "src/lintme/clean.py"):
        text = (lint_project / path).read_text()
        assert validate_source(path, text, quality_toolbox) == [
            f for f in report.findings if f.path == path
        ]
    assert len(runs) == 3 and all("--stdin-filename" in argv for argv in runs)


def test_lint_batch_reuses_the_syntax_batch_run_unless_the_file_changed(lint_project, monkeypatch):
    monkeypatch.chdir(lint_project)
    paths = ["src/lintme/core.py", "src/lintme/clean.py"]
    runs: list[list[str]] = []
    real = validators.run_process_sync
    monkeypatch.setattr(
        validators,
        "run_process_sync",
        lambda argv, *a, **k: runs.append(argv) or real(argv, *a, **k),
    )
    with validation_run():
        assert validators.ruff_syntax_batch(paths) == []
        lint = validators.ruff_lint_batch(paths)
    assert len(runs) == 1 and len(lint) == 6

    runs.clear()
    with validation_run():
        validators.ruff_syntax_batch(paths)
        (lint_project / "src/lintme/clean.py").write_text("import re\n")
        lint = validators.ruff_lint_batch(paths)
    assert len(runs) == 2 and runs[1][-1].endswith("clean.py")  # only the changed file again
    assert sorted((f.path, f.rule) for f in lint if f.path.endswith("clean.py")) == [
        ("src/lintme/clean.py", "F401")
    ]
