"""`punie check` as a process: exit codes, the exact JSON shape, --fix and --layers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PUNIE = [sys.executable, "-m", "punie_core.cli"]
TDOM_CASES = Path(__file__).parents[2] / "plugins/punie-tdom/tests/fixtures"


def punie_check(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PUNIE_LOAD_PLUGINS": "tdom,svcs"}  # the domain plugins only
    return subprocess.run(
        [*PUNIE, "check", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(TDOM_CASES / "bad_TDOM011_html_of_str", root)
    return root


def test_json_has_exactly_files_fixed_findings_and_exit_1(project: Path) -> None:
    result = punie_check("app", "--json", cwd=project)
    assert result.returncode == 1, result.stderr
    payload = json.loads(result.stdout)
    assert list(payload) == ["files", "fixed", "findings"]
    assert payload["files"] == 2 and payload["fixed"] == 0
    first = payload["findings"][0]
    assert list(first) == [
        "path",
        "line",
        "column",
        "rule",
        "message",
        "plugin",
        "layer",
        "fixable",
    ]
    assert (first["path"], first["line"], first["rule"], first["plugin"], first["layer"]) == (
        "app/views.py",
        5,
        "TDOM011",
        "tdom",
        "conventions",
    )
    assert [f["fixable"] for f in payload["findings"]] == [True, True, True]


def test_fix_repairs_the_files_then_the_check_is_clean(project: Path) -> None:
    fixed = punie_check("app", "--fix", "--json", cwd=project)
    assert json.loads(fixed.stdout)["fixed"] == 3
    assert fixed.returncode == 0, fixed.stdout
    assert 'tdom.html(t"<p>Hello {name}</p>")' in (project / "app/views.py").read_text()
    again = punie_check("app", cwd=project)
    assert again.returncode == 0
    assert again.stdout.strip() == "2 files checked, no findings."


def test_text_output_names_path_line_rule_and_fixability(project: Path) -> None:
    result = punie_check("app/views.py", cwd=project)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("app/views.py:5:22: TDOM011 html() takes a Template")
    assert lines[0].endswith("[fixable]")
    assert lines[-1] == "1 file checked, 3 findings, 3 fixable with --fix."


@pytest.mark.parametrize(
    "args",
    [["missing_dir"], [], ["app", "--layers", "syntax,style"]],
    ids=["missing-path", "no-path", "unknown-layer"],
)
def test_usage_errors_exit_2(project: Path, args: list[str]) -> None:
    result = punie_check(*args, cwd=project)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr


def test_syntax_only_layer_skips_the_conventions(project: Path) -> None:
    result = punie_check("app", "--layers", "syntax", "--json", cwd=project)
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"files": 2, "fixed": 0, "findings": []}
