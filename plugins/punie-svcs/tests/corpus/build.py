"""Build the real-code corpora of the svcs and tdom plugins from the libraries' repositories.

The corpora are slices of hynek/svcs's and t-strings/tdom's own tests at pinned commits,
committed as test data (the tests never download anything). Each lands with the project's
licence and a NOTICE naming the commit. Run it again after changing a pin:

    uv run python plugins/punie-svcs/tests/corpus/build.py \
        --source svcs=/path/to/svcs --source tdom=/path/to/tdom

A source is a local git clone holding the pinned commit; without one the repository is
cloned from GitHub (a developer's machine; never at test time). `--held-out DIR` instead
writes each repository's whole tree at its commit under DIR, for the precision benchmark
(bench/bench_domain_precision.py), which measures on the files left out of the corpora too.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

PLUGINS = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Slice:
    """Files of one repository at one commit, copied into one corpus directory."""

    name: str
    url: str
    commit: str
    target: Path
    files: tuple[str, ...]
    adapted: dict[str, str]
    """Files replaced by a note of what was changed and the new text (kept minimal)."""


SVCS_CONFTEST = """# SPDX-FileCopyrightText: 2023 Hynek Schlawack <hs@ox.cx>
#
# SPDX-License-Identifier: MIT
#
# Adapted for the Punie corpus: the Sybil doctest collection of docs/ was removed (the docs
# are not part of this slice); the fixtures are upstream's.

import pytest

import svcs

from tests.helpers import CloseMe
from tests.ifaces import Service


@pytest.fixture(name="svc")
def _svc():
    return Service()


@pytest.fixture(name="rs")
def _rs(svc):
    return svcs.RegisteredService(Service, Service, False, True, None, True)


@pytest.fixture(name="registry")
def _registry():
    return svcs.Registry()


@pytest.fixture(name="container")
def _container(registry):
    return svcs.Container(registry)


@pytest.fixture(name="close_me")
def _close_me():
    return CloseMe()
"""

PYPROJECT = """# The project marker of this corpus (upstream's pyproject.toml is not copied).
[project]
name = "{name}-corpus"
version = "0"

[tool.pytest.ini_options]
markers = ["asyncio: upstream's async tests (pytest-asyncio)"]
"""

SLICES = (
    Slice(
        name="svcs",
        url="https://github.com/hynek/svcs",
        commit="7d56b11e49c7edb313bbcf2503f2a6e804976209",
        target=PLUGINS / "punie-svcs" / "tests" / "corpus" / "svcs",
        files=(
            "LICENSE",
            "tests/__init__.py",
            "tests/helpers.py",
            "tests/ifaces.py",
            "tests/fake_factories.py",
            "tests/fake_services.py",
            "tests/test_integration.py",
            "tests/test_container.py",
            "tests/test_autowire.py",
            "tests/integrations/__init__.py",
            "tests/integrations/test_flask.py",
        ),
        adapted={"conftest.py": SVCS_CONFTEST},
    ),
    Slice(
        name="tdom",
        url="https://github.com/t-strings/tdom",
        commit="52a058e1e5c0d567a609abe89517946926c1a621",
        target=PLUGINS / "punie-tdom" / "tests" / "corpus" / "tdom",
        files=("LICENSE", "tdom/parser_test.py", "tdom/processor_test.py"),
        adapted={},
    ),
)


def _checkout(slice_: Slice, sources: dict[str, Path], scratch: Path) -> Path:
    source = sources.get(slice_.name)
    if source is None:
        source = scratch / slice_.name
        subprocess.run(["git", "clone", "--quiet", slice_.url, str(source)], check=True)
    return source


def _show(repo: Path, commit: str, path: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo), "show", f"{commit}:{path}"], check=True, capture_output=True
    ).stdout


def build(slice_: Slice, repo: Path) -> None:
    """Write one corpus directory (replacing the previous one)."""
    if slice_.target.exists():
        shutil.rmtree(slice_.target)
    for path in slice_.files:
        out = slice_.target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(_show(repo, slice_.commit, path))
    for path, text in slice_.adapted.items():
        (slice_.target / path).write_text(text, encoding="utf-8")
    (slice_.target / "pyproject.toml").write_text(
        PYPROJECT.format(name=slice_.name), encoding="utf-8"
    )
    listed = "\n".join(f"- `{p}`" for p in slice_.files if p != "LICENSE")
    changed = "\n".join(f"- `{p}` (adapted: see its header)" for p in slice_.adapted)
    (slice_.target / "NOTICE.md").write_text(
        f"# {slice_.name} corpus\n\n"
        f"Files from {slice_.url} at commit `{slice_.commit}`, under its MIT licence "
        "(`LICENSE`, copied unchanged). Test data for Punie's domain validators: built by "
        "`plugins/punie-svcs/tests/corpus/build.py`, never imported by Punie.\n\n"
        f"Copied unchanged:\n\n{listed}\n"
        + (
            f"\nWritten for the corpus:\n\n{changed}\n- `pyproject.toml` (project marker)\n"
            if changed
            else "\nWritten for the corpus:\n\n- `pyproject.toml` (project marker)\n"
        ),
        encoding="utf-8",
    )


def held_out(slice_: Slice, repo: Path, directory: Path) -> None:
    """Write the whole repository at the pinned commit under `directory/name`."""
    target = directory / slice_.name
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", slice_.commit], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", action="append", default=[], metavar="NAME=GITDIR")
    parser.add_argument("--held-out", type=Path, metavar="DIR")
    args = parser.parse_args(argv)
    sources = {}
    for item in args.source:
        name, _, path = item.partition("=")
        sources[name] = Path(path)
    with tempfile.TemporaryDirectory() as scratch:
        for slice_ in SLICES:
            repo = _checkout(slice_, sources, Path(scratch))
            if args.held_out is not None:
                held_out(slice_, repo, args.held_out)
            else:
                build(slice_, repo)
            print(f"{slice_.name}: {slice_.commit[:12]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
