"""The workspace of the running tool call."""

from __future__ import annotations

from pathlib import Path

from punie_core import tool_context


def workspace_root() -> Path:
    """The resolved root of the current tool call's workspace."""
    return tool_context().workspace.root.resolve()
