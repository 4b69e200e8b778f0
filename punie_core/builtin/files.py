"""Core tools for the workspace: read, write and list files, run commands."""

from __future__ import annotations

import asyncio
import fnmatch
import os
import stat
from pathlib import Path

from pydantic import BaseModel

from punie_core.plugins.context import CommandResult, tool_context
from punie_core.plugins.toolbox import current_toolbox
from punie_core.security.workspace import PROTECTED_PARTS
from punie_core.validation.pipeline import diagnostics_for_write

LIST_LIMIT = 2000
READ_LIMIT = 1024 * 1024


class WriteResult(BaseModel):
    """What `write_file` did.

    Attributes:
        path: The file written, relative to the workspace root.
        size: Characters written.
        created: True when the file did not exist before.
        findings: Problems the fast validators found in the new text, as
            `line:column RULE message` (empty when it is clean).
        unchanged: The content was what the file already held (to the last newline), so
            nothing was written.
    """

    path: str
    size: int
    created: bool
    findings: list[str] = []
    unchanged: bool = False

    def __str__(self) -> str:
        if self.unchanged:
            return (
                f"{self.path} unchanged: that is the text it already has. To change it, write "
                "the changed text."
            )
        verb = "created" if self.created else "updated"
        if not self.findings:
            return f"{verb} {self.path} ({self.size} characters)"
        # Each finding names the file: a small model otherwise takes `F821 Undefined name
        # html` for a problem of its snippet and imports html there.
        findings = "".join(f"\n{self.path}:{f}" for f in self.findings)
        return f"{verb} {self.path} ({self.size} characters); problems in the file:{findings}"


async def read_file(path: str) -> str:
    """Read a UTF-8 text file of the workspace.

    Args:
        path: File path, relative to the workspace root.
    """
    context = tool_context()
    target = context.workspace.resolve(path)
    if target.is_dir():
        raise IsADirectoryError(f"{path} is a directory; use list_files")
    if target.exists():
        if not target.is_file():
            # A FIFO or device would block or never end.
            raise ValueError(f"{path} is not a regular file")
        if target.stat().st_size > READ_LIMIT:
            raise ValueError(f"{path} is larger than {READ_LIMIT // 1024} KiB; read a smaller file")
    try:
        return await context.files.read_text(target)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} does not exist (list_files() shows the real paths)"
        ) from None
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path} is not UTF-8 text (a binary file?): {exc.reason} at byte {exc.start}"
        ) from None


async def write_file(path: str, content: str) -> WriteResult:
    """Create or replace a text file of the workspace (atomically), after permission.

    Args:
        path: File path, relative to the workspace root; parent folders are created.
        content: The complete new text of the file.
    """
    if any(char in path for char in "*?"):
        # Small models pass the pattern they listed with ("app/**/*.py"): never a file name.
        raise ValueError(f"write_file writes one file: {path!r} is a glob pattern, not a path")
    context = tool_context()
    target = context.workspace.writable(path)
    created = not target.exists()
    if not created and target.is_file() and target.stat().st_size <= READ_LIMIT:
        try:
            before = await context.files.read_text(target)
        except (OSError, ValueError):
            before = None
        if before is not None and before.rstrip("\n") == content.rstrip("\n"):
            # Small models write back the text they just read: say so, and touch nothing.
            relative = context.workspace.relative(target)
            return WriteResult(path=relative, size=len(before), created=False, unchanged=True)
    await context.files.write_text(target, content)
    try:
        toolbox = current_toolbox()
    except RuntimeError:  # called directly, outside a tool call: only the syntax gate runs
        toolbox = None
    findings = await asyncio.to_thread(diagnostics_for_write, target, content, toolbox)
    relative = context.workspace.relative(target)
    return WriteResult(path=relative, size=len(content), created=created, findings=findings)


def list_files(pattern: str = "**/*") -> list[str]:
    """List workspace files matching a glob pattern, sorted, skipping .git, .venv and the like.

    Args:
        pattern: Glob relative to the root, for example `**/*.py` or `src/*.html`.
    """
    workspace = tool_context().workspace
    if os.path.isabs(pattern) or ".." in pattern.split("/"):
        raise PermissionError(f"pattern {pattern!r} must stay inside the workspace")
    found: list[str] = []
    for directory, subdirs, files in os.walk(workspace.root):
        subdirs[:] = sorted(
            d for d in subdirs if d.casefold() not in PROTECTED_PARTS and _is_text_name(d)
        )
        for name in files:
            if not _is_text_name(name):
                continue
            full = os.path.join(directory, name)
            if os.path.islink(full) and not _inside(workspace.root, os.path.realpath(full)):
                continue  # a link out of the workspace is not one of its files
            rel = os.path.relpath(full, workspace.root).replace(os.sep, "/")
            if _matches(rel, pattern) and _regular(full):
                found.append(rel)
                if len(found) > LIST_LIMIT:
                    raise ValueError(f"more than {LIST_LIMIT} files match {pattern!r}; narrow it")
    return sorted(found)


def _inside(root: Path, path: str) -> bool:
    return path == str(root) or path.startswith(str(root) + os.sep)


def _regular(path: str) -> bool:
    """A regular file (or a link to one): a FIFO, device or socket is no file to work on, and
    reading a FIFO the list offered would only wait."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # a dangling link


def _is_text_name(name: str) -> bool:
    """False for a name whose bytes are not UTF-8 (a lone surrogate here): no tool could use it."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _matches(rel: str, pattern: str) -> bool:
    if fnmatch.fnmatchcase(rel, pattern):
        return True
    # `**/` also matches files at the top level, as in most shells with globstar.
    return pattern.startswith("**/") and fnmatch.fnmatchcase(rel, pattern[3:])


async def run_command(command: str) -> CommandResult:
    """Run a shell command in the workspace root, after permission; output is captured.

    Args:
        command: The command line, for example `python -m pytest -q`.
    """
    context = tool_context()
    return await context.commands.run(command, context.workspace.root, context.command_timeout)
