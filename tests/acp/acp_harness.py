"""In-process ACP harness: Punie's agent on a real frame channel, the Python SDK's client facing it.

The two ends talk through real OS pipes, so every frame crosses the same NDJSON channel as in
`punie serve`. `IdeClient` plays the IDE: it records updates, answers permission requests
from a script, keeps an editor "buffer" per file, and runs terminals as real subprocesses.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from acp import PROTOCOL_VERSION, Client, RequestError, connect_to_agent
from acp.schema import (
    AllowedOutcome,
    ClientCapabilities,
    CreateTerminalResponse,
    DeniedOutcome,
    FileSystemCapabilities,
    ReadTextFileResponse,
    RequestPermissionResponse,
    TerminalExitStatus,
    TerminalOutputResponse,
    WaitForTerminalExitResponse,
    WriteTextFileResponse,
)

from punie_core.acp.channel import FrameChannel, open_stdio
from punie_core.acp.server import serve_channel


@dataclass
class Terminal:
    process: subprocess.Popen[bytes]
    output: bytes = b""
    reader: asyncio.Task[None] | None = None


@dataclass
class IdeClient:
    """A scripted IDE.

    Attributes:
        answers: Option kinds to pick for successive permission requests (`allow_once`,
            `allow_always`, `reject_once`, or `cancelled`); when empty, `default_answer`.
        buffers: Unsaved editor text by absolute path (served to reads before the disk).
        save_writes: Also write `fs/write_text_file` content to disk (as Zed does on save).
    """

    answers: list[str] = field(default_factory=list)
    default_answer: str = "allow_once"
    buffers: dict[str, str] = field(default_factory=dict)
    save_writes: bool = False
    updates: list[tuple[str, Any]] = field(default_factory=list)
    permission_requests: list[Any] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)
    writes: list[tuple[str, str]] = field(default_factory=list)
    terminal_calls: list[str] = field(default_factory=list)
    terminals: dict[str, Terminal] = field(default_factory=dict)
    permission_waiter: asyncio.Event | None = None
    hold_permissions: asyncio.Event | None = None

    async def session_update(self, session_id: str, update: Any, **kwargs: Any) -> None:
        self.updates.append((session_id, update))

    async def request_permission(
        self, session_id: str, tool_call: Any, options: list[Any], **kwargs: Any
    ):
        self.permission_requests.append((tool_call, options))
        if self.permission_waiter is not None:
            self.permission_waiter.set()
        if self.hold_permissions is not None:
            await self.hold_permissions.wait()
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        answer = self.answers.pop(0) if self.answers else self.default_answer
        if answer == "cancelled":
            return RequestPermissionResponse(outcome=DeniedOutcome(outcome="cancelled"))
        option = next(o for o in options if o.kind == answer)
        return RequestPermissionResponse(
            outcome=AllowedOutcome(outcome="selected", option_id=option.option_id)
        )

    async def read_text_file(
        self, session_id: str, path: str, line=None, limit=None, **kwargs: Any
    ):
        self.reads.append(path)
        if path in self.buffers:
            return ReadTextFileResponse(content=self.buffers[path])
        try:
            return ReadTextFileResponse(content=Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RequestError.resource_not_found(path) from None

    async def write_text_file(self, session_id: str, path: str, content: str, **kwargs: Any):
        self.writes.append((path, content))
        self.buffers[path] = content
        if self.save_writes:
            Path(path).write_text(content, encoding="utf-8")
        return WriteTextFileResponse()

    async def create_terminal(
        self,
        session_id: str,
        command: str,
        args=None,
        env=None,
        cwd=None,
        output_byte_limit=None,
        **kwargs: Any,
    ):
        terminal_id = f"term-{len(self.terminals)}"
        self.terminal_calls.append(f"create {command} {' '.join(args or [])}")
        process = subprocess.Popen(
            [command, *(args or [])],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        terminal = Terminal(process)

        async def collect() -> None:
            assert process.stdout is not None
            terminal.output = await asyncio.to_thread(process.stdout.read)

        terminal.reader = asyncio.ensure_future(collect())
        self.terminals[terminal_id] = terminal
        return CreateTerminalResponse(terminal_id=terminal_id)

    async def wait_for_terminal_exit(self, session_id: str, terminal_id: str, **kwargs: Any):
        self.terminal_calls.append(f"wait {terminal_id}")
        terminal = self.terminals[terminal_id]
        code = await asyncio.to_thread(terminal.process.wait)
        return WaitForTerminalExitResponse(
            exit_code=code if code >= 0 else None, signal=None if code >= 0 else f"SIG{-code}"
        )

    async def terminal_output(self, session_id: str, terminal_id: str, **kwargs: Any):
        self.terminal_calls.append(f"output {terminal_id}")
        terminal = self.terminals[terminal_id]
        if terminal.process.poll() is not None and terminal.reader is not None:
            await terminal.reader
        code = terminal.process.poll()
        status = None if code is None else TerminalExitStatus(exit_code=max(code, 0))
        return TerminalOutputResponse(
            output=terminal.output.decode(), truncated=False, exit_status=status
        )

    async def kill_terminal(self, session_id: str, terminal_id: str, **kwargs: Any):
        self.terminal_calls.append(f"kill {terminal_id}")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.terminals[terminal_id].process.pid, 9)

    async def release_terminal(self, session_id: str, terminal_id: str, **kwargs: Any):
        self.terminal_calls.append(f"release {terminal_id}")
        terminal = self.terminals[terminal_id]
        if terminal.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(terminal.process.pid, 9)
        terminal.process.wait()
        if terminal.reader is not None:
            await terminal.reader

    def kinds(self) -> list[str]:
        return [u.session_update for _, u in self.updates]

    def of_kind(self, kind: str) -> list[Any]:
        return [u for _, u in self.updates if u.session_update == kind]


def capabilities(fs: bool = True, terminal: bool = True) -> ClientCapabilities:
    return ClientCapabilities(
        fs=FileSystemCapabilities(read_text_file=fs, write_text_file=fs), terminal=terminal
    )


@dataclass
class Harness:
    conn: Any
    client: IdeClient
    channel: FrameChannel
    frames: list[dict[str, Any]]

    async def start(self, caps: ClientCapabilities | None = None) -> Any:
        return await self.conn.initialize(
            protocol_version=PROTOCOL_VERSION, client_capabilities=caps or capabilities()
        )

    async def new_session(self, cwd: Path, **kwargs: Any) -> str:
        response = await self.conn.new_session(
            cwd=str(cwd), mcp_servers=kwargs.pop("mcp_servers", []), **kwargs
        )
        return response.session_id

    agents: list[Any] = field(default_factory=list)

    def agent(self) -> Any:
        """The PunieAgent serving this harness (in the same process; exists once a session does)."""
        return self.agents[0]


async def _pipe_reader(
    fd: int, limit: int = 50 * 1024 * 1024
) -> tuple[asyncio.StreamReader, asyncio.BaseTransport]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=limit)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(fd, "rb", buffering=0)
    )
    return reader, transport


async def _pipe_writer(fd: int) -> asyncio.StreamWriter:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.connect_write_pipe(
        lambda: asyncio.streams.FlowControlMixin(), os.fdopen(fd, "wb", buffering=0)
    )
    return asyncio.StreamWriter(transport, protocol, None, loop)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def agent_pipes(
    max_frame: int | None = None,
) -> AsyncGenerator[
    tuple[FrameChannel, asyncio.StreamWriter, asyncio.StreamReader, list[int]], None
]:
    """A channel on fresh pipes, plus the client's ends (writer to the agent, reader from it)."""
    to_agent_r, to_agent_w = os.pipe()
    from_agent_r, from_agent_w = os.pipe()
    kwargs = {"max_frame": max_frame} if max_frame else {}
    channel = await open_stdio(to_agent_r, from_agent_w, **kwargs)
    writer = await _pipe_writer(to_agent_w)
    reader, read_transport = await _pipe_reader(from_agent_r)
    try:
        yield channel, writer, reader, [to_agent_r, from_agent_w]
    finally:
        writer.close()
        read_transport.close()
        await channel.close()
        for fd in (to_agent_r, from_agent_w):
            with contextlib.suppress(OSError):
                os.close(fd)


