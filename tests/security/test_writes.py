"""Class 9: the write path holds under a race, a kill, and an unsafe workspace root."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from punie_core.security.workspace import (
    TEMP_PREFIX,
    OutsideWorkspace,
    UnsafeWorkspace,
    Workspace,
    write_confined,
)


def test_a_parent_swapped_for_a_link_after_the_check_cannot_redirect_the_write(
    tmp_path: Path,
) -> None:
    app, outside = tmp_path / "app", tmp_path / "outside"
    (app / "pkg").mkdir(parents=True)
    outside.mkdir()
    workspace = Workspace.at(app)
    target = workspace.writable("pkg/views.py")  # the gate's check passes...
    (app / "pkg").rename(app / "pkg-old")  # ...then the directory becomes a link out
    (app / "pkg").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutsideWorkspace, match="symlink"):
        write_confined(app, target, "owned\n")
    assert list(outside.iterdir()) == []


def test_a_write_creates_missing_parents_inside_and_keeps_modes(tmp_path: Path) -> None:
    write_confined(tmp_path, tmp_path / "a" / "b" / "c.py", "x = 1\n", mode=0o640)
    target = tmp_path / "a" / "b" / "c.py"
    assert target.read_text() == "x = 1\n" and target.stat().st_mode & 0o777 == 0o640
    target.chmod(0o600)
    write_confined(tmp_path, target, "x = 2\n", mode=0o644)
    assert target.read_text() == "x = 2\n" and target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["c.py"]


def test_a_killed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    # 300 MB written through `write_confined`; the writer is killed in the middle.
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from punie_core.security.workspace import write_confined
        root = Path({str(tmp_path)!r})
        print("start", flush=True)
        write_confined(root, root / "big.txt", "x" * 300_000_000)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"start\n"
    time.sleep(0.5)
    process.send_signal(signal.SIGKILL)
    process.wait()
    if (tmp_path / "big.txt").exists():
        pytest.skip("the write finished before the kill (a very fast disk)")
    assert list(tmp_path.iterdir()) == []  # no temporary file of any name


def test_a_named_temporary_file_of_a_dead_writer_is_swept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    stale = tmp_path / f"{TEMP_PREFIX}{dead}-abcdef"
    stale.write_text("x" * 1000)
    mine = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-abcdef"
    mine.write_text("in progress")
    write_confined(tmp_path, tmp_path / "next.py", "y = 1\n")
    assert not stale.exists() and mine.exists()


def test_the_whole_file_system_is_refused_as_a_workspace() -> None:
    with pytest.raises(UnsafeWorkspace, match="whole file system"):
        Workspace.at("/")


def test_a_home_directory_is_refused_unless_accepted(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("PUNIE_ALLOW_HOME_WORKSPACE", raising=False)
    with pytest.raises(UnsafeWorkspace, match="home directory"):
        Workspace.at(tmp_path)
    (tmp_path / "project").mkdir()
    assert Workspace.at(tmp_path / "project").root == (tmp_path / "project").resolve()
    monkeypatch.setenv("PUNIE_ALLOW_HOME_WORKSPACE", "1")
    workspace = Workspace.at(tmp_path)
    assert workspace.is_sensitive(tmp_path / ".bashrc")  # dotfiles still always ask


def test_the_commands_refuse_an_unsafe_workspace_with_a_clear_message(tmp_path: Path) -> None:
    from tests.helpers.cli import punie_command

    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("PUNIE_ALLOW_HOME_WORKSPACE", None)
    for cwd, words in ((tmp_path, "home directory"), (Path("/"), "whole file system")):
        done = subprocess.run(
            [*punie_command(), "exec", "--cwd", str(cwd), "-"],
            input="1 + 1",
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 2 and words in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "folder", ["/etc", "/usr", "/usr/lib", "/var", "/var/log", "/proc", "/dev"]
)
def test_system_folders_are_refused_as_a_workspace(folder: str) -> None:
    if not Path(folder).is_dir():
        pytest.skip(f"{folder} does not exist here")
    with pytest.raises(UnsafeWorkspace, match="system folder"):
        Workspace.at(folder)


@pytest.mark.parametrize("folder", ["/home", "/Users"])
def test_the_folder_of_every_home_is_refused_as_a_workspace(folder: str) -> None:
    if not Path(folder).is_dir() or Path(folder).resolve() != Path(folder):
        pytest.skip(f"{folder} is not a plain folder here")
    with pytest.raises(UnsafeWorkspace, match="holds home directories"):
        Workspace.at(folder)


def test_projects_under_project_trees_and_the_home_are_accepted(
    tmp_path: Path, monkeypatch
) -> None:
    from punie_core.security.workspace import check_root

    for folder in ("/srv/app", "/opt/site", "/var/www/shop", "/var/tmp/p", "/usr/src/x"):
        check_root(Path(folder))  # the rule reads paths; these need not exist
    (tmp_path / "project").mkdir()
    assert Workspace.at(tmp_path / "project").root == (tmp_path / "project").resolve()
    # A service account's home under /var/lib: its projects are the person's own.
    monkeypatch.setenv("HOME", "/var/lib/jenkins")
    check_root(Path("/var/lib/jenkins/workspace/job"))
    with pytest.raises(UnsafeWorkspace, match="system folder /var"):
        check_root(Path("/var/lib/postgresql"))
