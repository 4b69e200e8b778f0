"""Files and commands delegated to the IDE over ACP, with local fallbacks when it cannot.

When the client advertises `fs.readTextFile` / `fs.writeTextFile`, reads go through the IDE
(so unsaved editor buffers are seen) and writes land in the editor. When it advertises
`terminal`, commands run in an IDE terminal shown live in the tool call. Whatever the client
does not offer (JetBrains has shipped with terminals off) runs locally, confined to the
session's directory like every other tool. Quality and domain tools always run locally.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acp import RequestError

from punie_core.acp.reporting import ToolCallReporter
from punie_core.plugins.changes import record_write
from punie_core.plugins.context import (
    OUTPUT_LIMIT,
    CommandResult,
    Commands,
    Files,
    LocalCommands,
    LocalFiles,
    tool_context,
)
from punie_core.security.workspace import (
    atomic_write_text,
    new_file_mode,
    read_regular_text,
    write_confined,
)

log = logging.getLogger("punie.acp")

SHELL = "/bin/sh"


@dataclass
class IdeFiles:
    """`Files` through the IDE's `fs/read_text_file` and `fs/write_text_file`.

    Attributes:
        client: The SDK's connection to the client.
        session_id: The ACP session the requests belong to.
        can_read: The client offers `fs/read_text_file`.
        can_write: The client offers `fs/write_text_file`.
    """

    client: Any
    session_id: str
    can_read: bool = True
    can_write: bool = True
    local: LocalFiles = field(default_factory=LocalFiles)

    async def read_text(self, path: Path) -> str:
        if not self.can_read:
            return await self.local.read_text(path)
        try:
            response = await self.client.read_text_file(session_id=self.session_id, path=str(path))
        except RequestError as exc:
            # The IDE could not read it (not open, not text, gone): the disk decides.
            log.info("IDE read of %s failed (%s); reading it locally", path, exc)
            return await self.local.read_text(path)
        return response.content

    async def write_text(self, path: Path, content: str) -> None:
        if not self.can_write:
            await self.local.write_text(path, content)
            return
        created = not path.exists()
        try:
            await self.client.write_text_file(
                session_id=self.session_id, path=str(path), content=content
            )
        except RequestError as exc:
            raise OSError(f"the IDE could not write {path}: {exc}") from exc
        # An IDE may keep the change in an unsaved buffer for a while; local tools (ruff,
        # pytest) read the disk, so make the disk agree now (same text: no editor conflict).
        root = _workspace_root()
        await asyncio.to_thread(_sync_disk, path, content, root)
        # Plugins (a language server) get the text the IDE holds, when the call ends.
        record_write(path, content, created)


def _sync_disk(path: Path, content: str, root: Path | None) -> None:
    try:
        if read_regular_text(path) == content:
            return
    except (OSError, UnicodeDecodeError):
        pass
    if root is not None and path.is_relative_to(root):
        write_confined(root, path, content, mode=new_file_mode())
    else:
        atomic_write_text(path, content, mode=new_file_mode())


def _workspace_root() -> Path | None:
    try:
        return tool_context().workspace.root
    except RuntimeError:
        return None


@dataclass
class IdeCommands:
    """`Commands` in IDE terminals (`terminal/create`, `wait_for_exit`, `output`, `release`).

    The terminal is embedded in the running tool call so the person sees the output live.
    On timeout or cancel the terminal is killed; it is always released.

    Attributes:
        client: The SDK's connection to the client.
        session_id: The ACP session.
        reporter: Finds the running tool call to embed the terminal in.
        output_limit: Bytes of output the IDE keeps.
    """

    client: Any
    session_id: str
    reporter: ToolCallReporter
    output_limit: int = OUTPUT_LIMIT

    async def run(self, command: str, cwd: Path, timeout: float) -> CommandResult:
        created = await self.client.create_terminal(
            session_id=self.session_id,
            command=SHELL,
            args=["-c", command],
            cwd=str(cwd),
            output_byte_limit=self.output_limit,
        )
        terminal_id = created.terminal_id
        try:
            acp_id = self.reporter.running_command_call()
            if acp_id is not None:
                await self.reporter.attach_terminal(acp_id, terminal_id)
            exit_code: int | None
            try:
                status = await asyncio.wait_for(
                    self.client.wait_for_terminal_exit(
                        session_id=self.session_id, terminal_id=terminal_id
                    ),
                    timeout,
                )
                exit_code = _exit_code(status.exit_code, status.signal)
            except TimeoutError:
                await self._kill(terminal_id)
                exit_code = None
            output = await self.client.terminal_output(
                session_id=self.session_id, terminal_id=terminal_id
            )
            return CommandResult(
                command=command,
                exit_code=exit_code,
                output=output.output,
                truncated=output.truncated,
            )
        except asyncio.CancelledError:
            await asyncio.shield(self._kill(terminal_id))
            raise
        finally:
            await asyncio.shield(self._release(terminal_id))

    async def _kill(self, terminal_id: str) -> None:
        with contextlib.suppress(RequestError, ConnectionError):
            await self.client.kill_terminal(session_id=self.session_id, terminal_id=terminal_id)

    async def _release(self, terminal_id: str) -> None:
        with contextlib.suppress(RequestError, ConnectionError):
            await self.client.release_terminal(session_id=self.session_id, terminal_id=terminal_id)


def _exit_code(code: int | None, signal_name: str | None) -> int | None:
    """The exit code, or minus the signal number when a signal ended the command."""
    if code is not None:
        return code
    if signal_name:
        with contextlib.suppress(KeyError, ValueError):
            return -signal.Signals[
                signal_name if signal_name.startswith("SIG") else f"SIG{signal_name}"
            ]
        return -1
    return None


def choose_backends(
    capabilities: Any, client: Any, session_id: str, reporter: ToolCallReporter
) -> tuple[Files, Commands]:
    """The files and commands backends for what the client offers.

    Args:
        capabilities: The client's `ClientCapabilities` from `initialize` (or None).
        client: The SDK's connection to the client.
        session_id: The ACP session.
        reporter: The session's reporter (for embedding terminals).
    """
    fs = getattr(capabilities, "fs", None)
    can_read = bool(getattr(fs, "read_text_file", False))
    can_write = bool(getattr(fs, "write_text_file", False))
    files: Files = (
        IdeFiles(client, session_id, can_read=can_read, can_write=can_write)
        if can_read or can_write
        else LocalFiles()
    )
    commands: Commands = (
        IdeCommands(client, session_id, reporter)
        if getattr(capabilities, "terminal", False)
        else LocalCommands()
    )
    return files, commands
