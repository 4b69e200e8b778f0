"""Refuses a ty configuration that points the language server outside the workspace.

`ty server` answers navigation queries without permission, so what it reads must stay in the
workspace: a `pyproject.toml` or `ty.toml` setting `environment.extra-paths`,
`environment.python`, `environment.typeshed`, `environment.root` or `src.root` outside (or
a config file that is a link to a file outside) would let hover and definition show modules
from anywhere. The same rule as `typecheck`'s check in punie-quality; kept here because
plugins share code only through `punie_core`.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from punie_code.workspace import inside

CONFIG_NAMES = ("ty.toml", "pyproject.toml")
PATH_KEYS = (
    ("environment", "extra-paths"),
    ("environment", "python"),
    ("environment", "root"),
    ("environment", "typeshed"),
    ("src", "root"),
)
WALK_LIMIT = 20_000
"""Most folders looked at (a larger monorepo is checked at its top levels)."""
RULE = (
    "navigation never reads outside the workspace, so ty's configuration may only name files in it"
)


def config_problem(root: Path, skipped: frozenset[str]) -> str | None:
    """Why the workspace's ty configuration is refused, or None when it is safe.

    Args:
        root: The resolved workspace root.
        skipped: Folder names not looked into (virtualenvs, caches, VCS).
    """
    seen = 0
    for directory, subdirs, files in os.walk(root):
        seen += 1
        subdirs[:] = [] if seen > WALK_LIMIT else [d for d in subdirs if d not in skipped]
        for name in files:
            if name in CONFIG_NAMES:
                problem = _file_problem(root, Path(directory) / name)
                if problem:
                    return f"{problem}; rule: {RULE}"
    return None


def _file_problem(root: Path, config: Path) -> str | None:
    shown = config.relative_to(root).as_posix()
    if not inside(root, config):
        return f"{shown} is a link to a file outside the workspace"
    try:
        data = tomllib.loads(config.read_bytes()[:1_000_000].decode("utf-8", errors="replace"))
    except (OSError, tomllib.TOMLDecodeError):
        return None  # ty reports it (quoting only this workspace file)
    tool = data.get("tool")
    ty = data if config.name == "ty.toml" else tool.get("ty") if isinstance(tool, dict) else None
    if not isinstance(ty, dict):
        return None
    for section, key in PATH_KEYS:
        table = ty.get(section)
        if not isinstance(table, dict):
            continue
        for value in _strings(table.get(key)):
            expanded = Path(os.path.expandvars(os.path.expanduser(value)))
            if not inside(root, config.parent / expanded):
                return f"{shown} sets ty's {section}.{key} = {value!r}, outside the workspace"
    return None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
