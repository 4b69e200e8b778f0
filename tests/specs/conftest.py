"""Fixtures for the spec tests: the organisation folder, calls through the real toolbox gate."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from punie_core import AutoApprove, Toolbox, ToolContext, using_context


@pytest.fixture
def org(isolated_punie_home: Path) -> Path:
    """`$PUNIE_HOME/standards`, the organisation layer (absent until a test writes it)."""
    return isolated_punie_home / "standards"


@pytest.fixture(scope="session")
def spec_toolbox() -> Toolbox:
    """The core plus punie-quality (for pytest_run), loaded strictly."""
    from punie_core.plugins.loader import entry_point_candidates, load_toolbox

    candidates = entry_point_candidates("punie-quality")
    assert candidates, "punie-quality is not installed (uv sync --all-packages)"
    return load_toolbox(entry_points=False, extra=candidates, strict=True)


@pytest.fixture
def call(spec_toolbox: Toolbox) -> Callable[..., Any]:
    """`call(root, tool, **kwargs)`: one tool call through `Toolbox.call`, tests approved."""

    def run(root: Path, name: str, **kwargs: Any) -> Any:
        context = ToolContext.local(root, permissions=AutoApprove())

        async def main() -> Any:
            with using_context(context):
                return await spec_toolbox.call(name, kwargs=kwargs)

        return asyncio.run(main())

    return run


@pytest.fixture
def punie_home_for_session(isolated_punie_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Traces on (whatever the caller's environment says), written under the test's PUNIE_HOME."""
    monkeypatch.delenv("PUNIE_TRACES", raising=False)
    return isolated_punie_home
