"""Fixtures for the security suite: a workspace with neighbours it must never touch."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from punie_core.plugins.context import AskCallback, PermissionRequest, ToolContext
from punie_core.plugins.loader import load_toolbox
from punie_core.plugins.toolbox import Toolbox
from punie_core.sandbox.results import CodeResult, Limits
from punie_core.sandbox.runner import Sandbox, shutdown_pool
from punie_core.security.workspace import Workspace


@pytest.fixture(scope="session")
def toolbox() -> Toolbox:
    """Punie's own tools (the ones that touch files and run commands)."""
    return load_toolbox(entry_points=False, strict=True)


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """`app/` (the workspace), `app-evil/` (a prefix twin), `outside/` (a secret), side by side."""
    app = tmp_path / "app"
    (app / "pkg").mkdir(parents=True)
    (app / "pkg" / "views.py").write_text("x = 1\n")
    (app / "notes.txt").write_text("hello\n")
    (app / ".git" / "hooks").mkdir(parents=True)
    (app / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (app / ".git" / "objects").mkdir()
    (app / ".git" / "refs").mkdir()
    evil = tmp_path / "app-evil"
    evil.mkdir()
    (evil / "secret.txt").write_text("evil twin\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("top secret\n")
    return {"app": app, "evil": evil, "outside": outside, "tmp": tmp_path}


@pytest.fixture
def workspace(layout: dict[str, Path]) -> Path:
    return layout["app"]


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under `root` (symlinks not followed) with a hash of its content."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(root))] = "link->" + str(path.readlink())
        elif path.is_file():
            found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def untouched(layout: dict[str, Path]) -> Iterator[None]:
    """Fail the test if anything outside the workspace changed."""
    before = {name: tree_digest(layout[name]) for name in ("evil", "outside")}
    yield
    after = {name: tree_digest(layout[name]) for name in ("evil", "outside")}
    assert after == before, "something outside the workspace changed"


@pytest.fixture
def context(workspace: Path) -> ToolContext:
    return ToolContext.local(workspace)


@pytest.fixture
def yes_context(workspace: Path) -> ToolContext:
    """`--yes`: ordinary writes and commands approved, sensitive ones refused."""
    return ToolContext.local(workspace, yes=True)


@pytest.fixture
def approving_context(workspace: Path) -> tuple[ToolContext, list[PermissionRequest]]:
    """A person who says yes to everything, and the requests they saw."""
    seen: list[PermissionRequest] = []

    async def ask(request: PermissionRequest) -> bool:
        seen.append(request)
        return True

    return ToolContext(workspace=Workspace.at(workspace), permissions=AskCallback(ask)), seen


Run = Callable[..., list[CodeResult]]


@pytest.fixture
def run(toolbox: Toolbox) -> Run:
    """`run(context, *codes, limits=None)`: snippets in one sandbox, then a healthy-host check.

    Every call ends by running a plain snippet with a tool call in a new sandbox, so each test
    also proves the host survived.
    """

    def runner(context: ToolContext, *codes: str, limits: Limits | None = None) -> list[CodeResult]:
        async def main() -> list[CodeResult]:
            try:
                sandbox = Sandbox(toolbox, limits)
                results = [await sandbox.run(code, context) for code in codes]
                check = await Sandbox(toolbox).run("len(list_files('*.txt'))", context)
                assert check.ok, f"host unhealthy after the attack: {check.error}"
                return results
            finally:
                await shutdown_pool()

        return asyncio.run(main())

    return runner


def failed(result: CodeResult, *types: str) -> bool:
    """True when the snippet ended in a clean error (of one of `types`, when given)."""
    return result.error is not None and (not types or result.error.type in types)


def describe(results: list[CodeResult]) -> list[Any]:
    return [(r.error.type, r.error.message[:80]) if r.error else ("OK", r.value) for r in results]
