"""A permission broker: one request asked of several people at once; the first answer wins.

`PermissionBroker` implements the `Permissions` protocol (`plugins.context`). Each frontend
adds an *asker* (an async function returning True to allow). When a tool call needs permission the
broker asks every asker concurrently; the first to answer decides, the other askers are cancelled
and told the decision (so an IDE dialog or a browser card can say "allowed in the browser").
With no asker the fallback policy decides (refuse by default), and an asker that fails counts as
no answer: if every asker fails, the call is refused. If the waiting itself is cancelled (the
prompt was cancelled), every asker is cancelled and told, and the cancellation propagates.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from punie_core.plugins.context import PermissionRequest, Permissions, RefuseAll

Ask = Callable[[PermissionRequest], Awaitable[bool]]
"""Asks one person: returns True to allow the call, False to refuse it."""

Told = Callable[[PermissionRequest, "Decision"], object]
"""Told the final decision after another asker answered (or the request was cancelled)."""


@dataclass(frozen=True)
class Decision:
    """How a permission request ended.

    Attributes:
        allowed: True when the call may run.
        by: Who decided: an asker's name, `"fallback"` (no asker), `"error"` (every asker
            failed) or `"cancelled"` (the prompt was cancelled while waiting).
    """

    allowed: bool
    by: str


@dataclass(frozen=True)
class ApprovalRequested:
    """The broker started asking.

    Attributes:
        request: What needs permission.
        askers: The names of the askers asked.
    """

    request: PermissionRequest
    askers: tuple[str, ...]


@dataclass(frozen=True)
class ApprovalResolved:
    """A request was decided (or abandoned).

    Attributes:
        request: What needed permission.
        decision: The outcome and who gave it.
    """

    request: PermissionRequest
    decision: Decision


@dataclass(frozen=True)
class _Asker:
    name: str
    ask: Ask
    told: Told | None
    hint: str | Callable[[], str] | None


class PermissionBroker:
    """Permissions that fan one request out to several askers; whichever answers first wins.

    Args:
        fallback: Decides when no asker is registered (refuse everything by default).
    """

    def __init__(self, *, fallback: Permissions | None = None) -> None:
        self.fallback: Permissions = fallback if fallback is not None else RefuseAll()
        self._askers: list[_Asker] = []
        self._pending: dict[str, PermissionRequest] = {}
        self._listeners: list[Callable[[object], None]] = []
        self._last: Decision | None = None

    @property
    def askers(self) -> tuple[str, ...]:
        """The names of the registered askers, in the order added."""
        return tuple(a.name for a in self._askers)

    @property
    def hint(self) -> str:
        """Why the last call was refused, in its decider's words (shown with the tool's error)."""
        last = self._last
        if last is None:
            return getattr(self.fallback, "hint", "")
        if last.by == "fallback":
            return getattr(self.fallback, "hint", "")
        for asker in self._askers:
            if asker.name == last.by and asker.hint is not None:
                hint = asker.hint
                return hint if isinstance(hint, str) else hint()
        return f"rejected in the {last.by}" if last.by not in ("error", "cancelled") else ""

    def add(
        self,
        name: str,
        ask: Ask,
        *,
        told: Told | None = None,
        hint: str | Callable[[], str] | None = None,
    ) -> Callable[[], None]:
        """Register an asker for the requests that start from now on.

        Args:
            name: Who asks (`"ide"`, `"browser"`, ...): reported as `Decision.by`.
            ask: The async function asking the person.
            told: Called with the final decision when another asker answered first or the
                request was cancelled (this asker's own call was cancelled before).
            hint: Why this asker refuses (text, or a function giving it), for the tool's error.

        Returns:
            A function that removes the asker again.
        """
        if any(a.name == name for a in self._askers):
            raise ValueError(f"an asker named {name!r} is already registered")
        asker = _Asker(name, ask, told, hint)
        self._askers.append(asker)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._askers.remove(asker)

        return remove

    def subscribe(self, listener: Callable[[object], None]) -> Callable[[], None]:
        """Receive `ApprovalRequested` / `ApprovalResolved` events; returns an unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def pending(self) -> list[PermissionRequest]:
        """Requests being asked right now, oldest first."""
        return list(self._pending.values())

    async def approve(self, request: PermissionRequest) -> bool:
        """Ask every asker at once; the first answer decides (the `Permissions` protocol)."""
        decision = await self.decide(request)
        return decision.allowed

    async def decide(self, request: PermissionRequest) -> Decision:
        """Like `approve`, but says who decided."""
        askers = list(self._askers)
        if not askers:
            allowed = bool(await self.fallback.approve(request))
            decision = Decision(allowed, "fallback")
            self._last = decision
            self._notify(ApprovalResolved(request, decision))
            return decision
        self._pending[request.call_id] = request
        self._notify(ApprovalRequested(request, tuple(a.name for a in askers)))
        tasks: dict[asyncio.Future[bool], _Asker] = {
            asyncio.ensure_future(a.ask(request)): a for a in askers
        }
        decision: Decision | None = None
        try:
            decision = await self._first_answer(tasks)
            return decision
        except asyncio.CancelledError:
            decision = Decision(False, "cancelled")
            raise
        finally:
            await _cancel_all(tasks)
            self._pending.pop(request.call_id, None)
            final = decision or Decision(False, "cancelled")
            self._last = final
            for asker in tasks.values():
                if asker.told is not None and asker.name != final.by:
                    _safely(asker.told, request, final, asker.name)
            self._notify(ApprovalResolved(request, final))

    async def _first_answer(self, tasks: dict[asyncio.Future[bool], _Asker]) -> Decision:
        waiting = set(tasks)
        while waiting:
            done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.cancelled():
                    continue
                error = task.exception()
                if error is None:
                    return Decision(bool(task.result()), tasks[task].name)
                print(
                    f"punie: permission asker {tasks[task].name!r} failed: "
                    f"{type(error).__name__}: {error}",
                    file=sys.stderr,
                )
        return Decision(False, "error")

    def _notify(self, event: object) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as exc:  # A broken display must not break the agent.
                print(
                    f"punie: approval listener failed: {type(exc).__name__}: {exc}", file=sys.stderr
                )


async def _cancel_all(tasks: dict[asyncio.Future[bool], _Asker]) -> None:
    """Cancel the askers still waiting and let them clean up (without raising their errors)."""
    for task in tasks:
        task.cancel()
    # Shielded so a second cancellation of the caller cannot leave asker tasks running.
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.shield(asyncio.gather(*tasks, return_exceptions=True))


_background: set[asyncio.Future[object]] = set()
"""Coroutines returned by `told` callbacks, kept referenced until they finish."""


def _safely(told: Told, request: PermissionRequest, decision: Decision, name: str) -> None:
    try:
        result = told(request, decision)
        if asyncio.iscoroutine(result):
            future = asyncio.ensure_future(result)
            _background.add(future)
            future.add_done_callback(_background.discard)
    except Exception as exc:
        print(f"punie: telling asker {name!r} failed: {type(exc).__name__}: {exc}", file=sys.stderr)


__all__ = [
    "ApprovalRequested",
    "ApprovalResolved",
    "Ask",
    "Decision",
    "PermissionBroker",
    "Told",
]
