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

from punie_core.plugins.changes import record_write
from punie_core.security.workspace import (
    Workspace,
    atomic_write_text,
    new_file_mode,
    read_regular_text,
    write_confined,
)


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
        edits: For a call that writes several files at once (a refactoring), the new text of
            each (workspace-relative path -> text), so frontends show every diff in the one
            request; empty otherwise.
    """

    call_id: str
    tool: str
    kind: str
    title: str
    arguments: dict[str, Any]
    paths: tuple[str, ...] = ()
    sensitive: bool = False
    edits: dict[str, str] = field(default_factory=dict)


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
        # The read opens non-blocking and checks the open file: a FIFO or a device swapped
        # in is refused, never waited on (it would freeze the event loop).
        try:
            small = path.stat().st_size <= INLINE_READ_LIMIT
        except OSError:
            small = True  # let the read raise the real error
        if small:
            return _universal_newlines(read_regular_text(path))
        text = await asyncio.to_thread(read_regular_text, path)
        return _universal_newlines(text)

    async def write_text(self, path: Path, content: str) -> None:
        created = not path.exists()
        root = _workspace_root()
        if root is not None and path.is_relative_to(root):
            # Walks from the root without following links: a parent swapped for a symlink
            # after the gate's check cannot redirect the write.
            await asyncio.to_thread(write_confined, root, path, content, mode=new_file_mode())
        else:
            await asyncio.to_thread(atomic_write_text, path, content, mode=new_file_mode())
        record_write(path, content, created)  # punie_workspace_changed, when the call ends


def _universal_newlines(text: str) -> str:
    """What `Path.read_text` returns: `\r\n` and lone `\r` read as `\n`."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _workspace_root() -> Path | None:
    context = _current.get()
    return context.workspace.root if context is not None else None


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
        captured = BoundedOutput(self.output_limit)
        try:
            async with asyncio.timeout(timeout):
                await _drain(process, captured)
                exit_code: int | None = await process.wait()
        except (TimeoutError, asyncio.CancelledError) as exc:
            kill_group(process.pid)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(_drain(process, captured), 2)
            if isinstance(exc, asyncio.CancelledError):
                raise
            exit_code = None
        text, truncated = captured.text()
        return CommandResult(command=command, exit_code=exit_code, output=text, truncated=truncated)


async def _drain(process: asyncio.subprocess.Process, captured: BoundedOutput) -> None:
    stream = process.stdout
    if stream is None:
        return
    while chunk := await stream.read(READ_CHUNK):
        captured.add(chunk)


READ_CHUNK = 64 * 1024


class BoundedOutput:
    """A command's output kept in bounded memory: the first bytes and the last few.

    A command may print gigabytes; only `limit` bytes are ever held (most from the start,
    `TAIL` from the end, where errors usually are), the rest is counted and dropped as it
    streams in.
    """

    TAIL = 8 * 1024

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.tail_size = min(self.TAIL, limit // 4)
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = self.limit - self.tail_size - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if not chunk:
            return
        self.tail += chunk
        excess = len(self.tail) - self.tail_size
        if excess > 0:
            del self.tail[:excess]
            self.dropped += excess

    def text(self) -> tuple[str, bool]:
        """The output as text, and whether anything was dropped."""
        head = self.head.decode("utf-8", errors="replace")
        tail = self.tail.decode("utf-8", errors="replace")
        if not self.dropped:
            return head + tail, False
        cut = f"\n[output truncated: {self.dropped} bytes left out]\n"
        return head + cut + tail, True


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
