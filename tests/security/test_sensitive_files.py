"""Class 3: files other programs run or obey always need a person's yes.

Under `--yes` and in accept-edits mode the agent wrote git hooks (`.githooks/`, `.husky/`),
pytest configuration, CI pipelines, hook managers, dev containers, linter configuration and
shell dotfiles without asking; ruff's fixes rewrote files in directories that are virtual
environments or git directories by content. The list lives in `punie_core.sensitive`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from punie_core.agent.modes import mode_decision
from punie_core.plugins.context import AutoApprove
from punie_core.workspace import ProtectedPath, Workspace

from .gate import Gate

SENSITIVE = [
    ".githooks/pre-commit",
    ".husky/pre-commit",
    ".husky/_/husky.sh",
    "pytest.ini",
    ".pytest.ini",
    "pytest.toml",
    ".pytest.toml",
    "tox.ini",
    "setup.cfg",
    "pyproject.toml",
    "conftest.py",
    "tests/conftest.py",
    ".github/workflows/ci.yml",
    ".gitlab-ci.yml",
    "Jenkinsfile",
    "azure-pipelines.yml",
    ".circleci/config.yml",
    "bitbucket-pipelines.yml",
    ".travis.yml",
    "lefthook.yml",
    ".pre-commit-config.yaml",
    ".devcontainer/devcontainer.json",
    "ruff.toml",
    ".ruff.toml",
    "ty.toml",
    ".envrc",
    "Makefile",
    "evil.pth",
    "lib/sitecustomize.py",
    ".bashrc",
    ".profile",
    ".zshrc",
    ".ssh/authorized_keys",
    ".ssh/config",
    ".gitconfig",
    ".config/git/config",
    ".vscode/tasks.json",
    "PYTEST.INI",  # case-insensitive file systems
]


@pytest.mark.parametrize("name", SENSITIVE)
def test_yes_never_writes_a_sensitive_file(tmp_path: Path, name: str) -> None:
    result = Gate(tmp_path, permissions=AutoApprove()).call(
        "write_file", path=name, content="echo pwned\n"
    )
    assert isinstance(result, PermissionError), result
    assert "needs a person's explicit approval" in str(result)
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize("name", SENSITIVE)
def test_accept_edits_still_asks_for_a_sensitive_file(tmp_path: Path, name: str) -> None:
    gate = Gate(tmp_path, answer=False)
    gate.call("write_file", path=name, content="x\n")
    (request,) = gate.asked
    assert request.sensitive
    assert mode_decision("accept-edits", request, {"write_file"}) is None  # asked, not allowed


def test_a_hooks_path_configured_in_git_is_sensitive(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "-C", str(tmp_path), "config", "core.hooksPath", "tools/git-hooks"], check=True
    )
    workspace = Workspace.at(tmp_path)
    assert workspace.is_sensitive(tmp_path / "tools" / "git-hooks" / "pre-commit")
    assert not workspace.is_sensitive(tmp_path / "tools" / "build.py")


def test_ordinary_files_are_not_sensitive(tmp_path: Path) -> None:
    workspace = Workspace.at(tmp_path)
    for name in ("app/views.py", "README.md", "templates/base.html", "tests/test_views.py"):
        assert not workspace.is_sensitive(tmp_path / name), name


@pytest.fixture
def disguised(tmp_path: Path) -> Path:
    """A workspace with a virtual environment and a git directory under innocent names."""
    (tmp_path / "env2" / "lib").mkdir(parents=True)
    (tmp_path / "env2" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "env2" / "lib" / "mod.py").write_text("import os\nimport sys\nx=1\n")
    (tmp_path / "backup" / "objects").mkdir(parents=True)
    (tmp_path / "backup" / "refs").mkdir()
    (tmp_path / "backup" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "backup" / "hook.py").write_text("import os\nimport sys\nx=1\n")
    (tmp_path / "app.py").write_text("import os\nx=1\n")
    return tmp_path


def test_ruff_fix_and_format_never_touch_environments_or_git_dirs_by_content(disguised) -> None:
    before = {p: (disguised / p).read_text() for p in ("env2/lib/mod.py", "backup/hook.py")}
    gate = Gate(disguised, permissions=AutoApprove())
    fixed = gate.call("ruff_check", paths=["."], fix=True)
    assert not isinstance(fixed, Exception), fixed
    formatted = gate.call("ruff_format", paths=["."], check=False)
    assert not isinstance(formatted, Exception), formatted
    assert {p: (disguised / p).read_text() for p in before} == before
    assert (disguised / "app.py").read_text() == "x = 1\n"  # the real file was fixed


def test_write_file_into_a_disguised_environment_is_refused(disguised) -> None:
    for name in ("env2/lib/evil.py", "backup/hooks/pre-commit"):
        result = Gate(disguised, answer=True).call("write_file", path=name, content="x")
        assert isinstance(result, ProtectedPath | PermissionError), (name, result)
        assert not (disguised / name).exists()
