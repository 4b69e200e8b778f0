"""Fixtures for the validation pipeline tests: a toolbox with the domain plugins only."""

from __future__ import annotations

import pytest

from punie_core.plugins.loader import candidate_from_object, load_toolbox
from punie_core.plugins.toolbox import Toolbox


def domain_toolbox() -> Toolbox:
    """Core + punie-tdom + punie-svcs, loaded strictly (a broken plugin fails the test)."""
    import punie_svcs.plugin
    import punie_tdom.plugin

    return load_toolbox(
        entry_points=False,
        extra=[
            candidate_from_object(punie_tdom.plugin, "tdom", "punie-tdom"),
            candidate_from_object(punie_svcs.plugin, "svcs", "punie-svcs"),
        ],
        strict=True,
    )


@pytest.fixture(scope="session")
def toolbox() -> Toolbox:
    return domain_toolbox()
