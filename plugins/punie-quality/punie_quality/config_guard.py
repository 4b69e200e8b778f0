"""Checks a project's ruff and ty configuration before the read tools run them.

`ruff_check`, `ruff_format` and `typecheck` run without permission (they only read), so what
they read must stay in the workspace and what they print must come from it. A hostile
repository can point both tools elsewhere through their configuration:

* a config file that is a symlink to a file outside (ruff's parse error quotes a line of it);
* ruff's `extend = "/elsewhere/ruff.toml"` (read, and quoted in errors);
* ty's `environment.extra-paths`, `environment.python`, `environment.typeshed` or `src.root`
  outside (modules read from there, their constants quoted in diagnostics).

`config_problem` finds the first such setting in any `ruff.toml`, `.ruff.toml`, `ty.toml` or
`pyproject.toml` of the workspace; the tools then refuse to run and say which file and rule.
ruff's `cache-dir` needs no check: the tools always pass their own `--cache-dir`.

The same walk notes special files (a FIFO, device or socket, or a link to one) that ruff would
open: a config file is refused (ruff would wait on it forever), and sources named `*.py`,
`*.pyi` or `*.ipynb` are listed (`special_sources`) so the tools exclude them from ruff's walk.
"""

from __future__ import annotations

import os
import stat
import time
import tomllib
from pathlib import Path
from typing import Any

from punie_core import PROTECTED_PARTS

RULE = (
    "a read tool never reads outside the workspace, so its configuration may only name "
    "files inside it"
)
CONFIG_NAMES = ("ruff.toml", ".ruff.toml", "ty.toml", "pyproject.toml")
SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")
"""What ruff opens when it walks a directory (it never walks the directories in SKIP_DIRS:
the tools exclude them, so this walk covers every file ruff opens)."""
SKIP_DIRS = PROTECTED_PARTS | {".mypy_cache", ".ruff_cache", ".pytest_cache", "build", "dist"}
WALK_LIMIT = 20_000
"""Most directories looked at (a monorepo larger than this is checked at its top levels)."""

TY_PATH_KEYS = {
    ("environment", "python"),
    ("environment", "extra-paths"),
    ("environment", "typeshed"),
    ("environment", "root"),
    ("src", "root"),
}


class UnsafeConfig(PermissionError):
    """The project's configuration points a read tool outside the workspace."""


CACHE_SECONDS = 2.0
"""How long one answer is reused: a write's validation runs ruff twice and ty once."""

_recent: dict[Path, tuple[float, str | None, tuple[str, ...]]] = {}


def config_problem(root: Path, *, cached: bool = False) -> str | None:
    """Why the workspace's ruff/ty configuration is refused, or None when it is safe.

    Args:
        root: The workspace (or project) root.
        cached: Reuse an answer up to `CACHE_SECONDS` old (the validators after a write).
    """
    return _scan(root, cached=cached)[0]


def special_sources(root: Path) -> tuple[str, ...]:
    """Source files (workspace-relative, `/`-separated) that are FIFOs, devices, sockets or
    links to one: ruff would block on or misread them, so the tools exclude them. The answer
    of the `config_problem` call just made is reused."""
    return _scan(root, cached=True)[1]


def _scan(root: Path, *, cached: bool) -> tuple[str | None, tuple[str, ...]]:
    now = time.monotonic()
    recent = _recent.get(root)
    if cached and recent is not None and now - recent[0] < CACHE_SECONDS:
        return recent[1], recent[2]
    found = None
    configs, special = _walk(root)
    for config in configs:
        problem = _file_problem(root, config)
        if problem:
            found = f"{problem}; rule: {RULE}"
            break
    if len(_recent) > 64:
        _recent.clear()
    _recent[root] = (now, found, tuple(special))
    return found, tuple(special)


def check_config(root: Path) -> None:
    """Raise `UnsafeConfig` when `config_problem` finds one."""
    problem = config_problem(root)
    if problem:
        raise UnsafeConfig(f"refusing to run: {problem}")


def _walk(root: Path) -> tuple[list[Path], list[str]]:
    """(config files, special source files) under `root`, without following directory links."""
    configs: list[Path] = []
    special: list[str] = []
    pending = [root]
    seen = 0
    while pending:
        directory = pending.pop()
        seen += 1
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            name = entry.name.casefold()
            try:
                if entry.is_dir(follow_symlinks=False):
                    if seen <= WALK_LIMIT and name not in SKIP_DIRS:
                        pending.append(Path(entry.path))
                    continue
                if name not in CONFIG_NAMES and not name.endswith(SOURCE_SUFFIXES):
                    continue
                regular = entry.is_file(follow_symlinks=False) or (
                    entry.is_symlink() and stat.S_ISREG(os.stat(entry.path).st_mode)
                )
            except OSError:
                regular = False  # a dangling link or a loop: nothing ruff can read either
            if name in CONFIG_NAMES:
                configs.append(Path(entry.path))
            if not regular and name.endswith(SOURCE_SUFFIXES):
                special.append(Path(entry.path).relative_to(root).as_posix())
    return sorted(configs), sorted(special)


def _inside(root: Path, path: Path) -> bool:
    resolved = Path(os.path.realpath(path))
    return resolved == root or resolved.is_relative_to(root)


def _file_problem(root: Path, config: Path) -> str | None:
    shown = config.relative_to(root).as_posix()
    if not _inside(root, config):
        return f"{shown} is a link to a file outside the workspace"
    try:
        if not stat.S_ISREG(os.stat(config).st_mode):
            return f"{shown} is not a regular file (a FIFO or device would block ruff and ty)"
    except OSError:
        return None  # a dangling link: the tool reports it
    try:
        with open(config, "rb") as handle:
            data = tomllib.loads(handle.read(1_000_000).decode("utf-8", errors="replace"))
    except (OSError, tomllib.TOMLDecodeError):
        return None  # the tool reports it (quoting only this workspace file)
    name = config.name.casefold()
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    ruff = data if name in ("ruff.toml", ".ruff.toml") else tool.get("ruff")
    ty = data if name == "ty.toml" else tool.get("ty")
    base = config.parent
    if isinstance(ruff, dict):
        for value in _strings(ruff.get("extend")):
            if not _inside(root, _path(base, value)):
                return f"{shown} sets ruff's extend = {value!r}, outside the workspace"
    if isinstance(ty, dict):
        for section, key in sorted(TY_PATH_KEYS):
            table = ty.get(section)
            if not isinstance(table, dict):
                continue
            for value in _strings(table.get(key)):
                if not _inside(root, _path(base, value)):
                    return f"{shown} sets ty's {section}.{key} = {value!r}, outside the workspace"
    return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _path(base: Path, value: str) -> Path:
    expanded = Path(os.path.expandvars(os.path.expanduser(value)))
    return expanded if expanded.is_absolute() else base / expanded
