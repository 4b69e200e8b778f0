"""Shared fixtures for punie-svcs tests: the corpus projects and a toolbox with this plugin."""

from __future__ import annotations

import pytest

# Fixture projects are application code, and corpus/ holds upstream's tests as test data.
collect_ignore_glob = ["fixtures/*", "corpus/*"]


@pytest.fixture(scope="session")
def toolbox():
    import punie_svcs.plugin

    from punie_core.plugins.loader import candidate_from_object, load_toolbox

    return load_toolbox(
        entry_points=False,
        extra=[candidate_from_object(punie_svcs.plugin, "svcs", "punie-svcs")],
        strict=True,
    )
