"""What a running tool can reach: the workspace, files, commands, permissions and the event sink.

Tools stay plain typed functions; the host sets a `ToolContext` (a context variable) for each
agent run or `punie exec`, and tools read it with `tool_context()`. Frontends swap the parts:
ACP delegates files and terminals to the IDE and asks permission there; `punie exec --yes`
approves ordinary writes; the web UI answers permission requests from the browser.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from punie_core.workspace import Workspace, atomic_write_text, new_file_mode


@dataclass(frozen=True)
class PermissionRequest:
    """A tool call that needs a person's yes before it runs.

    Attributes:
        call_id: The id of the tool call (shared with its events).
        tool: The tool's name.
        kind: The tool's kind (`edit`, `delete`, `move` or `execute`).
        title: One readable line: what will happen.
        arguments: The call's arguments, as given.
        paths: Workspace-relative paths the call writes.
        sensitive: True when a path is one other tools later execute (`conftest.py`, ...):
            policies that approve automatically must refuse these.
    """

    call_id: str
    tool: str
    kind: str
    title: str
    arguments: dict[str, Any]
    paths: tuple[str, ...] = ()
    sensitive: bool = False


class Permissions(Protocol):
    """Decides whether a tool call that changes things may run."""

    async def approve(self, request: PermissionRequest) -> bool:
        """True to run the call, False to refuse it."""
        ...


@dataclass
class AutoApprove:
    """Approve ordinary writes and commands (`--yes`); refuse sensitive paths (a person decides)."""

    async def approve(self, request: PermissionRequest) -> bool:
        return not request.sensitive


@dataclass
class RefuseAll:
    """Refuse every call that needs permission (headless runs without `--yes`)."""

    hint: str = "run with --yes to allow writes and commands"

    async def approve(self, request: PermissionRequest) -> bool:
        return False


@dataclass
class AskCallback:
    """Ask a function (a terminal prompt, an IDE, a browser) for every request."""

    ask: Callable[[PermissionRequest], Awaitable[bool]]

    async def approve(self, request: PermissionRequest) -> bool:
        return await self.ask(request)


class CommandResult(BaseModel):
    """What a shell command did.

    Attributes:
        command: The command line that ran.
        exit_code: Its exit status (negative: killed by that signal; None: timed out).
        output: Standard output and standard error, interleaved, possibly truncated.
        truncated: True when output was cut at the size limit.
    """

    command: str
    exit_code: int | None
    output: str
    truncated: bool = False

    def __str__(self) -> str:
        status = "timed out" if self.exit_code is None else f"exit {self.exit_code}"
        return f"$ {self.command}\n{self.output}[{status}]"


class Files(Protocol):
    """Reads and writes workspace files (locally, or through the IDE's buffers)."""

    async def read_text(self, path: Path) -> str: ...

    async def write_text(self, path: Path, content: str) -> None: ...


class Commands(Protocol):
    """Runs shell commands in the workspace (locally, or in the IDE's terminal)."""

    async def run(self, command: str, cwd: Path, timeout: float) -> CommandResult: ...


INLINE_READ_LIMIT = 256 * 1024
"""Files up to this size are read on the event loop (well under a millisecond)."""


@dataclass
class LocalFiles:
    """Files on this machine's disk; writes are atomic."""

    async def read_text(self, path: Path) -> str:
        # A thread hop costs more than reading a small file; only big ones leave the loop.
        try:
            small = path.stat().st_size <= INLINE_READ_LIMIT
        except OSError:
            small = True  # let read_text raise the real error
        if small:
            return path.read_text(encoding="utf-8")
        return await asyncio.to_thread(path.read_text, encoding="utf-8")

    async def write_text(self, path: Path, content: str) -> None:
        await asyncio.to_thread(atomic_write_text, path, content, mode=new_file_mode())


OUTPUT_LIMIT = 64 * 1024


@dataclass
class LocalCommands:
    """Commands in a local shell, in their own process group so a timeout or cancel kills it all."""

    output_limit: int = OUTPUT_LIMIT

    async def run(self, command: str, cwd: Path, timeout: float) -> CommandResult:
        process = await asyncio.create_subprocess_shell(
            command,
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            # Its own process group (killable as one); a new session (setsid) costs ~15 ms more.
            process_group=0,
        )
        try:
            raw, _ = await asyncio.wait_for(process.communicate(), timeout)
            exit_code: int | None = process.returncode
        except (TimeoutError, asyncio.CancelledError) as exc:
            kill_group(process.pid)
            raw = b""
            with contextlib.suppress(Exception):
                raw, _ = await asyncio.wait_for(process.communicate(), 2)
            if isinstance(exc, asyncio.CancelledError):
                raise
            exit_code = None
        text = raw.decode("utf-8", errors="replace")
        truncated = len(text) > self.output_limit
        if truncated:
            text = text[: self.output_limit] + "\n[output truncated]\n"
        return CommandResult(command=command, exit_code=exit_code, output=text, truncated=truncated)


def kill_group(pid: int) -> None:
    """Kill the process group a command leads (`process_group=0`), ignoring one already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


EventSink = Callable[[Any], None]


def ignore_event(event: Any) -> None:
    """The default event sink."""


@dataclass
class ToolContext:
    """Everything a tool call can reach. Set per run with `using_context`.

    Attributes:
        workspace: The confined project directory.
        files: Where file reads and writes go.
        commands: Where shell commands run.
        permissions: Who approves writes and commands.
        emit: Receives `punie_core.plugins.events` objects (tool calls started and finished, ...).
        command_timeout: Seconds a shell command may run.
    """

    workspace: Workspace
    files: Files = field(default_factory=LocalFiles)
    commands: Commands = field(default_factory=LocalCommands)
    permissions: Permissions = field(default_factory=RefuseAll)
    emit: EventSink = ignore_event
    command_timeout: float = 120.0

    @classmethod
    def local(
        cls, root: str | os.PathLike[str], *, yes: bool = False, **kwargs: Any
    ) -> ToolContext:
        """A context on this machine rooted at `root`; `yes` approves ordinary writes and commands.

        A `permissions=` keyword replaces the policy `yes` would choose.
        """
        permissions: Permissions = kwargs.pop("permissions", None) or (
            AutoApprove() if yes else RefuseAll()
        )
        return cls(workspace=Workspace.at(root), permissions=permissions, **kwargs)


_current: ContextVar[ToolContext | None] = ContextVar("punie_tool_context", default=None)


def tool_context() -> ToolContext:
    """The context of the current run.

    Raises:
        RuntimeError: No context was set (tools called outside a run).
    """
    context = _current.get()
    if context is None:
        raise RuntimeError("no Punie tool context is set: call tools through a Toolbox run")
    return context


@contextlib.contextmanager
def using_context(context: ToolContext) -> Iterator[ToolContext]:
    """Make `context` current for the duration of the block (and tasks started in it)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
