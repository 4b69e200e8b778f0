"""The stdio side of `punie serve`: newline-delimited JSON-RPC frames, checked before the SDK.

`FrameChannel` reads frames from the client, answers malformed ones with JSON-RPC errors
(parse error, invalid request, frame too large) and keeps going, answers `initialize` at once
(before the ACP SDK has finished importing), and hands every other frame to the SDK's
connection through the SDK's message `Transport` interface (`send` / `receive` / `close`).
Nothing here imports the SDK, so the channel is up a few milliseconds after the process starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import stat
import threading
import uuid
from collections.abc import Callable
from typing import Any

from punie_core.acp.protocol import DEFAULT_MODE, config_options, initialize_result, mode_state
from punie_core.security.jsonlimits import loads_limited

log = logging.getLogger("punie.acp")

MAX_FRAME_BYTES = 50 * 1024 * 1024
"""Largest frame read (the SDK's default too); a longer line is refused, not fatal."""

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
INTERNAL_ERROR = -32603

ResponseHook = Callable[[Any, Any], None]
"""Called with a response's result and its request's params."""


def error_frame(request_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    """A JSON-RPC error response."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": request_id, "error": error}


def _valid_id(value: Any) -> bool:
    return (
        value is None
        or isinstance(value, str)
        or (isinstance(value, int) and not isinstance(value, bool))
    )


def frame_problem(message: Any) -> str | None:
    """Why `message` is not a JSON-RPC 2.0 frame the agent can handle, or None when it is."""
    if not isinstance(message, dict):
        kind = (
            "an array (batches are not supported)"
            if isinstance(message, list)
            else type(message).__name__
        )
        return f"a frame must be a JSON object, got {kind}"
    if message.get("jsonrpc") != "2.0":
        return 'a frame must have "jsonrpc": "2.0"'
    if "id" in message and not _valid_id(message["id"]):
        return "id must be a string, an integer or null"
    if "method" in message:
        if not isinstance(message["method"], str) or not message["method"]:
            return "method must be a non-empty string"
        if message.get("params") is not None and not isinstance(message["params"], dict | list):
            return "params must be an object"
        return None
    if "id" not in message:
        return "a frame needs a method (request or notification) or an id (response)"
    if "error" in message and not isinstance(message["error"], dict):
        return "a response's error must be an object"
    return None


class FrameWriter:
    """Writes whole frames to a byte stream, one at a time."""

    def __init__(self, writer: asyncio.StreamWriter | None = None, fd: int | None = None) -> None:
        self._writer = writer
        self._fd = fd
        self._lock = asyncio.Lock()

    async def write(self, data: bytes) -> None:
        async with self._lock:
            if self._writer is not None:
                self._writer.write(data)
                await self._writer.drain()
            elif self._fd is not None:
                # A regular file or a blocking descriptor: plain writes (small, local).
                view = memoryview(data)
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]


class FrameChannel:
    """JSON-RPC frames between the client and the SDK's agent connection.

    Attributes:
        initialize_params: The params of the client's last `initialize` (None before it).
        initialized: Set once an `initialize` has been answered.
        session_opened: Set once a `session/new` or `session/load` has been answered.
        agent_ready: Set when the agent takes over every request (`session/new` included).
        early_sessions: `(session id, params)` of the sessions opened before that, for the
            agent to adopt.
        on_initialize: Called with those params when `initialize` is answered.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: FrameWriter,
        *,
        max_frame: int = MAX_FRAME_BYTES,
        transports: tuple[asyncio.BaseTransport, ...] = (),
    ) -> None:
        self._reader = reader
        self._transports = transports
        self._writer = writer
        self._max_frame = max_frame
        self._inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._inflight: dict[Any, tuple[str, Any]] = {}
        self._hooks: dict[str, list[ResponseHook]] = {}
        self._failure: str | None = None
        self._writes: set[asyncio.Task[None]] = set()
        self._closed = False
        self.initialize_params: dict[str, Any] | None = None
        self.initialized = asyncio.Event()
        self.session_opened = asyncio.Event()
        self.agent_ready = False
        self.early_sessions: list[tuple[str, dict[str, Any]]] = []
        self.on_initialize: Callable[[dict[str, Any]], None] | None = None

    # -- the SDK's Transport interface ---------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> None:
        """Write one frame; run the hooks registered for the request it answers."""
        await self._write(message)
        if "method" in message or "id" not in message:
            return
        method, params = self._inflight.pop(message["id"], (None, None))
        if method is None or "result" not in message:
            return
        if method in ("session/new", "session/load"):
            self.session_opened.set()
        for hook in self._hooks.get(method, ()):
            try:
                hook(message["result"], params)
            except Exception:
                log.exception("response hook for %s failed", method)

    async def receive(self) -> dict[str, Any] | None:
        """The next valid frame for the SDK, or None at the end of input."""
        return await self._inbox.get()

    async def close(self) -> None:
        """Stop: close the pipes' transports (so their descriptors leave the event loop)."""
        if self._closed:
            return
        self._closed = True
        for transport in self._transports:
            transport.close()

    # -- the channel's own work ----------------------------------------------------------------

    def after_response(self, method: str, hook: ResponseHook) -> None:
        """Call `hook(result, params)` right after a successful response to `method` is written.

        Used to send notifications that clients want strictly after a response (JetBrains
        hangs when slash commands arrive before the `session/new` response).
        """
        self._hooks.setdefault(method, []).append(hook)

    def fail(self, reason: str) -> None:
        """The agent could not start: answer every request from now on with an internal error."""
        self._failure = reason
        while not self._inbox.empty():
            message = self._inbox.get_nowait()
            if message is not None and "method" in message and "id" in message:
                task = asyncio.get_running_loop().create_task(
                    self._write(error_frame(message["id"], INTERNAL_ERROR, reason))
                )
                self._writes.add(task)  # keep a reference until it is written
                task.add_done_callback(self._writes.discard)

    async def pump(self) -> None:
        """Read frames until the client closes its end, then tell the SDK (None)."""
        try:
            while True:
                line = await self._read_line()
                if line is None:
                    break
                if line.strip():
                    await self._handle_line(line)
        finally:
            self._inbox.put_nowait(None)

    async def _read_line(self) -> bytes | None:
        """The next line, or None at the end; an over-long line is discarded and answered."""
        try:
            return await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            return exc.partial or None
        except asyncio.LimitOverrunError as exc:
            await self._discard_line(exc.consumed)
            await self._write(
                error_frame(
                    None,
                    INVALID_REQUEST,
                    f"Invalid request: frame larger than {self._max_frame} bytes",
                )
            )
            return b""

    async def _discard_line(self, pending: int) -> None:
        while True:
            await self._reader.readexactly(pending)
            try:
                await self._reader.readuntil(b"\n")
                return
            except asyncio.IncompleteReadError:
                return
            except asyncio.LimitOverrunError as exc:
                pending = exc.consumed

    async def _handle_line(self, line: bytes) -> None:
        try:
            # Depth-limited: a few KB of `[[[[` must cost this frame an error, not the process
            # a RecursionError (json's parser recurses per level).
            message = loads_limited(line)
        except ValueError as exc:
            log.warning("unparsable frame: %s", exc)
            await self._write(error_frame(None, PARSE_ERROR, "Parse error", {"details": str(exc)}))
            return
        problem = frame_problem(message)
        if problem is not None:
            log.warning("invalid frame: %s", problem)
            is_response = isinstance(message, dict) and "method" not in message and "id" in message
            if not is_response:  # never answer a response, even a broken one
                request_id = message.get("id") if isinstance(message, dict) else None
                request_id = request_id if _valid_id(request_id) else None
                await self._write(
                    error_frame(request_id, INVALID_REQUEST, f"Invalid request: {problem}")
                )
            return
        method = message.get("method")
        if method is not None and "id" in message:
            if self._failure is not None:
                await self._write(error_frame(message["id"], INTERNAL_ERROR, self._failure))
                return
            if method == "initialize" and await self._answer_initialize(message):
                return
            if method == "session/new" and await self._answer_new_session(message):
                return
            self._inflight[message["id"]] = (method, message.get("params"))
        self._inbox.put_nowait(message)

    async def _answer_initialize(self, message: dict[str, Any]) -> bool:
        """Answer a well-formed `initialize` now; leave anything odd to the SDK's validation."""
        params = message.get("params")
        if not isinstance(params, dict):
            return False
        version = params.get("protocolVersion")
        if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= 65535:
            return False
        self.initialize_params = params
        await self._write(
            {"jsonrpc": "2.0", "id": message["id"], "result": initialize_result(params)}
        )
        self.initialized.set()
        if self.on_initialize is not None:
            self.on_initialize(params)
        return True

    async def _answer_new_session(self, message: dict[str, Any]) -> bool:
        """While the agent still loads, open a well-formed session now; the agent adopts it.

        The IDE waits for this answer before showing the thread; the SDK import alone takes
        about a second on a small machine. Anything unusual waits for the SDK's validation.
        """
        if self.agent_ready:
            return False
        params = message.get("params")
        if not isinstance(params, dict) or set(params) - {"cwd", "mcpServers", "_meta"}:
            return False
        cwd, servers = params.get("cwd"), params.get("mcpServers")
        if not (isinstance(cwd, str) and os.path.isabs(cwd) and os.path.isdir(cwd)):
            return False
        if not isinstance(servers, list):
            return False
        session_id = uuid.uuid4().hex
        self.early_sessions.append((session_id, params))
        result = {
            "sessionId": session_id,
            "modes": mode_state(DEFAULT_MODE),
            "configOptions": config_options(DEFAULT_MODE),
        }
        await self._write({"jsonrpc": "2.0", "id": message["id"], "result": result})
        self.session_opened.set()
        return True

    async def _write(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8")
        await self._writer.write(data)


class _DrainProtocol(asyncio.streams.FlowControlMixin, asyncio.Protocol):
    """Flow control for the write pipe, so `StreamWriter.drain()` waits when the client is slow."""


async def open_stdio(
    in_fd: int = 0, out_fd: int = 1, *, max_frame: int = MAX_FRAME_BYTES
) -> FrameChannel:
    """A channel on two file descriptors (pipes, sockets, or regular files for ad-hoc runs).

    Args:
        in_fd: Where frames come from (the client's writes).
        out_fd: Where frames go (only frames: logs never go there).
        max_frame: Largest frame accepted.
    """
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=max_frame)
    transports: list[asyncio.BaseTransport] = []
    in_file = os.fdopen(in_fd, "rb", buffering=0, closefd=False)
    try:
        if not _pollable(in_fd):
            # asyncio accepts character devices, but epoll refuses some (/dev/null) in a
            # callback that only logs: the channel would then wait for frames forever.
            raise ValueError("not a pipe or socket")
        read_transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), in_file
        )
        transports.append(read_transport)
    except ValueError:
        _feed_from_thread(loop, reader, in_fd)
    out_file = os.fdopen(out_fd, "wb", buffering=0, closefd=False)
    try:
        write_transport, protocol = await loop.connect_write_pipe(_DrainProtocol, out_file)
    except ValueError:
        writer = FrameWriter(fd=out_fd)
    else:
        transports.append(write_transport)
        writer = FrameWriter(asyncio.StreamWriter(write_transport, protocol, None, loop))
    return FrameChannel(reader, writer, max_frame=max_frame, transports=tuple(transports))


def _pollable(fd: int) -> bool:
    """True for a pipe or a socket, the descriptors an event loop can always watch."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _feed_from_thread(
    loop: asyncio.AbstractEventLoop, reader: asyncio.StreamReader, fd: int
) -> None:
    """Feed `reader` from a blocking descriptor (a regular file) in a daemon thread."""

    def pump() -> None:
        try:
            while chunk := os.read(fd, 65536):
                loop.call_soon_threadsafe(reader.feed_data, chunk)
        except OSError:
            log.exception("reading frames failed")
        finally:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(reader.feed_eof)

    threading.Thread(target=pump, name="punie-acp-stdin", daemon=True).start()
