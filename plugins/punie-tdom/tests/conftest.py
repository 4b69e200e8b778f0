"""Shared fixtures for punie-tdom tests: the corpus projects and a toolbox with this plugin."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tdom_corpus import FIXTURES

# Fixture projects are application code, and corpus/ holds upstream's tests as test data.
collect_ignore_glob = ["fixtures/*", "corpus/*"]


@pytest.fixture(scope="session")
def toolbox():
    import punie_tdom.plugin

    from punie_core.plugins.loader import candidate_from_object, load_toolbox

    return load_toolbox(
        entry_points=False,
        extra=[candidate_from_object(punie_tdom.plugin, "tdom", "punie-tdom")],
        strict=True,
    )


@pytest.fixture
def copy_case(tmp_path: Path):
    """Copy a corpus project into a temporary directory (fixes write files)."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy
