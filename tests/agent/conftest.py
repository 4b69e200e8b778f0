"""Shared fixtures for the agent tests: an isolated PUNIE_HOME, a workspace, the core toolbox."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def punie_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Traces and config go to a fresh PUNIE_HOME; no model or plugin setting leaks in."""
    home = tmp_path / "punie-home"
    monkeypatch.setenv("PUNIE_HOME", str(home))
    for name in ("PUNIE_MODEL", "PUNIE_TRACES", "PUNIE_LOAD_PLUGINS", "PUNIE_DISABLE_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A small project: a.txt and app/main.py."""
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "a.txt").write_text("hello\n")
    (root / "app" / "main.py").write_text("print('hi')\n")
    return root


@pytest.fixture(scope="session")
def core_toolbox() -> Any:
    """Only Punie's own tools: tests do not depend on which plugins are installed."""
    from punie_core.plugins.loader import load_toolbox

    return load_toolbox(entry_points=False)


def run_async(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine in a fresh loop and close the sandbox pool before the loop ends."""

    async def main() -> Any:
        try:
            return await coroutine
        finally:
            from punie_core.sandbox.runner import shutdown_pool

            await shutdown_pool()

    return asyncio.run(main())


def punie(
    *args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the real `punie` CLI in a subprocess (stdin is not a terminal)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return run_cli(*args, env=full_env, input=input if input is not None else "", timeout=timeout)
