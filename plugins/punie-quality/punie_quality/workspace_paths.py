"""Workspace paths for the quality tools, and the permission a modifying call must get first.

The toolbox gate already confines parameters named `path`/`paths`; the tools resolve them
again here so a direct host call (tests, other tools) gets the same confinement. Read-only
calls run freely; calls that change files (`ruff_check(fix=True)`, `ruff_format(check=False)`)
ask the context's permission policy for exactly the files they will write, the same request
the gate makes for `edit` tools, under the running call's id.
"""

from __future__ import annotations

from pathlib import Path

from punie_core import PermissionRequest, ProtectedPath, tool_context


def target_paths(paths: str | list[str] | None, *, node_ids: bool = False) -> list[str]:
    """Normalise a tool's `paths` argument to workspace-relative paths (default: the root).

    Args:
        paths: One path, a list of paths, or None for the workspace root.
        node_ids: Accept pytest node ids (`tests/test_x.py::test_y`): the file part is
            confined and must exist, the `::` suffix is kept.

    Raises:
        OutsideWorkspace: A path leaves the workspace.
        FileNotFoundError: A path does not exist.
    """
    workspace = tool_context().workspace
    given = [paths] if isinstance(paths, str) else list(paths or [])
    found: list[str] = []
    for item in given or ["."]:
        file_part, sep, rest = item.partition("::") if node_ids else (item, "", "")
        resolved = workspace.resolve(file_part)
        if not resolved.exists():
            raise FileNotFoundError(f"{file_part} does not exist in the workspace")
        found.append(workspace.relative(resolved) + sep + rest)
    return found


def writable_files(files: list[str]) -> list[str]:
    """The files (workspace-relative) a fix may rewrite: those inside the workspace and not in
    a protected place (`.git`, a virtual environment, by name or by content); others are left
    as they are (ruff walks into a `env/` holding `pyvenv.cfg` as into any directory)."""
    workspace = tool_context().workspace
    kept = []
    for name in files:
        try:
            workspace.writable(name)
        except (OSError, ValueError):
            continue
        kept.append(name)
    return kept


async def ask_to_modify(tool: str, files: list[str], arguments: dict[str, object]) -> None:
    """Ask permission to let `tool` rewrite `files` (workspace-relative).

    Raises:
        ProtectedPath: A file is inside `.git`, a virtual environment or another protected place.
        ToolRefused: The permission policy said no.
    """
    from punie_core import current_call_id, new_call_id, require_approval

    context = tool_context()
    workspace = context.workspace
    resolved: list[Path] = []
    for name in files:
        try:
            # Inside, not protected by name or by content (a venv or git dir under any name),
            # and a regular file.
            path = workspace.writable(name)
        except ProtectedPath:
            raise ProtectedPath(
                f"refusing to let {tool} write {name}: protected location"
            ) from None
        resolved.append(path)
    sensitive = any(workspace.is_sensitive(p) for p in resolved)
    title = f"{tool}({', '.join(files)})"
    request = PermissionRequest(
        call_id=current_call_id() or new_call_id(),  # the gate's id: one call for the IDE
        tool=tool,
        kind="edit",
        title=title,
        arguments=dict(arguments),
        paths=tuple(files),
        sensitive=sensitive,
    )
    await require_approval(request)