@contextlib.asynccontextmanager
async def harness(
    client: IdeClient | None = None,
    *,
    model: str | None = None,
    trace_paths: list[Path] | None = None,
) -> AsyncGenerator[Harness, None]:
    """Punie's agent served on pipes, and the SDK's client connected to it."""
    client = client or IdeClient()
    frames: list[dict[str, Any]] = []
    async with agent_pipes() as (channel, writer, reader, _fds):
        agents: list[Any] = []
        server = asyncio.ensure_future(
            serve_channel(channel, model=model, trace_paths=trace_paths, on_agent=agents.append)
        )
        conn = connect_to_agent(
            # No elicitation methods: the SDK answers "method not found" for them, as it should.
            cast("Client", client),
            writer,
            reader,
            observers=[lambda e: frames.append(e.message)],
        )
        try:
            yield Harness(conn, client, channel, frames, agents)
        finally:
            await conn.close()
            writer.close()
            try:
                await asyncio.wait_for(server, 10)
            except TimeoutError:
                server.cancel()
            for terminal in client.terminals.values():
                if terminal.process.poll() is None:
                    terminal.process.kill()
                    terminal.process.wait()


def run(coroutine: Any) -> Any:
    """Run one scenario in a fresh event loop (the tests are plain functions)."""
    return asyncio.run(asyncio.wait_for(coroutine, 120))


