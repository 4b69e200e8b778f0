"""The workspace of the running tool call, and what counts as inside it."""

from __future__ import annotations

import os
from pathlib import Path

from punie_core import tool_context

ENVIRONMENT_PARTS = frozenset({"site-packages", "dist-packages", "typeshed"})
"""Folders of the Python environment (installed packages, ty's bundled stubs)."""


def workspace_root() -> Path:
    """The resolved root of the current tool call's workspace."""
    return tool_context().workspace.root.resolve()


def inside(root: Path, path: Path) -> bool:
    """True when the real path of `path` (links followed) is `root` or under it.

    Args:
        root: The resolved workspace root.
        path: An absolute path, or one relative to `root`.
    """
    real = Path(os.path.realpath(root / path))
    return real == root or real.is_relative_to(root)


def environment_file(path: Path) -> bool:
    """True for a module of the Python environment: the standard library, an installed
    package or a bundled stub (where "go to definition" of an import legitimately leads)."""
    real = Path(os.path.realpath(path))
    if ENVIRONMENT_PARTS & set(real.parts):
        return True
    parts = real.parts
    return any(
        parts[i] == "lib" and parts[i + 1].startswith("python3") for i in range(len(parts) - 1)
    )
