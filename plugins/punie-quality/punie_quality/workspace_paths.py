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
        PermissionError: A path is a FIFO, device or socket.
    """
    workspace = tool_context().workspace
    given = [paths] if isinstance(paths, str) else list(paths or [])
    found: list[str] = []
    for item in expand_patterns(given) or ["."]:
        file_part, sep, rest = item.partition("::") if node_ids else (item, "", "")
        resolved = workspace.resolve(file_part)
        if not resolved.exists():
            raise FileNotFoundError(f"{file_part} does not exist in the workspace")
        if not resolved.is_dir() and not resolved.is_file():
            # A FIFO would stall the tool reading it; a device or socket is no source file.
            raise PermissionError(
                f"refusing {file_part}: not a regular file or directory (a FIFO, device "
                "or socket); tools only read regular files"
            )
        found.append(workspace.relative(resolved) + sep + rest)
    return found


def expand_patterns(given: list[str]) -> list[str]:
    """Glob patterns among `given` (`app/**/*.py`) replaced by the files they match.

    Models often pass a pattern where a path goes. A pattern that leaves the workspace, or
    matches nothing, is kept as it is, so the caller's check reports it.
    """
    workspace = tool_context().workspace
    expanded: list[str] = []
    for item in given:
        if not any(char in item for char in "*?[") or Path(item).is_absolute() or ".." in item:
            expanded.append(item)
            continue
        matches = sorted(
            workspace.relative(path) for path in workspace.root.glob(item) if path.is_file()
        )
        expanded += matches or [item]
    return expanded


def operands(targets: list[str]) -> list[str]:
    """Workspace paths as a program's operands: `--`, then each path, never read as an option.

    A hostile repository may hold a file named `-ocache_dir=~` or `@args`: given bare to pytest
    (argparse, `@` reads arguments from a file), ruff or ty (clap), it would be an option. Such
    names get `./` in front (pytest 9 silently drops `-`-names after `--`, so `--` alone is not
    enough), and `--` ends the options for every program that honours it.
    """
    if not targets:
        return []
    return ["--", *(f"./{t}" if t.startswith(("-", "@")) else t for t in targets)]


def refused_files(files: list[str]) -> dict[str, str]:
    """Of `files` (workspace-relative), those a fix must not rewrite, each with the reason
    (`Workspace.rewritable`): a protected place, a special file, a hard-linked file."""
    workspace = tool_context().workspace
    refused = {}
    for name in files:
        try:
            workspace.rewritable(name)
        except (OSError, ValueError) as exc:
            refused[name] = str(exc)
    return refused


def writable_files(files: list[str]) -> list[str]:
    """The files (workspace-relative) a fix may rewrite: those inside the workspace, not in
    a protected place (`.git`, a virtual environment, by name or by content) and not hard-linked
    (`Workspace.rewritable`); others are left as they are (ruff walks into a `env/` holding
    `pyvenv.cfg` as into any directory)."""
    workspace = tool_context().workspace
    kept = []
    for name in files:
        try:
            workspace.rewritable(name)  # also skips hard-linked files (ruff writes in place)
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
            # a regular file, and not hard-linked (ruff rewrites in place).
            path = workspace.rewritable(name)
        except ProtectedPath as exc:
            raise ProtectedPath(f"refusing to let {tool} write {name}: {exc}") from None
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
