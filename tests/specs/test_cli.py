"""`punie spec list|show|new|check`: real processes, exit statuses, JSON shapes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli
from tests.specs.projects import agent_os_project, kiro_project, spec_kit_project, write_tree


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, PUNIE_HOME=str(tmp_path / "home"))


def spec(*args: str, env: dict[str, str], cwd: Path | None = None, input: str | None = None):
    return run_cli("spec", *args, env=env, cwd=cwd, input=input, timeout=120)


def test_list_shows_every_layer_and_the_active_feature(tmp_path: Path, env) -> None:
    root = spec_kit_project(tmp_path / "shop")
    done = spec("list", "--json", "--cwd", str(root), env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["active"] == "001-user-auth" and data["chosen_by"] == "branch"
    assert [f["name"] for f in data["features"]] == ["001-user-auth", "002-search"]
    assert [c["name"] for c in data["context"]] == [
        "constitution",
        "feature/spec",
        "feature/plan",
        "feature/tasks",
    ]
    text = spec("list", env=env, cwd=root).stdout
    assert "project:\n  constitution  (spec-kit constitution, " in text
    assert " * 001-user-auth  (spec-kit, specs/001-user-auth)" in text


def test_show_prints_the_spec_and_names_problems(tmp_path: Path, env) -> None:
    root = spec_kit_project(tmp_path / "shop")
    done = spec("show", "--cwd", str(root), env=env)
    assert done.returncode == 0, done.stderr
    assert "  FR-002: System MUST reject malformed email addresses" in done.stdout
    assert "  [x] T001 Create the users table in app/models.py" in done.stdout
    assert "open questions:\n  FR-004: how many failed logins?" in done.stdout
    data = json.loads(spec("show", "002", "--json", "--cwd", str(root), env=env).stdout)
    assert data["feature"] == "002-search" and data["requirements"][0]["id"] == "FR-001"


def test_usage_errors_exit_2(tmp_path: Path, env) -> None:
    root = spec_kit_project(tmp_path / "shop")
    done = spec("show", "nope", "--cwd", str(root), env=env)
    assert done.returncode == 2
    assert (
        "punie spec: no spec folder for feature 'nope'; known: 001-user-auth, 002-search"
        in done.stderr
    )
    bare = write_tree(tmp_path / "bare", {"a.py": ""})
    done = spec("status", "--cwd", str(bare), env=env)
    assert done.returncode == 2 and "punie spec new NAME" in done.stderr
    assert spec("new", "!!!", "--cwd", str(bare), env=env).returncode == 2
    assert spec(env=env).returncode == 2


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (None, ["specs/001-invoices/spec.md", "specs/001-invoices/tasks.md"]),
        (spec_kit_project, ["specs/003-invoices/spec.md", "specs/003-invoices/tasks.md"]),
        (
            kiro_project,
            [
                ".kiro/specs/invoices/requirements.md",
                ".kiro/specs/invoices/design.md",
                ".kiro/specs/invoices/tasks.md",
            ],
        ),
    ],
)
def test_new_writes_the_template_of_the_layout_in_use(tmp_path: Path, env, make, expected) -> None:
    root = make(tmp_path / "p") if make else write_tree(tmp_path / "p", {"a.py": ""})
    done = spec("new", "Invoices", "--json", "--cwd", str(root), env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["files"] == expected
    shown = json.loads(spec("show", "invoices", "--json", "--cwd", str(root), env=env).stdout)
    assert shown["requirements"], shown  # the template reads back as a spec with requirements
    again = spec("new", "Invoices", "--cwd", str(root), env=env)
    assert again.returncode == 1 and "exists already" in again.stderr


def test_new_in_an_agent_os_project_writes_a_dated_folder(tmp_path: Path, env) -> None:
    root = agent_os_project(tmp_path / "p")
    done = spec("new", "gift cards", "--json", "--cwd", str(root), env=env)
    data = json.loads(done.stdout)
    assert data["path"].startswith("agent-os/specs/20") and data["path"].endswith("-gift-cards")
    assert [f.rsplit("/", 1)[1] for f in data["files"]] == ["shape.md", "plan.md"]


def test_check_exits_1_on_a_broken_rule_and_reads_stdin(tmp_path: Path, env) -> None:
    root = spec_kit_project(tmp_path / "shop")
    done = spec(
        "check", "-", "--json", "--cwd", str(root), env=env, input="Add print() calls everywhere.\n"
    )
    assert done.returncode == 1, done.stderr
    [violation] = json.loads(done.stdout)["violations"]
    assert violation["path"] == ".specify/memory/constitution.md" and violation["level"] == "MUST"
    clean = spec("check", "-", "--cwd", str(root), env=env, input="Add a logging call.\n")
    assert clean.returncode == 0 and "no rule broken" in clean.stdout


def test_the_spec_first_skill_example_runs_in_code_mode(tmp_path: Path, spec_toolbox) -> None:
    import re

    from punie_core import AutoApprove, ToolContext, run_sync

    root = spec_kit_project(tmp_path / "shop")
    write_tree(
        root,
        {
            "tests/test_signup.py": """
                import pytest


                @pytest.mark.spec("FR-001")
                def test_signup():
                    assert True
            """
        },
    )
    body = spec_toolbox.skill("spec-first").body
    [code] = re.findall(r"```python\n(.*?)```", body, re.S)
    context = ToolContext.local(root, permissions=AutoApprove())
    result = run_sync(code, toolbox=spec_toolbox, context=context)
    assert result.ok, result.error
    assert "['FR-001', 'FR-002', 'FR-003', 'FR-004']" in result.stdout
    assert "('FR-001', 'passing')" in result.stdout and "('FR-002', 'uncovered')" in result.stdout
