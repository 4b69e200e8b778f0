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
"""

from __future__ import annotations

import os
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from punie_core import PROTECTED_PARTS

RULE = (
    "a read tool never reads outside the workspace, so its configuration may only name "
    "files inside it"
)
CONFIG_NAMES = ("ruff.toml", ".ruff.toml", "ty.toml", "pyproject.toml")
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

_recent: dict[Path, tuple[float, str | None]] = {}


def config_problem(root: Path, *, cached: bool = False) -> str | None:
    """Why the workspace's ruff/ty configuration is refused, or None when it is safe.

    Args:
        root: The workspace (or project) root.
        cached: Reuse an answer up to `CACHE_SECONDS` old (the validators after a write).
    """
    now = time.monotonic()
    recent = _recent.get(root)
    if cached and recent is not None and now - recent[0] < CACHE_SECONDS:
        return recent[1]
    found = None
    for config in _config_files(root):
        problem = _file_problem(root, config)
        if problem:
            found = f"{problem}; rule: {RULE}"
            break
    if len(_recent) > 64:
        _recent.clear()
    _recent[root] = (now, found)
    return found


def check_config(root: Path) -> None:
    """Raise `UnsafeConfig` when `config_problem` finds one."""
    problem = config_problem(root)
    if problem:
        raise UnsafeConfig(f"refusing to run: {problem}")


def _config_files(root: Path) -> Iterator[Path]:
    seen = 0
    for directory, subdirs, files in os.walk(root):
        seen += 1
        subdirs[:] = (
            [] if seen > WALK_LIMIT else [d for d in subdirs if d.casefold() not in SKIP_DIRS]
        )
        for name in files:
            if name.casefold() in CONFIG_NAMES:
                yield Path(directory) / name


def _inside(root: Path, path: Path) -> bool:
    resolved = Path(os.path.realpath(path))
    return resolved == root or resolved.is_relative_to(root)


def _file_problem(root: Path, config: Path) -> str | None:
    shown = config.relative_to(root).as_posix()
    if not _inside(root, config):
        return f"{shown} is a link to a file outside the workspace"
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
