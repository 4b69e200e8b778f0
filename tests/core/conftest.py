"""Shared helpers for the core tests: the fake distributions and a clean plugin environment."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
FAKE_SITE = ROOT / "tests" / "fixtures" / "fake_dists" / "site"
PUNIE_ENV = ("PUNIE_LOAD_PLUGINS", "PUNIE_DISABLE_PLUGINS", "PUNIE_STRICT_PLUGINS")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No escape-hatch variable from the developer's shell leaks into a test."""
    for name in PUNIE_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def fake_site(clean_env: pytest.MonkeyPatch) -> Path:
    """Put the fake distributions on sys.path for one test (importlib.metadata finds them)."""
    clean_env.syspath_prepend(str(FAKE_SITE))
    return FAKE_SITE


PYCACHE = Path(tempfile.gettempdir()) / "punie-core-tests-pycache"


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a child Python: no PUNIE_* hatches, bytecode cached outside the tree.

    Caching bytecode (even where PYTHONDONTWRITEBYTECODE is set) spares every child process
    from recompiling pydantic; it changes nothing a test observes.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PUNIE_ENV and k not in ("PYTHONDONTWRITEBYTECODE", "PYTEST_ADDOPTS")
    }
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env.update(extra)
    return env


def run_punie(
    *args: str, env: dict[str, str] | None = None, fakes: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run the real `punie` CLI in a subprocess (the fake distributions on PYTHONPATH)."""
    full_env = subprocess_env(**({"PYTHONPATH": str(FAKE_SITE)} if fakes else {}))
    full_env.update(env or {})
    return run_cli(*args, env=full_env, cwd=ROOT, timeout=60)
