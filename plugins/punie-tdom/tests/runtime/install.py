"""Install the Python 3.14 runtime punie-tdom's tests use to run real tdom (install time only).

tdom needs Python 3.14; Punie runs on 3.11+. Pyodide (CPython 3.14 compiled to WebAssembly,
from npm) runs it under Node. This script runs `npm ci` here and unpacks the wheels pinned in
requirements.txt (downloaded from PyPI with pip) into `site-<tdom version>/`. The tests skip,
saying why, when Node or this runtime is missing; they never download anything.

    uv run python plugins/punie-tdom/tests/runtime/install.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _requirements() -> list[str]:
    lines = (HERE / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _download(requirement: str, into: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            requirement,
            "--no-deps",
            "--quiet",
            "--python-version",
            "3.14",
            "--only-binary=:all:",
            "--dest",
            str(into),
        ],
        check=True,
    )
    name = requirement.split("==")[0].replace("-", "_").lower()
    version = requirement.split("==")[1]
    return next(p for p in into.glob("*.whl") if p.name.lower().startswith(f"{name}-{version}-"))


def _unpack(wheel: Path, site: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if member.endswith((".so", ".pyd")):
                continue  # compiled for CPython on Linux, not for WebAssembly
            archive.extract(member, site)


def main() -> int:
    if shutil.which("npm") is None:
        print("npm is missing: cannot install Pyodide", file=sys.stderr)
        return 1
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True
    )
    requirements = _requirements()
    tdoms = [r for r in requirements if r.startswith("tdom==")]
    others = [r for r in requirements if not r.startswith("tdom==")]
    with tempfile.TemporaryDirectory() as scratch:
        wheels = {r: _download(r, Path(scratch)) for r in requirements}
        for tdom in tdoms:
            site = HERE / f"site-{tdom.split('==')[1]}"
            if site.exists():
                shutil.rmtree(site)
            site.mkdir()
            for requirement in [tdom, *others]:
                _unpack(wheels[requirement], site)
    print("Pyodide runtime ready:", ", ".join(tdoms), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