def snippet(code: str) -> dict[str, Any]:
    """A scripted model reply calling `execute_code`."""
    return {"tool_calls": [{"name": "execute_code", "arguments": {"code": code}}]}


@dataclass
class Turn:
    """What one scripted prompt produced."""

    response: Any
    client: IdeClient
    frames: list[dict[str, Any]]
    requests: list[Any]
    error: Exception | None = None

    def tool_calls(self) -> list[Any]:
        return self.client.of_kind("tool_call")

    def updates_for(self, acp_id: str) -> list[Any]:
        return [u for _, u in self.client.updates if getattr(u, "tool_call_id", None) == acp_id]

    def final_status(self, acp_id: str) -> str | None:
        statuses = [u.status for u in self.updates_for(acp_id) if u.status]
        return statuses[-1] if statuses else None


async def scripted_prompt(
    workspace: Path,
    replies: list[Any],
    text: str | list[Any] = "do it",
    *,
    client: IdeClient | None = None,
    caps: ClientCapabilities | None = None,
    mode: str | None = None,
) -> Turn:
    """One prompt against the in-process scripted model server, through the real channel."""
    from acp import text_block

    from punie_core.testing.scripted_model import ScriptedModelServer

    client = client or IdeClient()
    with ScriptedModelServer(replies) as server:
        async with harness(client, model=server.model_string) as h:
            await h.start(caps)
            sid = await h.new_session(workspace)
            if mode:
                await h.conn.set_session_mode(session_id=sid, mode_id=mode)
            prompt = [text_block(text)] if isinstance(text, str) else text
            try:
                response = await h.conn.prompt(session_id=sid, prompt=prompt)
                error = None
            except RequestError as exc:
                response, error = None, exc
            return Turn(response, client, h.frames, list(server.requests), error)


async def wait_until(predicate: Any, timeout: float = 10) -> Any:
    """Wait for a condition the agent makes true through the client (notifications arrive async)."""

    async def poll() -> Any:
        while not (value := predicate()):
            await asyncio.sleep(0.01)
        return value

    return await asyncio.wait_for(poll(), timeout)
