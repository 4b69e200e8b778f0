"""Server-sent event streams that write each event the moment the agent publishes it.

The web UI shares the agent's event loop. A classic streaming response wakes a task per event,
and that task waits behind every agent step already queued in the loop: with 20 busy sessions,
hundreds of milliseconds. Here `publish` calls `PushStream.deliver`, which starts the ASGI
`send` right away and, when the transport accepts the bytes at once (the usual case), finishes
it synchronously, so the event is on the socket before the agent's step continues. When the
transport pushes back (a slow client), the send finishes from the loop like any coroutine and
later events wait in order in a bounded backlog; a client too far behind is disconnected and
catches up with `Last-Event-ID`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Send = Callable[[Message], Coroutine[Any, Any, None]]
Receive = Callable[[], Awaitable[Message]]

KEEPALIVE = b": keepalive\n\n"
KEEPALIVE_SECONDS = 15.0
BACKLOG_LIMIT = 10_000
"""Chunks a slow client may fall behind before it is disconnected (it reconnects and catches up)."""


def run_eagerly(
    coroutine: Coroutine[Any, Any, Any], done: Callable[[BaseException | None], None]
) -> None:
    """Run `coroutine` now, as far as it goes without waiting; finish it from the loop if it waits.

    This is what an asyncio task does with a coroutine, minus the first trip through the
    loop's queue of ready callbacks. Must be called in the loop's thread.

    Args:
        coroutine: The coroutine to run (an ASGI `send`).
        done: Called once with None when it returned, or with what it raised.
    """
    loop = asyncio.get_running_loop()

    def step(error: BaseException | None = None) -> None:
        try:
            yielded = coroutine.send(None) if error is None else coroutine.throw(error)
        except StopIteration:
            done(None)
            return
        except BaseException as exc:  # noqa: BLE001 - handed to `done`, which decides
            done(exc)
            return
        if yielded is None:  # A bare yield (`asyncio.sleep(0)`): go round the loop once.
            loop.call_soon(step)
        elif getattr(yielded, "_asyncio_future_blocking", None):
            # An asyncio future: resume when it completes, exactly as a Task would.
            yielded._asyncio_future_blocking = False
            yielded.add_done_callback(lambda future: step(_outcome(future)))
        else:
            step(RuntimeError(f"a coroutine yielded {yielded!r}, not an asyncio future"))

    step()


def _outcome(future: asyncio.Future[Any]) -> BaseException | None:
    if future.cancelled():
        return asyncio.CancelledError()
    return future.exception()


class PushStream:
    """One SSE response whose events are written as they are delivered (an ASGI app).

    Args:
        initial: Chunks to send first (the replay of what the client missed).
        on_open: Called once the response has started, with this stream: subscribe it there.
            Everything it delivers synchronously goes out right after `initial`.
        on_close: Called when the stream ends (unsubscribe there).
    """

    def __init__(
        self,
        initial: Iterable[bytes] = (),
        *,
        on_open: Callable[[PushStream], None] = lambda stream: None,
        on_close: Callable[[PushStream], None] = lambda stream: None,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        self.initial = list(initial)
        self.on_open = on_open
        self.on_close = on_close
        self.headers = headers or []
        self.closed = False
        self._send: Send | None = None
        self._backlog: deque[bytes] = deque()
        self._sending = False
        self._ended: asyncio.Event | None = None
        self._idle: asyncio.Event | None = None

    def deliver(self, chunk: bytes) -> None:
        """Write `chunk` now (or after the chunks still in flight, in order)."""
        if self.closed or self._send is None:
            return
        if self._sending:
            if len(self._backlog) >= BACKLOG_LIMIT:
                self.close()
                return
            self._backlog.append(chunk)
            return
        self._write(chunk)

    def _write(self, chunk: bytes) -> None:
        assert self._send is not None and self._idle is not None
        self._sending = True
        self._idle.clear()
        message = {"type": "http.response.body", "body": chunk, "more_body": True}
        run_eagerly(self._send(message), self._written)

    def _written(self, error: BaseException | None) -> None:
        self._sending = False
        if error is not None:
            self.close()
        elif self._backlog and not self.closed:
            self._write(self._backlog.popleft())
            return
        if self._idle is not None:
            self._idle.set()

    def close(self) -> None:
        """End the stream (the client reconnects by itself if it still wants events)."""
        if not self.closed:
            self.closed = True
            self._backlog.clear()
            if self._ended is not None:
                self._ended.set()

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        self._ended = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-store"),
            (b"x-accel-buffering", b"no"),
            *self.headers,
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        self._send = send
        watcher = asyncio.ensure_future(_wait_for_disconnect(receive))
        watcher.add_done_callback(lambda _: self.close())
        try:
            for chunk in self.initial:
                self.deliver(chunk)
            self.on_open(self)
            while not self.closed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._ended.wait(), KEEPALIVE_SECONDS)
                if not self.closed:
                    self.deliver(KEEPALIVE)
        finally:
            self.close()
            self.on_close(self)
            watcher.cancel()
            with contextlib.suppress(BaseException):
                await watcher
        # Let the write in flight finish before ending the response (a gone client ends it too).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), 5)
        with contextlib.suppress(Exception):
            await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
