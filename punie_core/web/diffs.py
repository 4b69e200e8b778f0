"""Diffs of edits for the browser: what a pending or running write will change in a workspace file.

The web UI never reads files on a client's request. It only looks at the file an edit tool is
about to replace, when the agent asks permission or starts the call (the path was already
confined to the workspace by the toolbox gate), so the person approving sees the change.
"""

from __future__ import annotations

import difflib
from typing import Any

from punie_core.security.workspace import Workspace, read_regular_bytes

PREVIEW_LIMIT = 512 * 1024
"""Larger files are not diffed (the card says so)."""

DIFF_LINE_LIMIT = 2000


def edit_preview(
    workspace: Workspace | None,
    arguments: dict[str, Any],
    paths: tuple[str, ...],
    edits: dict[str, str] | None = None,
) -> dict | None:
    """The unified diff of a write, when the call carries the new text of one file.

    Args:
        workspace: The session's workspace (None: unknown, no diff).
        arguments: The tool call's arguments (`content`, or `new_text`/`text`, holds the new text).
        paths: The call's workspace-relative paths (the gate's confined view).
        edits: New text per workspace-relative path of a call that writes several files at
            once (a refactoring plan): their diffs are shown one after the other.

    Returns:
        `{"path", "created", "diff": [lines], "truncated"}`, or None when there is nothing to diff.
    """
    if workspace is not None and edits:
        previews = [
            edit_preview(workspace, {"content": text}, (path,)) for path, text in edits.items()
        ]
        shown = [p for p in previews if p is not None]
        lines = [line for p in shown for line in p["diff"]]
        return {
            "path": ", ".join(p["path"] for p in shown),
            "created": False,
            "diff": lines[:DIFF_LINE_LIMIT],
            "truncated": len(lines) > DIFF_LINE_LIMIT or any(p["truncated"] for p in shown),
        }
    if workspace is None or len(paths) != 1:
        return None
    new_text = next(
        (
            arguments[k]
            for k in ("content", "new_text", "text")
            if isinstance(arguments.get(k), str)
        ),
        None,
    )
    if new_text is None:
        return None
    path = paths[0]
    try:
        target = workspace.resolve(path)
        created = not target.exists()
        if not created and target.stat().st_size > PREVIEW_LIMIT:
            return {"path": path, "created": False, "diff": [], "truncated": True}
        old_bytes = b"" if created else read_regular_bytes(target, PREVIEW_LIMIT)
        old_text = old_bytes.decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None
    lines = list(
        difflib.unified_diff(
            old_text.splitlines(),
            new_text.splitlines(),
            fromfile="/dev/null" if created else f"a/{path}",
            tofile=f"b/{path}",
            lineterm="",
        )
    )
    truncated = len(lines) > DIFF_LINE_LIMIT
    return {
        "path": path,
        "created": created,
        "diff": lines[:DIFF_LINE_LIMIT],
        "truncated": truncated,
    }
