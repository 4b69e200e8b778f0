"""Fixtures for the Code Mode tests: a workspace, toolboxes, and a runner that closes the pool."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from punie_core.plugins.context import ToolContext
from punie_core.plugins.loader import candidate_from_object, load_toolbox
from punie_core.plugins.toolbox import Toolbox
from punie_core.sandbox.results import CodeResult, Limits
from punie_core.sandbox.runner import Sandbox, shutdown_pool


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A small project: two Python files (one with a TODO) and a notes file."""
    root = tmp_path / "app"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "views.py").write_text("def index():\n    return 'hi'  # TODO: template\n")
    (root / "pkg" / "models.py").write_text("class User:\n    pass\n")
    (root / "notes.txt").write_text("hello\n")
    return root


@pytest.fixture(scope="session")
def core_toolbox() -> Toolbox:
    """Only Punie's own tools."""
    return load_toolbox(entry_points=False, strict=True)


@pytest.fixture(scope="session")
def toolbox() -> Toolbox:
    """Punie's own tools plus the test plugin (nested nouns, failing and slow tools)."""
    from . import fixture_plugin

    candidate = candidate_from_object(fixture_plugin, "sandbox_fixture")
    return load_toolbox(entry_points=False, extra=[candidate], strict=True)


@pytest.fixture
def events() -> list[Any]:
    """Events the tool calls emit."""
    return []


@pytest.fixture
def context(workspace: Path, events: list[Any]) -> ToolContext:
    """A local context without `--yes`: writes and commands are refused."""
    return ToolContext.local(workspace, emit=events.append)


@pytest.fixture
def yes_context(workspace: Path, events: list[Any]) -> ToolContext:
    """A local context with `--yes`."""
    return ToolContext.local(workspace, yes=True, emit=events.append)


Runner = Callable[..., CodeResult]


def run_many(
    toolbox: Toolbox, context: ToolContext, codes: list[str], limits: Limits | None = None
) -> list[CodeResult]:
    """Run snippets one after another in one sandbox, then close the pool."""

    async def main() -> list[CodeResult]:
        sandbox = Sandbox(toolbox, limits)
        try:
            return [await sandbox.run(code, context) for code in codes]
        finally:
            await shutdown_pool()

    return asyncio.run(main())


@pytest.fixture
def run(toolbox: Toolbox, context: ToolContext) -> Runner:
    """`run(code, limits=None, context=None)`: one snippet with the test toolbox."""

    def runner(
        code: str, limits: Limits | None = None, context_: ToolContext | None = None
    ) -> CodeResult:
        return run_many(toolbox, context_ or context, [code], limits)[0]

    return runner
