"""The workspace rules themselves: resolution, protected and sensitive paths, atomic writes."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from punie_core.security.workspace import (
    OutsideWorkspace,
    ProtectedPath,
    Workspace,
    atomic_write_text,
)


@pytest.fixture
def ws(layout: dict[str, Path]) -> Workspace:
    return Workspace.at(layout["app"])


@pytest.mark.parametrize(
    "path",
    [
        "../outside/secret.txt",
        "pkg/../../outside",
        "/etc/passwd",
        "~",
        "../app-evil/secret.txt",
        "a\x00b",
    ],
)
def test_paths_leaving_the_root_are_refused(ws: Workspace, path: str) -> None:
    with pytest.raises(OutsideWorkspace):
        ws.resolve(path)


def test_the_prefix_twin_is_not_inside(ws: Workspace, layout: dict[str, Path]) -> None:
    with pytest.raises(OutsideWorkspace, match="outside the workspace"):
        ws.resolve(str(layout["evil"] / "secret.txt"))
    assert ws.resolve(str(layout["app"] / "notes.txt")) == layout["app"] / "notes.txt"


def test_paths_inside_resolve_and_normalise(ws: Workspace) -> None:
    assert ws.resolve("pkg/../notes.txt") == ws.root / "notes.txt"
    assert ws.relative(ws.resolve(".")) == "."
    assert ws.relative(ws.resolve("pkg/new/file.py")) == "pkg/new/file.py"


def test_symlink_loops_are_refused(ws: Workspace) -> None:
    (ws.root / "a").symlink_to(ws.root / "b")
    (ws.root / "b").symlink_to(ws.root / "a")
    with pytest.raises(OutsideWorkspace, match="loop"):
        ws.resolve("a")


@pytest.mark.parametrize(
    "path",
    [
        ".git/hooks/pre-commit",
        ".Git/config",
        ".punie/x",
        ".venv/x",
        "a/__pycache__/m.pyc",
        "site-packages/x.pth",
    ],
)
def test_protected_locations_are_refused_for_writing(ws: Workspace, path: str) -> None:
    with pytest.raises(ProtectedPath):
        ws.writable(path)


def test_git_and_virtualenv_directories_are_recognised_by_content(ws: Workspace) -> None:
    other = ws.root / "mirror"
    for part in ("objects", "refs"):
        (other / part).mkdir(parents=True)
    (other / "HEAD").write_text("ref: x\n")
    (ws.root / "py").mkdir()
    (ws.root / "py" / "pyvenv.cfg").write_text("")
    for path in ("mirror/hooks/pre-push", "py/bin/python"):
        with pytest.raises(ProtectedPath):
            ws.writable(path)
    assert ws.writable("pkg/new.py") == ws.root / "pkg" / "new.py"


def test_writing_the_root_itself_is_refused(ws: Workspace) -> None:
    with pytest.raises(IsADirectoryError):
        ws.writable(".")


@pytest.mark.parametrize(
    ("path", "sensitive"),
    [
        ("conftest.py", True),
        ("deep/down/conftest.py", True),
        ("ConfTest.py", True),
        ("x.PTH", True),
        (".github/workflows/ci.yml", True),
        (".vscode/tasks.json", True),
        ("pyproject.toml", True),
        ("docs/conftest.md", False),
        ("app/views.py", False),
        ("github/notes.md", False),
    ],
)
def test_sensitive_files(ws: Workspace, path: str, sensitive: bool) -> None:
    assert ws.is_sensitive_target(path) is sensitive


def test_a_link_is_sensitive_by_its_own_name_and_by_its_target(ws: Workspace) -> None:
    (ws.root / "plain.txt").write_text("")
    (ws.root / "conftest.py").symlink_to(ws.root / "plain.txt")
    (ws.root / "innocent.py").symlink_to(ws.root / "tests-conftest", target_is_directory=False)
    (ws.root / "alias.txt").symlink_to(ws.root / "sitecustomize.py")
    assert ws.is_sensitive_target("conftest.py")
    assert ws.is_sensitive_target("alias.txt")
    assert not ws.is_sensitive_target("plain.txt")


def test_atomic_write_keeps_mode_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "script.sh"
    target.write_text("old\n")
    target.chmod(0o750)
    atomic_write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["script.sh"]


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "new" + "\udc80")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_readers_see_the_old_file_or_the_new_one_never_a_torn_one(tmp_path: Path) -> None:
    target = tmp_path / "data.txt"
    old, new = "a" * 200_000, "b" * 200_000
    target.write_text(old)
    seen: set[str] = set()
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            text = target.read_text()
            seen.add(f"{text[:1]}{len(text)}{len(set(text))}")

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(30):
            atomic_write_text(target, new if i % 2 == 0 else old)
    finally:
        done.set()
        thread.join()
    assert seen <= {"a2000001", "b2000001"}


def test_a_write_through_a_final_link_replaces_the_link_not_its_target(tmp_path: Path) -> None:
    # Callers pass resolved paths; if a link slips in (a race), the rename replaces the link.
    outside = tmp_path / "outside.txt"
    outside.write_text("keep\n")
    link = tmp_path / "link.txt"
    link.symlink_to(outside)
    atomic_write_text(link, "new\n")
    assert outside.read_text() == "keep\n"
    assert not link.is_symlink() and link.read_text() == "new\n"
    assert os.path.exists(outside)
