"""The Python files of a project: discovery, reading, import resolution, per-run caching."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

SOURCE_SUFFIXES = (".py", ".pyi")

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".punie",
        "site-packages",
        "build",
        "dist",
    }
)
"""Directory names never walked into (an explicitly named file is still checked)."""


class UsageError(ValueError):
    """A path given to `punie check` does not exist or holds no Python files."""


def iter_source_files(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Every Python file named or under the given paths, sorted, without duplicates.

    Directories are walked, skipping `.git`, virtual environments, `node_modules`, caches
    and hidden directories; a file named explicitly is always included.

    Raises:
        UsageError: A path does not exist.
    """
    found: dict[str, None] = {}
    for raw in paths:
        text = os.fspath(raw)
        if not os.path.exists(text):
            raise UsageError(f"no such file or directory: {text}")
        if os.path.isfile(text):
            found[os.path.normpath(text)] = None
            continue
        for directory, subdirs, files in os.walk(text):
            subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                if name.endswith(SOURCE_SUFFIXES):
                    found[os.path.normpath(os.path.join(directory, name))] = None
    return sorted(found)


def read_source(path: str) -> str:
    """A file's text exactly as stored (line endings kept), decoded as UTF-8.

    Raises:
        UnicodeDecodeError: The file is not UTF-8.
        OSError: The file cannot be read.
    """
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    return text.removeprefix("\ufeff")


# ---------------------------------------------------------------------------------------------
# Project helpers for validators whose rules cross files (a component used in another module,
# a service registered in another module).

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")

_run_cache: ContextVar[dict[Any, Any] | None] = ContextVar("punie_validation_run", default=None)


@contextlib.contextmanager
def validation_run() -> Iterator[dict[Any, Any]]:
    """Scope one pipeline run: project-wide facts computed once are shared by every file.

    Nested runs share the outer run's cache. Outside a run nothing is cached.
    """
    current = _run_cache.get()
    if current is not None:
        yield current
        return
    token = _run_cache.set({})
    try:
        yield _run_cache.get() or {}
    finally:
        _run_cache.reset(token)


def run_cached(key: Any, compute: Callable[[], Any]) -> Any:
    """`compute()` once per pipeline run for `key` (every time outside a run).

    Plugins use it for project-wide facts (the project's files, where its components are
    used), which do not change while one `punie check` or one write is validated.
    """
    cache = _run_cache.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


@functools.lru_cache(maxsize=512)
def _project_root_of(directory: str) -> str:
    current = Path(directory)
    for candidate in (current, *current.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return str(candidate)
    return directory


def project_root(path: str | os.PathLike[str]) -> Path:
    """The project a file belongs to: the nearest directory holding `pyproject.toml`,
    `setup.py`, `setup.cfg` or `.git`, or the file's own directory when there is none.

    Args:
        path: A file (it need not exist yet) or directory.
    """
    resolved = Path(os.path.abspath(path))
    directory = resolved if resolved.is_dir() else resolved.parent
    return Path(_project_root_of(str(directory)))


def project_files(root: str | os.PathLike[str]) -> list[str]:
    """Every Python file of a project (absolute paths), skipping environments and caches.

    Cached for the duration of a pipeline run (see `validation_run`).
    """

    def walk() -> list[str]:
        try:
            return [os.path.abspath(p) for p in iter_source_files([root])]
        except UsageError:
            return []

    return list(run_cached(("project_files", os.path.abspath(root)), walk))


def resolve_module(
    importer: str | os.PathLike[str], module: str, level: int, root: str | os.PathLike[str]
) -> Path | None:
    """The file a project import names, or None when it is not a file of the project.

    Args:
        importer: The importing file.
        module: The dotted module (`app.components`; empty for `from . import x`).
        level: Leading dots of a relative import (0 for absolute).
        root: The project root; absolute imports are looked up there and in `src/`.
    """
    parts = [p for p in module.split(".") if p]
    if level:
        base = Path(os.path.abspath(importer)).parent
        for _ in range(level - 1):
            base = base.parent
        bases = [base]
    else:
        bases = [Path(root), Path(root) / "src"]
    for base in bases:
        target = base.joinpath(*parts) if parts else base
        for candidate in (target.with_suffix(".py") if parts else None, target / "__init__.py"):
            if candidate is not None and candidate.is_file():
                return candidate
    return None
