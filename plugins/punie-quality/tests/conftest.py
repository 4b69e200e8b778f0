"""Fixtures for punie-quality's tests (helpers live in `quality_helpers`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from quality_helpers import Caller

from punie_core import Toolbox
from punie_core.plugins.loader import entry_point_candidates, load_toolbox


@pytest.fixture(scope="session")
def quality_toolbox() -> Toolbox:
    """The core plus punie-quality only (other plugins never leak into these tests)."""
    candidates = entry_point_candidates("punie-quality")
    assert candidates, "punie-quality is not installed (uv sync --all-packages)"
    return load_toolbox(entry_points=False, extra=candidates, strict=True)


@pytest.fixture
def caller(quality_toolbox: Toolbox) -> Callable[..., Caller]:
    """`caller(root, answer=True)` -> a `Caller` that runs tools through the gate in `root`."""

    def make(root: Path, answer: bool = True) -> Caller:
        return Caller(quality_toolbox, root, answer)

    return make
