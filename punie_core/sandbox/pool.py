"""The process-wide Monty worker pool, and returning used sessions to it."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_monty import AsyncMonty, AsyncMontySession

REQUEST_TIMEOUT = 600.0
"""Last-resort kill for a worker stuck in one turn (the feed time limit normally fires first)."""

FEED_GRACE = 1.0
"""Seconds past `wall_seconds` before the pool kills a worker that did not stop by itself."""

MAX_WORKERS = max(8, 2 * (os.cpu_count() or 1))
"""Worker processes the pool may run at once (spares included)."""

MAX_SPARES = MAX_WORKERS // 2
"""Sandboxes that may keep a warm spare session at once; the others warm up in their run."""


_pool: AsyncMonty | None = None
_pool_used = False
_pool_guard = threading.Lock()
_start_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def sandbox_pool() -> AsyncMonty:
    """The process's Monty worker pool, started on first use.

    Raises:
        MontyError: The worker binary could not start.
    """
    global _pool, _pool_used
    if _pool is not None:
        return _pool
    loop = asyncio.get_running_loop()
    with _pool_guard:
        lock = _start_locks.setdefault(loop, asyncio.Lock())
    async with lock:
        if _pool is None:
            from pydantic_monty import AsyncMonty  # here: `punie plugins` imports the sandbox

            pool = AsyncMonty(
                min_processes=1,
                max_processes=MAX_WORKERS,
                checkout_timeout=30.0,
                request_timeout=REQUEST_TIMEOUT,
                max_checkouts_per_worker=200,
                feed_duration_limit_grace=FEED_GRACE,
                turn_duration_limit_grace=FEED_GRACE,
            )
            await pool.__aenter__()
            _pool = pool
            if not _pool_used:
                _pool_used = True
                atexit.register(_close_at_exit)
    return _pool


async def close_pool() -> None:
    """Close the process's worker pool (idempotent); a later snippet starts a new one.

    `AsyncMonty`'s Tokio threads may still wake the closed loop a moment after the pool
    closes; if the interpreter is finalizing by then, CPython aborts the process (exit 134).
    Yielding to the loop briefly here, and pausing again at exit (`_close_at_exit`), lets those
    wake-ups land while Python is still whole.
    """
    global _pool
    pending = [task for task in _background if task.get_loop() is asyncio.get_running_loop()]
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    pool, _pool = _pool, None
    if pool is None:
        return
    with contextlib.suppress(Exception):
        await pool.__aexit__(None, None, None)
    await asyncio.sleep(0.02)


def _close_at_exit() -> None:
    """atexit: close a pool nobody closed, then let Monty's threads settle before finalization."""
    if _pool is not None:
        with contextlib.suppress(Exception):
            asyncio.run(close_pool())
    # Why a pause: see close_pool. atexit runs before CPython refuses threads the GIL.
    time.sleep(0.05)


_background: set[asyncio.Task[Any]] = set()


async def _close_session(session: AsyncMontySession) -> None:
    with contextlib.suppress(Exception):
        await session.__aexit__(None, None, None)


def _close_later(session: AsyncMontySession) -> None:
    """Return a used session to the pool without making the caller wait (~3 ms)."""
    task = asyncio.get_running_loop().create_task(_close_session(session))
    _background.add(task)
    task.add_done_callback(_background.discard)


def _close_when_done(task: asyncio.Task[AsyncMontySession]) -> None:
    if not task.cancelled() and task.exception() is None:
        _close_later(task.result())
