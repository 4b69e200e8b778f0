"""Shared helpers for the core tests: the fake distributions and a clean plugin environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


def run_punie(*args: str, env: dict[str, str] | None = None, fakes: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real `punie` CLI in a subprocess (the fake distributions on PYTHONPATH)."""
    full_env = {k: v for k, v in os.environ.items() if k not in PUNIE_ENV}
    if fakes:
        full_env["PYTHONPATH"] = str(FAKE_SITE)
    full_env.update(env or {})
    script = Path(sys.executable).with_name("punie")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "punie_core.cli"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=ROOT,
        timeout=60,
    )
