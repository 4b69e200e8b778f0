"""Test-wide isolation: no test reads or writes the real ~/.punie or user configuration."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_punie_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point PUNIE_HOME at a fresh directory for every test and clear plugin switches."""
    home = tmp_path_factory.mktemp("punie-home")
    monkeypatch.setenv("PUNIE_HOME", str(home))
    # A managed model server stops when its last user exits: no test leaves one warm.
    monkeypatch.setenv("PUNIE_KEEP_ALIVE", "0")
    for name in ("PUNIE_MODEL", "PUNIE_LOAD_PLUGINS", "PUNIE_DISABLE_PLUGINS", "PUNIE_STRICT_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    return home
