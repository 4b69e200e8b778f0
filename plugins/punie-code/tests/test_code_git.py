"""Typed, read-only git on real repositories: renames, spaces, detached HEAD, attacks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from code_helpers import Caller, git, new_repo
from punie_code.git import GitError
from punie_code.nouns import GitCommit, GitDiff, GitFileStatus, GitStatus

from punie_core import ToolRefused


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with two commits, then a rename, a path with spaces and edits."""
    root = new_repo(tmp_path / "repo")
    (root / "app.py").write_text("def main():\n    return 1\n")
    (root / "old name.py").write_text("X = 1\nY = 2\nZ = 3\n")
    (root / "notes.txt").write_text("keep\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "first commit")
    (root / "app.py").write_text("def main():\n    return 2\n")
    git(root, "commit", "-qam", "second: change main")
    git(root, "mv", "old name.py", "new name.py")  # staged rename, with spaces
    (root / "app.py").write_text("def main():\n    return 3\n\n\nEXTRA = 1\n")  # unstaged
    (root / "spaced dir").mkdir()
    (root / "spaced dir" / "new file.py").write_text("N = 1\n")  # untracked
    (root / "notes.txt").unlink()  # deleted, unstaged
    return root


def test_git_status_types_every_kind_of_change(repo: Path, caller) -> None:
    status = caller(repo)("git_status")
    assert isinstance(status, GitStatus)
    assert status.branch == "main" and not status.clean
    assert status.head == git(repo, "rev-parse", "HEAD").strip()
    assert status.files == [
        GitFileStatus(path="app.py", index=".", worktree="M"),
        GitFileStatus(path="new name.py", index="R", worktree=".", original_path="old name.py"),
        GitFileStatus(path="notes.txt", index=".", worktree="D"),
        GitFileStatus(path="spaced dir/new file.py", index="?", worktree="?"),
    ]


def test_git_status_of_a_clean_tree_a_detached_head_and_no_commits(tmp_path: Path, caller) -> None:
    empty = new_repo(tmp_path / "empty")
    status = caller(empty)("git_status")
    assert (status.branch, status.head, status.clean, status.files) == ("main", None, True, [])
    (empty / "first.py").write_text("A = 1\n")
    status = caller(empty)("git_status")
    assert [(f.path, f.index, f.worktree) for f in status.files] == [("first.py", "?", "?")]
    assert caller(empty)("git_log") == []
    diff = caller(empty)("git_diff")
    assert diff.files == [] and diff.ref == "(no commits)"
    with pytest.raises(GitError, match="no commits"):
        caller(empty)("git_blame", path="first.py", start=1, end=1)

    git(empty, "add", "-A")
    git(empty, "commit", "-qm", "one")
    git(empty, "commit", "-q", "--allow-empty", "-m", "two")
    git(empty, "checkout", "-q", "--detach", "HEAD~1")
    status = caller(empty)("git_status")
    assert status.branch is None and status.clean
    assert status.head == git(empty, "rev-parse", "HEAD").strip()


def test_git_diff_against_head_with_renames_numstat_and_patches(repo: Path, caller) -> None:
    diff = caller(repo)("git_diff")
    assert isinstance(diff, GitDiff) and diff.ref == "HEAD"
    by_path = {f.path: f for f in diff.files}
    assert set(by_path) == {"app.py", "new name.py", "notes.txt"}
    assert (by_path["app.py"].additions, by_path["app.py"].deletions) == (4, 1)
    assert by_path["new name.py"].original_path == "old name.py"
    assert (by_path["new name.py"].additions, by_path["new name.py"].deletions) == (0, 0)
    assert (by_path["notes.txt"].additions, by_path["notes.txt"].deletions) == (0, 1)
    assert "+    return 3" in by_path["app.py"].patch
    assert (diff.additions, diff.deletions) == (4, 2)


def test_git_diff_marks_binary_files(repo: Path, caller) -> None:
    (repo / "logo.png").write_bytes(b"\x89PNG\x00\x01")
    git(repo, "add", "logo.png")
    git(repo, "commit", "-qm", "logo")
    (repo / "logo.png").write_bytes(b"\x89PNG\x00\x02\x03")
    [logo] = caller(repo)("git_diff", paths=["logo.png"]).files
    assert (logo.path, logo.binary, logo.additions, logo.deletions) == ("logo.png", True, 0, 0)
    assert "Binary files" in logo.patch


def test_git_diff_of_a_ref_and_of_paths(repo: Path, caller) -> None:
    diff = caller(repo)("git_diff", ref="HEAD~1", paths=["app.py"])
    assert [(f.path, f.additions, f.deletions) for f in diff.files] == [("app.py", 4, 1)]
    ranged = caller(repo)("git_diff", ref="HEAD~1..HEAD")
    assert [f.path for f in ranged.files] == ["app.py"]


def test_git_log_newest_first_limited_and_by_path(repo: Path, caller) -> None:
    commits = caller(repo)("git_log")
    assert [c.subject for c in commits] == ["second: change main", "first commit"]
    assert all(isinstance(c, GitCommit) and len(c.sha) == 40 for c in commits)
    assert commits[0].author == "Ada Lovelace" and commits[0].email == "ada@example.com"
    assert commits[0].date.startswith("2026-01-02T03:04:05")
    assert [c.subject for c in caller(repo)("git_log", limit=1)] == ["second: change main"]
    assert [c.subject for c in caller(repo)("git_log", paths=["notes.txt"])] == ["first commit"]


def test_git_blame_names_the_commit_of_each_line(repo: Path, caller) -> None:
    lines = caller(repo)("git_blame", path="app.py", start=1, end=2)
    head = git(repo, "rev-parse", "HEAD").strip()
    first = git(repo, "rev-parse", "HEAD~1").strip()
    # app.py has uncommitted edits: line 2 is not committed yet.
    assert [(b.line, b.text) for b in lines] == [(1, "def main():"), (2, "    return 3")]
    assert lines[0].sha == first and lines[0].author == "Ada Lovelace"
    assert lines[0].summary == "first commit"
    assert lines[1].sha == "0" * 40
    git(repo, "checkout", "-q", "--", "app.py")
    lines = caller(repo)("git_blame", path="app.py", start=2, end=2)
    assert [(b.line, b.sha, b.summary) for b in lines] == [(2, head, "second: change main")]


@pytest.mark.parametrize(
    "ref",
    [
        "--output=/tmp/punie-pwned",
        "-p",
        "HEAD..--output=x",
        "HEAD --output=x",
        "main:secret.txt",
        "",
        "$(touch x)",
    ],
)
def test_refs_that_could_be_options_are_refused(repo: Path, caller, ref: str) -> None:
    with pytest.raises((ValueError, ToolRefused), match="not a git ref"):
        caller(repo)("git_diff", ref=ref)
    assert not Path("/tmp/punie-pwned").exists()


@pytest.mark.parametrize(
    ("tool", "arguments"),
    [
        ("git_diff", {"paths": ["--output=/tmp/punie-pwned-2"]}),
        ("git_log", {"paths": ["-p"]}),
        ("git_blame", {"path": "--output=/tmp/punie-pwned-2", "start": 1, "end": 1}),
    ],
)
def test_paths_that_look_like_options_stay_paths(repo: Path, caller, tool, arguments) -> None:
    try:
        caller(repo)(tool, **arguments)
    except (FileNotFoundError, GitError):
        pass  # no such file: the point is that git never read it as an option
    assert not Path("/tmp/punie-pwned-2").exists()


@pytest.mark.parametrize("path", ["../outside.py", "/etc/passwd"])
def test_paths_outside_the_workspace_are_refused(repo: Path, caller, path: str) -> None:
    with pytest.raises(ToolRefused, match="outside"):
        caller(repo)("git_log", paths=[path])


def test_a_workspace_inside_a_bigger_repository_sees_only_itself(repo: Path, caller) -> None:
    (repo / "sub").mkdir()
    (repo / "sub" / "inner.py").write_text("I = 1\n")
    status = caller(repo / "sub")("git_status")
    assert [(f.path, f.index) for f in status.files] == [("inner.py", "?")]
    assert caller(repo / "sub")("git_diff").files == []


def test_a_workspace_outside_any_repository_gets_a_clear_error(tmp_path: Path, caller) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError, match="not in a git repository"):
        caller(plain)("git_status")


