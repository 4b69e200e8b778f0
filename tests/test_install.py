"""Install for real: build the five wheels, install them into fresh venvs, run `punie` there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {
    "code": "punie-code",
    "quality": "punie-quality",
    "tdom": "punie-tdom",
    "svcs": "punie-svcs",
}

pytestmark = pytest.mark.slow


def uv() -> str:
    """The uv binary (`uv run` exports it as $UV)."""
    found = os.environ.get("UV") or shutil.which("uv")
    assert found, "uv is required (python3 -m pip install uv)"
    return found


def run(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PUNIE_", "VIRTUAL_ENV", "UV_PROJECT"))
    }
    result = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=300, env={**clean, **(env or {})}
    )
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    run(uv(), "build", "--all-packages", "--wheel", "--out-dir", str(dist))
    return dist


def fresh_venv(path: Path) -> Path:
    run(uv(), "venv", "--quiet", "--python", sys.executable, str(path), cwd=path.parent)
    return path / "bin" / "python"


def pip_install(python: Path, *what: str) -> None:
    run(uv(), "pip", "install", "--quiet", "--python", str(python), *what)


def plugins_json(venv: Path) -> dict:
    # Run from an empty directory so nothing of the source tree is importable.
    result = run(str(venv / "bin" / "punie"), "plugins", "--json", cwd=venv)
    return json.loads(result.stdout)


def test_the_wheels_install_into_a_fresh_venv_and_every_plugin_is_active(
    wheels: Path, tmp_path: Path
) -> None:
    names = sorted(p.name for p in wheels.glob("*.whl"))
    assert [n.split("-")[0] for n in names] == [
        "punie",
        "punie_code",
        "punie_quality",
        "punie_svcs",
        "punie_tdom",
    ]
    python = fresh_venv(tmp_path / "venv")
    pip_install(python, *map(str, sorted(wheels.glob("*.whl"))))
    payload = plugins_json(tmp_path / "venv")
    assert payload["punie"] == "0.1.0"
    status = {e["name"]: (e["distribution"], e["status"], e["error"]) for e in payload["plugins"]}
    assert status["core"][:2] == ("punie", "active")
    for name, distribution in FIRST_PARTY.items():
        assert status[name] == (distribution, "active", None)
    # Skills are package data: they must be inside the wheels.
    skills = run(str(tmp_path / "venv" / "bin" / "punie"), "skills", cwd=tmp_path)
    for name in FIRST_PARTY:
        assert f"({name})" in skills.stdout, skills.stdout


def test_installing_one_plugin_brings_punie_as_its_dependency(wheels: Path, tmp_path: Path) -> None:
    python = fresh_venv(tmp_path / "venv")
    # Like `pip install punie-tdom`: name only the plugin; punie comes in as its dependency.
    pip_install(python, "--find-links", str(wheels), "punie-tdom")
    payload = plugins_json(tmp_path / "venv")
    status = {e["name"]: e["status"] for e in payload["plugins"]}
    assert status == {"core": "active", "tdom": "active"}
    help_text = run(str(tmp_path / "venv" / "bin" / "punie"), "--help", cwd=tmp_path)
    assert "plugins" in help_text.stdout
