"""The layers declared in pyproject.toml (`[tool.importlinter]`) hold, and cover every package."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from .conftest import ROOT

CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
FACADES = {"__init__", "context", "toolbox"}
"""Top-level modules outside the layers: the public API and the two 0.1 alias modules."""


def layer_contract() -> dict:
    return next(c for c in CONTRACTS["contracts"] if c["type"] == "layers")


def test_lint_imports_finds_no_broken_contract() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_every_top_level_module_of_punie_core_has_a_layer() -> None:
    declared = set(re.findall(r"punie_core\.(\w+)", " ".join(layer_contract()["layers"])))
    present = {p.stem for p in (ROOT / "punie_core").glob("*.py")} | {
        p.parent.name for p in (ROOT / "punie_core").glob("*/__init__.py")
    }
    missing = sorted(present - declared - FACADES)
    assert missing == [], f"add {missing} to the layers in pyproject.toml (docs/architecture.md)"


def test_every_first_party_plugin_is_held_to_the_public_api() -> None:
    forbidden = next(c for c in CONTRACTS["contracts"] if c["type"] == "forbidden")
    plugins = sorted(p.parent.name for p in ROOT.glob("plugins/*/punie_*/__init__.py"))
    assert sorted(forbidden["source_modules"]) == plugins
    assert sorted(CONTRACTS["root_packages"]) == sorted(["punie_core", *plugins])
