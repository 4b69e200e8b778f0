"""Slow work (imports, loading plugins) in daemon threads, awaited from the event loop.

Daemon threads, not the loop's default executor: when a client leaves (the IDE closes the
connection, a browser goes away) while a warm-up still imports, the process exits at once
instead of waiting for work nobody needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def in_daemon_thread(work: Callable[[], T], name: str = "punie-worker") -> asyncio.Future[T]:
    """Run `work()` in a new daemon thread; the returned future (of the running loop) settles."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def run() -> None:
        try:
            result, error = work(), None
        except BaseException as exc:  # handed to the awaiting task, not lost in the thread
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop already closed: nobody waits
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future
