"""Context and spec files are read only inside the workspace, and only as regular files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from punie_core.specs.discovery import discover
from punie_core.specs.index import context_index
from punie_core.specs.tools import layer_files
from tests.helpers.cli import run_cli

SECRET = "SECRET-OUTSIDE-123"


@pytest.fixture
def hostile(tmp_path: Path, monkeypatch) -> Path:
    """A repository whose context and spec files are symlinks to a file outside it."""
    monkeypatch.setenv("PUNIE_HOME", str(tmp_path / "home"))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{SECRET}\nmore secret\n")
    (outside / "more.md").write_text(f"# {SECRET}\n")
    root = tmp_path / "repo"
    for folder in ("app", "agent-os/standards", "specs/001-x", ".kiro/steering", ".specify/memory"):
        (root / folder).mkdir(parents=True)
    for link in (
        "AGENTS.md",
        "app/AGENTS.md",
        "agent-os/standards/s.md",
        "specs/001-x/spec.md",
        ".kiro/steering/k.md",
        ".specify/memory/constitution.md",
    ):
        (root / link).symlink_to(outside / "secret.txt")
    (root / "agent-os/standards/shared").symlink_to(outside)  # a linked folder leading out
    (root / "specs/001-x/tasks.md").write_text("- [ ] T001 Do it\n")
    return root


def test_symlinks_leading_out_are_listed_as_problems_and_never_read(hostile: Path) -> None:
    found = discover(hostile)
    everything = json.dumps([e.file.model_dump() for e in found.entries])
    assert SECRET not in everything
    problems = {e.file.path: e.file.problem for e in found.entries if e.file.problem}
    for path in (
        "AGENTS.md",
        "app/AGENTS.md",
        "agent-os/standards/s.md",
        "agent-os/standards/shared",
        "specs/001-x/spec.md",
        ".kiro/steering/k.md",
        ".specify/memory/constitution.md",
    ):
        assert "outside the workspace" in problems[path], (path, problems)
    assert SECRET not in context_index(hostile)
    for name in ("AGENTS.md", "app/AGENTS.md", "standards/s", "feature/spec"):
        assert layer_files(found, name)[0].text == ""
    spec = found.spec()
    assert spec is not None and SECRET not in json.dumps(spec.model_dump())
    assert "specs/001-x/spec.md: a link leading outside the workspace: not read" in spec.findings


def test_spec_list_and_show_never_print_an_outside_file(hostile: Path) -> None:
    env = dict(os.environ)
    for args in (("list",), ("list", "--json"), ("show",), ("show", "--json")):
        done = run_cli("spec", *args, "--cwd", str(hostile), env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        assert SECRET not in done.stdout + done.stderr, args
        assert "AGENTS.md" in done.stdout or "spec.md" in done.stdout


def test_a_fifo_among_the_spec_files_is_reported_not_waited_on(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "specs/001-x").mkdir(parents=True)
    (root / "specs/001-x/spec.md").write_text("- **FR-001**: System MUST work\n")
    os.mkfifo(root / "specs/001-x/plan.md")
    os.mkfifo(root / "AGENTS.md")
    found = discover(root)  # would block forever on an open FIFO
    problems = {e.file.path: e.file.problem for e in found.entries}
    assert problems["AGENTS.md"] == "not a regular file (a FIFO): not read"
    spec = found.spec()
    assert spec is not None and [r.id for r in spec.requirements] == ["FR-001"]
    assert "specs/001-x/plan.md: not a regular file (a FIFO): not read" in spec.findings


def test_the_organisation_folder_may_be_a_link_but_its_files_stay_inside_it(
    tmp_path: Path, monkeypatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PUNIE_HOME", str(home))
    shared = tmp_path / "shared-checkout"
    shared.mkdir()
    (shared / "python.md").write_text("# Use type hints everywhere\n")
    (tmp_path / "secret.md").write_text(f"# {SECRET}\n")
    (shared / "leak.md").symlink_to(tmp_path / "secret.md")
    (home / "standards").symlink_to(shared)  # by design: a shared checkout
    root = tmp_path / "repo"
    root.mkdir()
    found = discover(root)
    org = {e.file.name: e.file for e in found.entries if e.file.level == "org"}
    assert org["org/python"].description == "Use type hints everywhere"
    assert org["org/python"].problem == ""
    assert org["org/leak"].problem == "a link leading outside the organisation folder: not read"
    assert SECRET not in json.dumps([f.model_dump() for f in org.values()])


def test_spec_commands_show_escape_sequences_instead_of_sending_them(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "specs/001-x").mkdir(parents=True)
    (root / "specs/001-x/spec.md").write_text(
        "# \x1b]52;c;ZXZpbA==\x07Title\n\n- **FR-001**: System MUST \x1b[31mred\u202e\x9b\n"
    )
    env = dict(os.environ, PUNIE_HOME=str(tmp_path / "home"))
    for args in (("show",), ("list",), ("show", "--json"), ("list", "--json")):
        done = run_cli("spec", *args, "--cwd", str(root), env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        for raw in ("\x1b", "\x07", "\u202e", "\x9b"):
            assert raw not in done.stdout, (args, raw)
    shown = run_cli("spec", "show", "--cwd", str(root), env=env, timeout=120).stdout
    assert "FR-001: System MUST \\x1b[31mred\\u202e\\x9b" in shown
    data = json.loads(
        run_cli("spec", "show", "--json", "--cwd", str(root), env=env, timeout=120).stdout
    )
    assert data["requirements"][0]["text"] == "System MUST \x1b[31mred\u202e\x9b"  # same value
