"""One live MCP server: started, initialized and listed in the background, called by tools.

A connection owns one asyncio task that enters the transport (a child process for stdio,
an HTTP client for streamable HTTP and SSE) and the SDK's `ClientSession`, initializes,
lists the tools, then waits until it is closed or the server goes away. Every failure ends
in `state == "failed"` with the server's own words (its stderr tail for stdio), secrets
masked: it cannot start, it does not answer `initialize` in time, it crashes later, its
tool schemas cannot be read. Nothing here raises into the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from punie_core.mcp.config import ServerSpec
from punie_core.mcp.secrets import Redactor
from punie_core.mcp.status import McpServerStatus, State

log = logging.getLogger("punie.mcp")

CLOSE_TIMEOUT = 8.0
"""Seconds `aclose` waits for a server to stop (the SDK terminates, then kills, a stdio one)."""
STDERR_TAIL = 2000
"""Characters of a stdio server's stderr quoted when it fails."""


class McpCallError(RuntimeError):
    """An MCP tool call failed: the server reported an error, or it is not connected."""


class _WatchedStream:
    """A transport's read stream that tells the connection when the server went away."""

    def __init__(self, inner: Any, on_end: Callable[[], None]) -> None:
        self._inner = inner
        self._on_end = on_end

    async def receive(self) -> Any:
        try:
            return await self._inner.receive()
        except BaseException as exc:
            import anyio

            if isinstance(exc, (anyio.EndOfStream, anyio.ClosedResourceError)):
                self._on_end()
            raise

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> _WatchedStream:
        return self

    async def __anext__(self) -> Any:
        import anyio

        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def __aenter__(self) -> _WatchedStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class McpConnection:
    """A server's connection, run by its own task.

    Args:
        spec: How to reach it.
        root: The project directory (a stdio server's default working directory).
        redactor: Masks this session's secrets in everything the server says.
        on_change: Called (on the loop) whenever `state` changes.
    """

    def __init__(
        self,
        spec: ServerSpec,
        *,
        root: Path,
        redactor: Redactor,
        on_change: Callable[[McpConnection], None] = lambda c: None,
    ) -> None:
        self.spec = spec
        self.root = root
        self.redactor = redactor
        self.on_change = on_change
        self.state: State = "connecting"
        self.error: str | None = None
        self.tools: list[Any] = []  # mcp_types.Tool, as listed
        self.ms = 0.0
        self._session: Any = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = asyncio.Event()
        self._gone = asyncio.Event()
        self._settled = asyncio.Event()
        self._stderr: Any = None
        self._started = 0.0
        self._refresh: asyncio.Future[None] | None = None
        self.gate: Callable[[], Any] | None = None
        """An awaitable factory run before connecting; False from it means `untrusted`."""

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start connecting in the background (needs a running loop)."""
        if self._task is None:
            self._loop = asyncio.get_running_loop()
            self._started = time.perf_counter()
            self._task = self._loop.create_task(self._run(), name=f"punie-mcp-{self.spec.name}")

    async def settled(self) -> None:
        """Return once the server is ready, failed or untrusted."""
        await self._settled.wait()

    def status(self) -> McpServerStatus:
        """The person-facing status of this server."""
        return McpServerStatus(
            name=self.spec.name,
            transport=self.spec.transport,
            source=self.spec.source,
            state=self.state,
            tools=len(self.tools) if self.state == "ready" else 0,
            error=self.error,
            ms=round(self.ms, 1),
        )

    async def aclose(self) -> None:
        """Disconnect (stops a stdio server's process); idempotent."""
        self._stop.set()
        task = self._task
        if task is not None and not task.done():
            if self._loop is asyncio.get_running_loop():
                if self.state == "connecting":
                    # Still starting (or asking for trust): stop now. Never cancel a task that
                    # is shutting its transport down: a second cancel defeats the SDK's
                    # shielded shutdown and leaves the server process running.
                    task.cancel()
                # The transport's own shutdown is bounded (stdin closed, then terminate, kill).
                with contextlib.suppress(BaseException):
                    await asyncio.wait_for(asyncio.shield(task), CLOSE_TIMEOUT)
                if not task.done():
                    task.cancel()
            else:
                self._loop.call_soon_threadsafe(self._stop.set)  # type: ignore[union-attr]
        if self.state in ("connecting", "ready"):
            self._set("closed")

    def reject(self, error: str) -> None:
        """Mark the server failed for a reason found outside the connection, and disconnect."""
        self._fail(error)
        self._stop.set()

    # -- calls -------------------------------------------------------------------------------

    async def call(self, tool: str, arguments: dict[str, Any], timeout: float) -> Any:
        """Call one tool; returns the SDK's `CallToolResult`.

        Raises:
            McpCallError: The server is not connected, went away, or the call failed.
        """
        loop = self._loop
        if loop is not None and loop is not asyncio.get_running_loop():
            # A frontend on another loop (the web UI's): the session lives on the owner's.
            future = asyncio.run_coroutine_threadsafe(self.call(tool, arguments, timeout), loop)
            return await asyncio.wrap_future(future)
        session = self._session
        if self.state != "ready" or session is None:
            raise McpCallError(f"MCP server {self.spec.name!r} is {self.state}: {self.error or ''}")
        try:
            return await session.call_tool(tool, arguments, read_timeout_seconds=timeout)
        except Exception as exc:
            if self._gone.is_set() or "Connection closed" in str(exc):
                self._fail(f"the server went away during a call: {self._stderr_tail() or exc}")
            raise McpCallError(self.redactor.text(f"{type(exc).__name__}: {exc}")) from None

    # -- the task ----------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            # The SDK's first import is CPU work: off the loop, which answers the client.
            await asyncio.to_thread(importlib.import_module, "mcp")
            if self.gate is not None and not await self.gate():
                self._set("untrusted", "the project's .mcp.json is not trusted")
                return
            await self._connect_and_wait()
        except asyncio.CancelledError:
            if self.state in ("connecting", "ready"):
                self._set("closed")
            raise
        except BaseException as exc:  # every failure is this server's, never the session's
            if self.state in ("connecting", "ready"):
                self._fail(_describe(exc, self._stderr_tail()))
        finally:
            self._session = None
            self._settled.set()
            if self._stderr is not None:
                with contextlib.suppress(Exception):
                    self._stderr.close()

    async def _connect_and_wait(self) -> None:
        from mcp import ClientSession, Implementation

        async with contextlib.AsyncExitStack() as stack:
            timeout = self.spec.connect_timeout
            try:
                async with asyncio.timeout(timeout):
                    read, write = await self._open(stack)
                    session = await stack.enter_async_context(
                        ClientSession(
                            _WatchedStream(read, self._gone.set),
                            write,
                            client_info=Implementation(name="punie", version=_version()),
                            message_handler=self._on_message,
                        )
                    )
                    await session.initialize()
                    self.tools = await _list_all_tools(session)
            except TimeoutError:
                tail = self._stderr_tail()
                self._fail(
                    f"no answer to initialize within {timeout:g} s"
                    + (f"; stderr: {tail}" if tail else "")
                )
                return
            self._session = session
            self._set("ready")
            if self.state != "ready":  # rejected by a listener (malformed schemas)
                return
            stop = asyncio.ensure_future(self._stop.wait())
            gone = asyncio.ensure_future(self._gone.wait())
            try:
                await asyncio.wait({stop, gone}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stop.cancel()
                gone.cancel()
            self._session = None
            if self._gone.is_set() and not self._stop.is_set():
                await asyncio.sleep(0.05)  # let the process's last words reach stderr
                tail = self._stderr_tail()
                self._fail("the server went away" + (f"; stderr: {tail}" if tail else ""))

    async def _open(self, stack: contextlib.AsyncExitStack) -> tuple[Any, Any]:
        spec = self.spec
        if spec.transport == "stdio":
            from mcp import StdioServerParameters, stdio_client

            self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
            params = StdioServerParameters(
                command=spec.command,
                args=list(spec.args),
                env=dict(spec.env) or None,
                cwd=spec.cwd or str(self.root),
            )
            streams = await stack.enter_async_context(stdio_client(params, errlog=self._stderr))
        elif spec.transport == "http":
            import httpx2
            from mcp.client.streamable_http import streamable_http_client

            client = await stack.enter_async_context(
                httpx2.AsyncClient(
                    headers=dict(spec.headers), timeout=httpx2.Timeout(30.0, read=300.0)
                )
            )
            streams = await stack.enter_async_context(
                streamable_http_client(spec.url, http_client=client)
            )
        else:
            from mcp.client.sse import sse_client

            streams = await stack.enter_async_context(
                sse_client(spec.url, headers=dict(spec.headers) or None)
            )
        return streams[0], streams[1]

    async def _on_message(self, message: Any) -> None:
        """A server notification: `tools/list_changed` lists the tools again. The session's
        toolbox follows at its next prompt (never mid-turn: the prompt stays the same bytes)."""
        from mcp import types

        if isinstance(message, types.ToolListChangedNotification) and self._session is not None:
            self._refresh = asyncio.ensure_future(self._relist(self._session))

    async def _relist(self, session: Any) -> None:
        try:
            tools = await _list_all_tools(session)
        except Exception as exc:  # the next call reports a dead server; a listing error is logged
            log.warning("MCP server %s: listing its changed tools failed: %s", self.spec.name, exc)
            return
        if self.state == "ready":
            self.tools = tools
            try:
                self.on_change(self)
            except Exception:
                log.exception("MCP status listener failed")

    # -- state -------------------------------------------------------------------------------

    def _fail(self, error: str) -> None:
        self._set("failed", self.redactor.text(" ".join(error.split()))[: STDERR_TAIL + 200])

    def _set(self, state: State, error: str | None = None) -> None:
        if state == self.state and error == self.error:
            return
        self.state = state
        self.error = error
        if state != "connecting" and not self.ms:
            self.ms = (time.perf_counter() - self._started) * 1000
        if state != "connecting":
            self._settled.set()
        if state != "ready":
            self._session = None
        log.info("MCP server %s: %s%s", self.spec.name, state, f" ({error})" if error else "")
        try:
            self.on_change(self)
        except Exception:  # a frontend's display problem must not break the connection
            log.exception("MCP status listener failed")

    def _stderr_tail(self) -> str:
        handle = self._stderr
        if handle is None:
            return ""
        try:
            handle.flush()
            handle.seek(0)
            text = handle.read()
        except (OSError, ValueError):
            return ""
        return self.redactor.text(" ".join(text.split())[-STDERR_TAIL:])


async def _list_all_tools(session: Any) -> list[Any]:
    """Every tool, following `nextCursor` pages."""
    from mcp import types

    tools: list[Any] = []
    cursor = None
    for _ in range(100):
        params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
        result = await session.list_tools(params=params)
        tools.extend(result.tools)
        cursor = result.next_cursor
        if not cursor:
            break
    return tools


def _describe(exc: BaseException, stderr: str) -> str:
    """The most useful words about a failed connection: the root cause, then stderr."""
    leaves = list(_leaf_exceptions(exc))
    text = "; ".join(dict.fromkeys(f"{type(e).__name__}: {e}".strip() for e in leaves))
    if stderr:
        text += f"; stderr: {stderr}"
    return text


def _leaf_exceptions(exc: BaseException) -> Any:
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            yield from _leaf_exceptions(inner)
    else:
        yield exc


def _version() -> str:
    from punie_core import __version__

    return __version__
