"""Fixtures for the ACP tests: a private PUNIE_HOME, core-only plugins, a workspace."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # acp_harness, for every test module here


@pytest.fixture
def punie_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private `$PUNIE_HOME` (traces, config) and only the core plugin, for one test."""
    home = tmp_path / "punie-home"
    home.mkdir()
    monkeypatch.setenv("PUNIE_HOME", str(home))
    monkeypatch.setenv("PUNIE_LOAD_PLUGINS", "")
    monkeypatch.delenv("PUNIE_MODEL", raising=False)
    return home


@pytest.fixture
def workspace(tmp_path: Path, punie_home: Path) -> Path:
    """A small project directory."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text("print('hello')\n", encoding="utf-8")
    return root.resolve()
