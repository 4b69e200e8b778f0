"""Workspace changes made through the toolbox gate, and the hook that tells plugins about them.

While a tool call runs, the file backends (`LocalFiles`, the IDE's `fs/write_text_file`)
record every write in the call's journal with the exact text written. When the call ends
(done or failed), the toolbox adds the paths the gate confined for tools that change the
workspace (`edit`, `delete`, `move`) and the journal missed (a delete, a move, a tool that
wrote with its own code), reads their state from the disk, and calls
`punie_workspace_changed` once for the call. Plugins that cache project state (an index, a
language server) stay current without watching the disk.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Generator, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pluggy

    from punie_core.security.workspace import Workspace

log = logging.getLogger("punie.plugins")

ChangeKind = Literal["created", "changed", "deleted"]
CHANGING_KINDS = frozenset({"edit", "delete", "move"})
"""Tool kinds whose confined paths are reported even when no file backend wrote them."""
TEXT_LIMIT = 4 * 1024 * 1024
"""Larger files are reported without their text (`text=None`)."""


@dataclass(frozen=True)
class WorkspaceChange:
    """One file a tool call created, changed or deleted.

    Attributes:
        path: The file, relative to the workspace root (`/`-separated).
        kind: `created`, `changed` or `deleted`.
        text: The file's new text exactly as written (for the IDE, what is in its buffer),
            or None for a deletion, a binary file or one too large to carry.
    """

    path: str
    kind: ChangeKind
    text: str | None = None


_journal: ContextVar[dict[Path, tuple[bool, str]] | None] = ContextVar(
    "punie_change_journal", default=None
)


def record_write(path: Path, text: str, created: bool) -> None:
    """Note a write in the running tool call's journal (called by the file backends)."""
    journal = _journal.get()
    if journal is not None:
        earlier = journal.get(path)
        journal[path] = ((earlier[0] if earlier else created), text)


@contextlib.contextmanager
def journal() -> Generator[dict[Path, tuple[bool, str]]]:
    """Collect the writes of one tool call (shared with the worker thread of a sync tool)."""
    writes: dict[Path, tuple[bool, str]] = {}
    token = _journal.set(writes)
    try:
        yield writes
    finally:
        _journal.reset(token)


@contextlib.contextmanager
def reporting_changes(
    manager: pluggy.PluginManager | None, workspace: Workspace, kind: str, paths: tuple[str, ...]
) -> Generator[None]:
    """Around one tool run: journal its writes, then call `punie_workspace_changed` once.

    Args:
        manager: The toolbox's plugin manager (None: nobody to tell).
        workspace: The call's workspace.
        kind: The tool's kind; for `edit`, `delete` and `move` the confined `paths` count too.
        paths: The workspace-relative paths the gate confined.
    """
    confined = paths if kind in CHANGING_KINDS else ()
    existed = {p: (workspace.root / p).exists() for p in confined}
    with journal() as writes:
        try:
            yield
        finally:
            if writes or confined:
                changes = collect_changes(workspace, writes, confined, existed)
                notify(manager, workspace.root, changes)


def collect_changes(
    workspace: Workspace,
    writes: dict[Path, tuple[bool, str]],
    confined: Iterable[str],
    existed: dict[str, bool],
) -> list[WorkspaceChange]:
    """The changes of one call: its journal, plus confined paths it did not write itself.

    Args:
        workspace: The call's workspace.
        writes: The journal (absolute path -> (created, text)).
        confined: Workspace-relative paths the gate confined, for tools that change files.
        existed: Whether each confined path existed before the call.
    """
    changes: dict[str, WorkspaceChange] = {}
    for path, (created, text) in writes.items():
        with contextlib.suppress(ValueError, OSError):
            relative = workspace.relative(path)
            changes[relative] = WorkspaceChange(relative, "created" if created else "changed", text)
    for relative in confined:
        if relative in changes or relative == ".":
            continue
        target = workspace.root / relative
        if target.is_dir():
            continue
        before = existed.get(relative, True)
        if not target.exists():
            if before:
                changes[relative] = WorkspaceChange(relative, "deleted", None)
            continue
        changes[relative] = WorkspaceChange(
            relative, "changed" if before else "created", _text(target)
        )
    return [changes[key] for key in sorted(changes)]


def _text(target: Path) -> str | None:
    try:
        if target.stat().st_size > TEXT_LIMIT:
            return None
        return target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def notify(
    manager: pluggy.PluginManager | None, root: Path, changes: list[WorkspaceChange]
) -> None:
    """Call `punie_workspace_changed` on every plugin; one that raises is logged, not fatal.

    The change already happened: a plugin's failure must neither undo it nor hide it from
    the other plugins, so each implementation is called on its own.
    """
    if manager is None or not changes:
        return
    caller = getattr(manager.hook, "punie_workspace_changed", None)
    if caller is None:
        return
    arguments = {"root": root, "changes": tuple(changes)}
    for impl in reversed(caller.get_hookimpls()):
        try:
            impl.function(*(arguments[name] for name in impl.argnames))
        except (Exception, SystemExit):  # a plugin's exit() must not end Punie either
            log.exception("plugin %s failed in punie_workspace_changed", impl.plugin_name)
