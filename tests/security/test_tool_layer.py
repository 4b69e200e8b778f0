"""Tool-layer abuse from Code Mode: traversal, symlinks, prefix twins, protected, sensitive files.

Confinement of `run_command` is by permission, not by parsing the command: a shell can reach
anything the user can, so it never runs without a yes (`--yes`, the IDE, the browser).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from punie_core.plugins.context import PermissionRequest, ToolContext
from punie_core.sandbox.results import CodeResult

from .conftest import Run, describe, failed


def attempt(call: str) -> str:
    """A snippet that makes one tool call and reports how it ended (caught or not)."""
    return (
        "try:\n"
        f"    r = {call}\n"
        "    outcome = 'ran'\n"
        "except PermissionError as e:\n"
        "    outcome = 'refused: ' + str(e)\n"
        "except Exception as e:\n"
        "    outcome = 'failed: ' + type(e).__name__ + ': ' + str(e)\n"
        "outcome"
    )


def outcomes(results: list[CodeResult]) -> list[str]:
    assert all(r.ok for r in results), describe(results)
    return [str(r.value) for r in results]


def test_traversal_and_absolute_paths_are_refused(
    run: Run, yes_context: ToolContext, layout: dict[str, Path], untouched: None
) -> None:
    outside = layout["outside"]
    calls = [
        "read_file('../outside/secret.txt')",
        "read_file('pkg/../../outside/secret.txt')",
        f"read_file('{outside / 'secret.txt'}')",
        "read_file('/etc/passwd')",
        "read_file('~/.bashrc')",
        "read_file('notes.txt\\x00.py')",
        "write_file('../outside/secret.txt', 'owned')",
        f"write_file('{outside / 'new.txt'}', 'owned')",
        "list_files('../*')",
        "list_files('/etc/*')",
    ]
    results = outcomes(run(yes_context, *(attempt(c) for c in calls)))
    assert all(r.startswith("refused") for r in results), list(zip(calls, results, strict=True))
    assert not (outside / "new.txt").exists()


def test_the_prefix_twin_is_outside(
    run: Run, yes_context: ToolContext, layout: dict[str, Path], untouched: None
) -> None:
    evil = layout["evil"]
    calls = [
        f"read_file('{evil / 'secret.txt'}')",
        "read_file('../app-evil/secret.txt')",
        f"write_file('{evil / 'secret.txt'}', 'owned')",
        f"write_file('{layout['app']}-evil/new.txt', 'owned')",
    ]
    results = outcomes(run(yes_context, *(attempt(c) for c in calls)))
    assert all(r.startswith("refused") for r in results), results


def test_symlinks_cannot_lead_outside(
    run: Run, yes_context: ToolContext, layout: dict[str, Path], untouched: None
) -> None:
    app, outside = layout["app"], layout["outside"]
    (app / "secret-link.txt").symlink_to(outside / "secret.txt")
    (app / "outdir").symlink_to(outside, target_is_directory=True)
    (app / "dangling.txt").symlink_to(outside / "created-through-link.txt")
    (app / "loop-a").symlink_to(app / "loop-b")
    (app / "loop-b").symlink_to(app / "loop-a")
    calls = [
        "read_file('secret-link.txt')",
        "read_file('outdir/secret.txt')",
        "write_file('secret-link.txt', 'owned')",
        "write_file('outdir/new.txt', 'owned')",
        "write_file('dangling.txt', 'owned')",
        "write_file('loop-a', 'x')",
        "read_file('loop-a')",
    ]
    results = outcomes(run(yes_context, *(attempt(c) for c in calls)))
    for call, result in zip(calls, results, strict=True):
        assert result.startswith(("refused", "failed: OSError")), (call, result)
    assert not (outside / "created-through-link.txt").exists()
    assert not (outside / "new.txt").exists()


def test_listing_does_not_follow_links_or_show_protected_directories(
    run: Run, context: ToolContext, layout: dict[str, Path]
) -> None:
    app = layout["app"]
    (app / "outdir").symlink_to(layout["outside"], target_is_directory=True)
    (app / ".git" / "hooks" / "pre-commit").write_text("#!/bin/sh\n")
    (app / ".venv" / "lib").mkdir(parents=True)
    (app / ".venv" / "lib" / "x.py").write_text("")
    [result] = run(context, "list_files('**/*')")
    assert result.value == ["notes.txt", "pkg/views.py"]


PROTECTED = [
    ".git/hooks/pre-commit",
    ".GIT/hooks/pre-commit",
    ".git/config",
    ".punie/config.toml",
    ".venv/lib/python3.11/site-packages/evil.pth",
    "pkg/__pycache__/views.cpython-311.pyc",
    "node_modules/x/index.js",
    "bare.git/hooks/post-checkout",
    "env/lib/evil.py",
    "hooks-link/pre-commit",
]


def test_protected_locations_are_never_written_even_when_a_person_approves(
    run: Run,
    approving_context: tuple[ToolContext, list[PermissionRequest]],
    layout: dict[str, Path],
    untouched: None,
) -> None:
    app = layout["app"]
    bare = app / "bare.git"
    for part in ("objects", "refs", "hooks"):
        (bare / part).mkdir(parents=True)
    (bare / "HEAD").write_text("ref: refs/heads/main\n")
    (app / "env").mkdir()
    (app / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (app / "hooks-link").symlink_to(app / ".git" / "hooks", target_is_directory=True)
    context, seen = approving_context
    results = outcomes(run(context, *(attempt(f"write_file({p!r}, 'owned')") for p in PROTECTED)))
    for path, result in zip(PROTECTED, results, strict=True):
        assert result.startswith("refused") and "protected" in result, (path, result)
    assert seen == []  # refused before anyone was asked
    assert not (app / ".git" / "hooks" / "pre-commit").exists()
    assert not (bare / "hooks" / "post-checkout").exists()


SENSITIVE = [
    "conftest.py",
    "tests/conftest.py",
    "CONFTEST.PY",
    "sitecustomize.py",
    "evil.pth",
    "pyproject.toml",
    "setup.py",
    "pytest.ini",
    "Makefile",
    ".pre-commit-config.yaml",
    ".envrc",
    ".github/workflows/ci.yml",
    ".vscode/tasks.json",
    "package.json",
    "innocent-link.py",
]


def test_yes_never_covers_files_other_tools_execute(
    run: Run, yes_context: ToolContext, layout: dict[str, Path]
) -> None:
    app = layout["app"]
    (app / "harmless.txt").write_text("")
    (app / "innocent-link.py").symlink_to(app / "conftest.py")  # dangling: resolves to conftest.py
    results = outcomes(
        run(yes_context, *(attempt(f"write_file({p!r}, 'owned')") for p in SENSITIVE))
    )
    for path, result in zip(SENSITIVE, results, strict=True):
        assert result.startswith("refused") and "explicit approval" in result, (path, result)
    assert not (app / "conftest.py").exists() and not (app / "tests").exists()


def test_a_link_named_like_a_sensitive_file_is_sensitive(
    run: Run, yes_context: ToolContext, layout: dict[str, Path]
) -> None:
    app = layout["app"]
    (app / "notes-target.txt").write_text("plain\n")
    (app / "conftest.py").symlink_to(app / "notes-target.txt")
    [result] = outcomes(run(yes_context, attempt("write_file('conftest.py', 'import os')")))
    assert result.startswith("refused") and "explicit approval" in result
    assert (app / "notes-target.txt").read_text() == "plain\n"


def test_a_person_can_approve_a_sensitive_file_and_is_told_it_is_sensitive(
    run: Run,
    approving_context: tuple[ToolContext, list[PermissionRequest]],
    layout: dict[str, Path],
) -> None:
    context, seen = approving_context
    [result] = outcomes(run(context, attempt("write_file('conftest.py', 'x = 1\\n')")))
    assert result == "ran"
    assert [(r.tool, r.paths, r.sensitive) for r in seen] == [
        ("write_file", ("conftest.py",), True)
    ]
    assert (layout["app"] / "conftest.py").read_text() == "x = 1\n"


def test_commands_run_only_with_permission(
    run: Run, context: ToolContext, yes_context: ToolContext, layout: dict[str, Path]
) -> None:
    app = layout["app"]
    [refused] = outcomes(run(context, attempt("run_command('touch ran.txt')")))
    assert refused.startswith("refused") and "--yes" in refused
    assert not (app / "ran.txt").exists()
    [ran] = run(yes_context, "r = run_command('pwd && touch ran.txt')\n(r.exit_code, r.output)")
    assert ran.value == [0, f"{app}\n"]
    assert (app / "ran.txt").exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_reading_a_fifo_is_refused_instead_of_hanging(
    run: Run, context: ToolContext, layout: dict[str, Path]
) -> None:
    os.mkfifo(layout["app"] / "pipe")
    [result] = outcomes(run(context, attempt("read_file('pipe')")))
    assert result.startswith("failed: ValueError") and "not a regular file" in result


def test_a_failed_write_leaves_the_old_file_whole(
    run: Run, yes_context: ToolContext, layout: dict[str, Path]
) -> None:
    app = layout["app"]
    [result] = run(yes_context, attempt("write_file('notes.txt', 'half' + chr(0xDC80))"))
    assert result.ok
    assert (app / "notes.txt").read_text() == "hello\n"
    assert [p.name for p in app.iterdir() if p.name.endswith(".tmp")] == []


def test_every_refusal_reaches_the_events_as_refused(
    run: Run, workspace: Path, layout: dict[str, Path]
) -> None:
    events: list[object] = []
    context = ToolContext.local(workspace, yes=True, emit=events.append)
    run(
        context, attempt("read_file('../outside/secret.txt')"), attempt("write_file('.git/x', 'y')")
    )
    refused = [e for e in events if getattr(e, "refused", False)]
    assert [(e.tool, e.ok) for e in refused] == [("read_file", False), ("write_file", False)]
    assert not any(type(e).__name__ == "ToolCallStarted" for e in events[:2])


def test_attacks_leave_the_snippet_failures_clean(run: Run, context: ToolContext) -> None:
    results = run(context, "read_file('../outside/secret.txt')", "write_file('.git/hooks/x', 'y')")
    assert all(failed(r, "PermissionError") for r in results), describe(results)