def script(path: Path, marker: Path) -> str:
    path.write_text(f"#!/bin/sh\ntouch {marker}\ncat\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_repository_configuration_never_runs_a_program(repo: Path, tmp_path: Path, caller) -> None:
    """fsmonitor hooks, clean/smudge filters, textconv and external diff drivers are code."""
    marker = tmp_path / "PWNED"
    evil = script(tmp_path / "evil.sh", marker)
    for key, value in [
        ("core.fsmonitor", evil),
        ("filter.evil.clean", evil),
        ("filter.evil.smudge", evil),
        ("filter.evil.required", "true"),
        ("diff.evil.textconv", evil),
        ("diff.evil.command", evil),
        ("diff.external", evil),
        ("core.pager", evil),
        ("log.showSignature", "true"),
        ("gpg.program", evil),
    ]:
        git(repo, "config", key, value)
    (repo / ".gitattributes").write_text("*.py filter=evil diff=evil\n")
    os.utime(repo / "app.py")  # racily clean: status would run the clean filter to compare

    call = Caller(caller(repo).toolbox, repo)
    call("git_status")
    call("git_diff")
    call("git_diff", ref="HEAD~1")
    call("git_log")
    call("git_blame", path="app.py", start=1, end=1)

    assert not marker.exists()


def test_punies_own_git_environment_does_not_leak_in(
    repo: Path, tmp_path: Path, caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = new_repo(tmp_path / "other")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    status = caller(repo)("git_status")
    assert "app.py" in [f.path for f in status.files]


# -- a repository's configuration must not make git read outside the workspace ---------------


SECRET = "SECRET-OUTSIDE-123"


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\nMORE\n")
    return outside


def test_core_worktree_cannot_move_the_work_tree_outside(
    repo: Path, tmp_path: Path, caller
) -> None:
    outside = _outside(tmp_path)
    (repo / "secret.txt").write_text("placeholder\n")
    git(repo, "add", "secret.txt")
    git(repo, "commit", "-qm", "placeholder")
    git(repo, "config", "core.worktree", str(outside))

    call = caller(repo)
    results = [call("git_diff"), call("git_status"), call("git_diff", paths=["secret.txt"])]
    shown = repr(results)
    assert SECRET not in shown and "MORE" not in shown
    # The workspace's own files are what git compares with the index.
    assert "app.py" in [f.path for f in results[1].files]
    assert "secret.txt" not in [f.path for f in results[0].files]


def test_a_gitdir_file_pointing_at_another_repository_is_refused(tmp_path: Path, caller) -> None:
    private = new_repo(tmp_path / "private")
    (private / "settings.py").write_text("password = 'hunter2'\n")
    git(private, "add", "-A")
    git(private, "commit", "-qm", "private settings")
    (private / "settings.py").write_text("password = 'changed'\n")
    git(private, "commit", "-qam", "rotate password")
    work = tmp_path / "work"
    work.mkdir()
    (work / ".git").write_text(f"gitdir: {private / '.git'}\n")
    (work / "settings.py").write_text("x = 1\n")

    for tool, arguments in [
        ("git_log", {}),
        ("git_diff", {"ref": "HEAD~1..HEAD"}),
        ("git_status", {}),
    ]:
        with pytest.raises(GitError, match="outside the workspace") as caught:
            caller(work)(tool, **arguments)
        assert "hunter2" not in str(caught.value) and "rotate" not in str(caught.value)


def test_a_git_link_to_another_repository_is_refused(tmp_path: Path, caller) -> None:
    private = new_repo(tmp_path / "private")
    (private / "a.py").write_text("A = 1\n")
    git(private, "add", "-A")
    git(private, "commit", "-qm", "private history")
    work = tmp_path / "work"
    work.mkdir()
    (work / ".git").symlink_to(private / ".git")
    with pytest.raises(GitError, match="outside the workspace"):
        caller(work)("git_log")


def test_a_linked_worktree_of_the_workspace_still_works(repo: Path, tmp_path: Path, caller) -> None:
    git(repo, "commit", "-qam", "third")
    linked = tmp_path / "linked"
    git(repo, "worktree", "add", "-q", str(linked), "HEAD")
    assert [c.subject for c in caller(linked)("git_log", limit=1)] == ["third"]
    (linked / "app.py").write_text("changed\n")
    assert [f.path for f in caller(linked)("git_diff").files] == ["app.py"]


def test_blame_ignore_revs_file_outside_is_never_read(repo: Path, tmp_path: Path, caller) -> None:
    outside = _outside(tmp_path)
    git(repo, "config", "blame.ignoreRevsFile", str(outside / "secret.txt"))
    lines = caller(repo)("git_blame", path="app.py", start=1, end=1)
    assert [line.text for line in lines] == ["def main():"]
    assert SECRET not in repr(lines)


@pytest.mark.parametrize("key", ["include.path", "includeIf.gitdir:/.path"])
def test_a_configuration_including_other_files_is_refused(
    repo: Path, tmp_path: Path, caller, key: str
) -> None:
    outside = _outside(tmp_path)
    included = outside / "inc.cfg"
    included.write_text(f"[blame]\n\tignoreRevsFile = {outside / 'secret.txt'}\n")
    git(repo, "config", key, str(included))
    with pytest.raises(GitError, match="includes other files") as caught:
        caller(repo)("git_blame", path="app.py", start=1, end=1)
    assert SECRET not in str(caught.value)


def test_ignore_and_attribute_files_named_by_the_repository_are_not_read(
    repo: Path, tmp_path: Path, caller
) -> None:
    outside = _outside(tmp_path)
    (outside / "ignore").write_text("spaced dir/\n")
    git(repo, "config", "core.excludesFile", str(outside / "ignore"))
    status = caller(repo)("git_status")
    # The outside ignore file would hide the untracked folder if git read it.
    assert "spaced dir/new file.py" in [f.path for f in status.files]


def test_a_submodule_reads_its_own_history(tmp_path: Path, caller) -> None:
    library = new_repo(tmp_path / "library")
    (library / "lib.py").write_text("L = 1\n")
    git(library, "add", "-A")
    git(library, "commit", "-qm", "library commit")
    parent = new_repo(tmp_path / "parent")
    git(parent, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(library), "lib")
    git(parent, "commit", "-qm", "add the submodule")
    assert (parent / "lib" / ".git").is_file()
    assert [c.subject for c in caller(parent / "lib")("git_log")] == ["library commit"]
