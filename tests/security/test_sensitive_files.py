"""Class 3: files other programs run or obey always need a person's yes.

Under `--yes` and in accept-edits mode the agent wrote git hooks (`.githooks/`, `.husky/`),
pytest configuration, CI pipelines, hook managers, dev containers, linter configuration and
shell dotfiles without asking; ruff's fixes rewrote files in directories that are virtual
environments or git directories by content. The list lives in `punie_core.security.sensitive`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from punie_core.agent.modes import mode_decision
from punie_core.plugins.context import AutoApprove
from punie_core.security.workspace import ProtectedPath, Workspace

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
    # Red-team round 2: files that run code, configure tools or instruct later agent sessions.
    ".pdbrc",
    "tasks.py",
    "noxfile.py",
    "fabfile.py",
    "docs/conf.py",
    "hatch.toml",
    "pdm.toml",
    "Pipfile",
    "mise.toml",
    ".mise.toml",
    ".tool-versions",
    "AGENTS.md",
    "sub/AGENTS.md",
    "CLAUDE.md",
    ".cursorrules",
    ".cursor/rules/x.mdc",
    ".claude/settings.json",
    ".github/copilot-instructions.md",
    ".mcp.json",
    "uv.lock",
    "requirements.txt",
    "requirements-dev.txt",
    "requirements/base.txt",
    "constraints.txt",
    ".pytest_cache/v/cache/lastfailed",
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


@pytest.mark.parametrize("where", ["cwd", "argument"])
def test_check_fix_never_touches_environments_or_git_dirs_by_content(
    disguised, monkeypatch, tmp_path_factory, where: str
) -> None:
    from punie_core.validation.pipeline import check_paths

    from .gate import all_plugins

    before = {p: (disguised / p).read_text() for p in ("env2/lib/mod.py", "backup/hook.py")}
    if where == "cwd":
        monkeypatch.chdir(disguised)
        report = check_paths(["."], all_plugins(), fix=True)
    else:
        (disguised / "pyproject.toml").write_text("")  # the project the validators find
        monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
        report = check_paths([disguised], all_plugins(), fix=True)
    assert {p: (disguised / p).read_text() for p in before} == before
    fixed_app = (disguised / "app.py").read_text()
    assert fixed_app == "x=1\n", [f.message for f in report.findings]  # fixed (no format)
    refused = sorted(Path(f.path).name for f in report.findings if f.rule == "PUNIE003")
    assert refused == ["hook.py", "mod.py"]


@pytest.fixture
def hard_linked(tmp_path: Path) -> dict[str, Path]:
    """A workspace file that is a hard link to a file outside the workspace."""
    app = tmp_path / "app"
    outside = tmp_path / "outside"
    app.mkdir()
    outside.mkdir()
    (outside / "hl.py").write_text("import os\nx=1\n")
    (app / "hl.py").hardlink_to(outside / "hl.py")
    (app / "own.py").write_text("import os\nx=1\n")
    return {"app": app, "victim": outside / "hl.py"}


def test_ruff_fix_never_rewrites_a_hard_linked_file(hard_linked) -> None:
    result = Gate(hard_linked["app"], permissions=AutoApprove()).call(
        "ruff_check", paths=["hl.py", "own.py"], fix=True
    )
    assert not isinstance(result, Exception), result
    assert hard_linked["victim"].read_text() == "import os\nx=1\n"
    assert (hard_linked["app"] / "own.py").read_text() == "x=1\n"  # the ordinary file is fixed
    assert {v.file for v in result.violations} == {"hl.py"}  # still reported, not fixed


def test_ruff_format_never_rewrites_a_hard_linked_file(hard_linked) -> None:
    result = Gate(hard_linked["app"], permissions=AutoApprove()).call(
        "ruff_format", paths=["hl.py", "own.py"], check=False
    )
    assert not isinstance(result, Exception), result
    assert hard_linked["victim"].read_text() == "import os\nx=1\n"
    assert result.files == ["own.py"]
    assert any("hl.py" in e and "hard links" in e for e in result.errors), result.errors


def test_check_fix_never_rewrites_a_hard_linked_file(hard_linked, monkeypatch) -> None:
    from punie_core.validation.pipeline import check_paths

    from .gate import all_plugins

    monkeypatch.chdir(hard_linked["app"])
    report = check_paths(["."], all_plugins(), fix=True)
    assert hard_linked["victim"].read_text() == "import os\nx=1\n"
    assert (hard_linked["app"] / "hl.py").samefile(hard_linked["victim"])
    assert [f.path for f in report.findings if f.rule == "PUNIE003"] == ["hl.py"]
