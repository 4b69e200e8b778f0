"""The Python files of a project: discovery, reading, import resolution, per-run caching.

Inside a tool call everything here stays in the workspace: a walk skips files that are links
leading out of it (and FIFOs, devices), the project root is never above the workspace root,
and an import never resolves to a file outside it (`from .... import x` above the root).
Outside a tool call (`punie check DIR`) the walked directory is the boundary.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from punie_core.security.workspace import read_regular_bytes

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
    workspace = _workspace_root()
    for raw in paths:
        text = os.fspath(raw)
        if not os.path.exists(text):
            raise UsageError(f"no such file or directory: {text}")
        if os.path.isfile(text):
            found[os.path.normpath(text)] = None
            continue
        boundary = workspace or Path(os.path.realpath(text))
        for directory, subdirs, files in os.walk(text):
            subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                if name.endswith(SOURCE_SUFFIXES):
                    full = os.path.join(directory, name)
                    if _walkable(full, boundary):
                        found[os.path.normpath(full)] = None
    return sorted(found)


def _walkable(path: str, boundary: Path) -> bool:
    """A regular file, and (when it is a link) one that resolves inside `boundary`."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False  # a FIFO or device would block or never end
    except OSError:
        return False
    if os.path.islink(path) or not _inside(boundary, Path(os.path.abspath(path))):
        return _inside(boundary, Path(os.path.realpath(path)))
    return True


def _inside(root: Path, path: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _workspace_root() -> Path | None:
    """The workspace of the running tool call, or None outside one."""
    from punie_core.plugins.context import tool_context

    try:
        return tool_context().workspace.root
    except RuntimeError:
        return None


def read_source(path: str) -> str:
    """A file's text exactly as stored (line endings kept), decoded as UTF-8.

    Raises:
        UnicodeDecodeError: The file is not UTF-8.
        OSError: The file cannot be read.
    """
    # Non-blocking open, checked on the open file: a FIFO named `x.py` is refused, not waited on.
    text = read_regular_bytes(Path(path)).decode("utf-8")
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
    found = Path(_project_root_of(str(directory)))
    workspace = _workspace_root()
    if workspace is not None and _inside(workspace, directory) and not _inside(workspace, found):
        return workspace  # a marker above the workspace must not widen it
    return found


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
    boundary = _workspace_root() or Path(os.path.realpath(root))
    for base in bases:
        target = base.joinpath(*parts) if parts else base
        for candidate in (target.with_suffix(".py") if parts else None, target / "__init__.py"):
            if candidate is None or not candidate.is_file():
                continue
            if not _inside(boundary, Path(os.path.realpath(candidate))):
                return None  # above the root, or a link out: not a file of the project
            return candidate
    return None
