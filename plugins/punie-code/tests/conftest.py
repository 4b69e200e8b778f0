"""Fixtures for punie-code's tests (helpers live in `code_helpers`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from code_helpers import Caller
from punie_code.server import stop_all

from punie_core import Toolbox
from punie_core.plugins.loader import entry_point_candidates, load_toolbox


@pytest.fixture(scope="session")
def code_toolbox() -> Toolbox:
    """The core plus punie-code only (other plugins never leak into these tests)."""
    candidates = entry_point_candidates("punie-code")
    assert candidates, "punie-code is not installed (uv sync --all-packages)"
    return load_toolbox(entry_points=False, extra=candidates, strict=True)


@pytest.fixture
def caller(code_toolbox: Toolbox) -> Callable[..., Caller]:
    """`caller(root, answer=True)` -> a `Caller` that runs tools through the gate in `root`."""

    def make(root: Path, answer: bool = True) -> Caller:
        return Caller(code_toolbox, root, answer)

    return make


@pytest.fixture(autouse=True)
def _stop_language_servers() -> Iterator[None]:
    """Every test's workspace gets its own `ty server`; none outlives the test."""
    yield
    stop_all()
