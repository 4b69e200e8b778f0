"""What the web UI knows: each session's transcript as numbered events, sent to SSE clients.

A `SessionView` subscribes to one `Session`'s events and to its permission broker. Each event
becomes a `Record` (sequence number, type, time, JSON data, and its SSE bytes encoded once);
records are kept in a bounded log so a client that connects late, or reconnects with
`Last-Event-ID`, gets everything it missed, and written at once to every live stream.
The hub also keeps the dashboard's stream of session summaries. Everything runs on the event
loop; events emitted from another thread are handed to the loop first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from punie_core.agent.approvals import ApprovalRequested, ApprovalResolved, PermissionBroker
from punie_core.plugins.context import PermissionRequest
from punie_core.security.workspace import Workspace
from punie_core.web.diffs import edit_preview
from punie_core.web.push import PushStream
from punie_core.web.serialize import event_data, event_type, to_jsonable

LOG_LIMIT = 20_000
"""Events kept per session for late or reconnecting clients."""

SESSION_LIMIT = 100
"""Sessions shown at most; beyond, the oldest idle ones are forgotten (traces stay on disk)."""

BUSY_STATES = frozenset({"thinking", "running_tool", "waiting_approval"})
STATES = ("idle", "thinking", "running_tool", "waiting_approval", "finished", "failed")


class SessionBusy(RuntimeError):
    """The session is already answering a prompt."""


class ApprovalNotFound(LookupError):
    """No pending permission request has that id."""


@dataclass(frozen=True)
class Record:
    """One event as the browser sees it.

    Attributes:
        seq: 1, 2, 3 ... per session (the SSE `id`).
        type: The event name (`tool_call_started`, `text_delta`, `approval_requested`, ...).
        ts: Unix time the web UI received it.
        data: The event's fields as JSON.
        sse: The encoded server-sent event.
    """

    seq: int
    type: str
    ts: float
    data: dict[str, Any]
    sse: bytes

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "ts": self.ts, "data": self.data}


def encode_sse(seq: int | None, name: str, payload: dict[str, Any]) -> bytes:
    """One server-sent event (JSON on a single `data:` line)."""
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    head = f"id: {seq}\n" if seq is not None else ""
    return f"{head}event: {name}\ndata: {data}\n\n".encode()


class SessionView:
    """The web UI's view of one session: transcript log, summary, pending approvals, subscribers."""

    def __init__(self, hub: Hub, session: Any, broker: PermissionBroker | None) -> None:
        self.hub = hub
        self.session = session
        self.id = str(session.id)
        self.broker = broker
        self.started = time.time()
        self.last_activity = self.started
        self.title = str(getattr(session, "title", "") or "")
        self.usage = {"input_tokens": 0, "output_tokens": 0, "requests": 0}
        self.log: deque[Record] = deque(maxlen=LOG_LIMIT)
        self.seq = 0
        self.subscribers: set[PushStream] = set()
        self.approvals: dict[str, dict[str, Any]] = {}
        self.waiting: dict[str, asyncio.Future[bool]] = {}
        self.previews: dict[str, dict | None] = {}
        self.prompt_task: asyncio.Task[Any] | None = None
        self.mode: str | None = None  # set for sessions started from the browser
        self._cleanups: list[Callable[[], None]] = []
        self._summary_key: tuple[Any, ...] | None = None
        self._summary_sent = 0.0

    # --- wiring -------------------------------------------------------------------------

    def connect(self) -> None:
        self._cleanups.append(self.session.subscribe(self.on_event))
        if self.broker is not None:
            self._cleanups.append(self.broker.subscribe(self.on_event))
            self._cleanups.append(self.broker.add("browser", self.ask, told=self._told))

    def disconnect(self) -> None:
        for cleanup in reversed(self._cleanups):
            with contextlib.suppress(Exception):
                cleanup()
        self._cleanups.clear()
        for future in self.waiting.values():
            if not future.done():
                future.cancel()
        for subscriber in list(self.subscribers):
            subscriber.close()

    # --- facts ---------------------------------------------------------------------------

    @property
    def workspace(self) -> Workspace | None:
        context = getattr(self.session, "context", None)
        workspace = getattr(context, "workspace", None)
        if isinstance(workspace, Workspace):
            return workspace
        cwd = getattr(self.session, "cwd", None)
        try:
            return Workspace.at(cwd) if cwd else None
        except OSError:
            return None

    @property
    def state(self) -> str:
        if self.approvals:
            return "waiting_approval"
        return str(getattr(self.session, "state", "idle"))

    @property
    def busy(self) -> bool:
        running = self.prompt_task is not None and not self.prompt_task.done()
        return running or self.state in BUSY_STATES

    def summary(self) -> dict[str, Any]:
        """The dashboard row of this session."""
        return {
            "id": self.id,
            "title": self.title,
            "state": self.state,
            "busy": self.busy,
            "project": str(getattr(self.session, "cwd", "") or ""),
            "model": str(getattr(self.session, "model", "") or ""),
            "input_tokens": self.usage["input_tokens"],
            "output_tokens": self.usage["output_tokens"],
            "requests": self.usage["requests"],
            "started": self.started,
            "last_activity": self.last_activity,
            "pending_approvals": len(self.approvals),
            "events": self.seq,
            "pid": os.getpid(),
            "mode": self.mode,
            "mcp_servers": _mcp_servers(self.session),
        }

    def records_after(self, after: int) -> Iterator[Record]:
        """Logged records with `seq > after` (oldest first)."""
        if not self.log or after >= self.log[-1].seq:
            return iter(())
        start = max(0, after - self.log[0].seq + 1)
        return (self.log[i] for i in range(start, len(self.log)))

    def first_seq(self) -> int:
        return self.log[0].seq if self.log else self.seq + 1

    # --- events --------------------------------------------------------------------------

    def on_event(self, event: object) -> None:
        """Session and broker callback (thread-safe: hops onto the loop when needed)."""
        loop = self.hub.loop
        if loop is not None and threading.get_ident() != self.hub.loop_thread:
            loop.call_soon_threadsafe(self._handle, event)
        else:
            self._handle(event)

    def _handle(self, event: object) -> None:
        try:
            name, data = self._describe(event)
        except Exception as exc:  # A display problem must never break the agent.
            print(f"punie web: cannot show {type(event).__name__}: {exc}", file=sys.stderr)
            return
        if name:
            self.publish(name, data)

    def _describe(self, event: object) -> tuple[str | None, dict[str, Any]]:
        if isinstance(event, ApprovalRequested):
            request = event.request
            data = self._request_json(request)
            data["askers"] = list(event.askers)
            self.approvals[request.call_id] = data
            return "approval_requested", data
        if isinstance(event, ApprovalResolved):
            self.approvals.pop(event.request.call_id, None)
            if not event.decision.allowed:
                self.previews.pop(event.request.call_id, None)
            return "approval_resolved", {
                "call_id": event.request.call_id,
                "title": event.request.title,
                "allowed": event.decision.allowed,
                "by": event.decision.by,
            }
        name = event_type(event)
        data = event_data(event)
        if name == "tool_call_started" and data.get("kind") in ("edit", "delete", "move"):
            call_id = str(data.get("call_id"))
            preview = self.previews.pop(call_id, None) or edit_preview(
                self.workspace,
                dict(getattr(event, "arguments", {}) or {}),
                tuple(getattr(event, "paths", ())),
            )
            if preview is not None:
                data["diff"] = preview
        elif name == "tool_call_finished" and data.get("ok"):
            rendered = self._render(getattr(event, "result", None))
            if rendered is not None:
                data["view"] = rendered
        elif name == "usage_update":
            for key in ("input_tokens", "output_tokens", "requests"):
                value = data.get(key)
                if isinstance(value, int):
                    self.usage[key] = value
        elif name == "prompt_started" and not self.title:
            self.title = _one_line(str(data.get("text", "")))
        elif name == "prompt_finished":
            usage = (data.get("outcome") or {}).get("usage") or {}
            for key in ("input_tokens", "output_tokens", "requests"):
                if isinstance(usage.get(key), int) and usage[key] > self.usage[key]:
                    self.usage[key] = usage[key]
        session_title = getattr(self.session, "title", "")
        if session_title:
            self.title = str(session_title)
        return name, data

    def _render(self, value: Any) -> dict[str, Any] | None:
        """A noun result as HTML from its view (or its schema); None for plain values."""
        from punie_core.views import ViewSet, noun_of

        if noun_of(value)[0] is None:
            return None
        try:
            toolbox = getattr(self.session, "toolbox", None)
            views = ViewSet.of(toolbox) if toolbox is not None else ViewSet()
            workspace = self.workspace
            rendered = views.render(value, root=workspace.root if workspace else None)
        except Exception as exc:  # shown as plain JSON instead; the agent goes on
            print(f"punie web: cannot render {type(value).__name__}: {exc}", file=sys.stderr)
            return None
        return rendered.as_json() if rendered is not None else None

    def _request_json(self, request: PermissionRequest) -> dict[str, Any]:
        data = to_jsonable(request)
        preview = edit_preview(
            self.workspace, dict(request.arguments), tuple(request.paths), request.edits
        )
        self.previews[request.call_id] = preview
        data["diff"] = preview
        return data

    def publish(self, name: str, data: dict[str, Any]) -> Record:
        """Log one event and push it to every subscriber of this session."""
        self.seq += 1
        now = time.time()
        self.last_activity = now
        payload = {"seq": self.seq, "type": name, "ts": now, "session_id": self.id, "data": data}
        record = Record(self.seq, name, now, data, encode_sse(self.seq, name, payload))
        self.log.append(record)
        for subscriber in list(self.subscribers):
            subscriber.deliver(record.sse)
        self.hub.session_changed(self)
        return record

    # --- actions -------------------------------------------------------------------------

    async def ask(self, request: PermissionRequest) -> bool:
        """The browser asker: waits for `answer(call_id, ...)` from the page or the API."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting[request.call_id] = future
        try:
            return await future
        finally:
            self.waiting.pop(request.call_id, None)

    def _told(self, request: PermissionRequest, decision: object) -> None:
        # The approval_resolved event from the broker already updates every page.
        self.waiting.pop(request.call_id, None)

    def answer(self, call_id: str, allow: bool) -> None:
        """Answer a pending permission request from the browser.

        Raises:
            ApprovalNotFound: Nothing is waiting under that id (already answered elsewhere,
                or never asked).
        """
        future = self.waiting.get(call_id)
        if future is None or future.done():
            raise ApprovalNotFound(f"no pending approval {call_id!r} in session {self.id}")
        future.set_result(bool(allow))

    def start_prompt(self, text: str) -> None:
        """Run one prompt in the background (the page follows it over SSE).

        Raises:
            SessionBusy: A prompt is already running.
        """
        if self.busy:
            raise SessionBusy(f"session {self.id} is busy ({self.state})")
        # JSON may carry lone surrogates (`"\\udcff"`) that no model request can encode; left
        # in, they would fail this prompt and every later one of the session.
        text = text.encode("utf-8", "replace").decode("utf-8")
        self.prompt_task = asyncio.ensure_future(self._prompt(text))
        self.hub.session_changed(self, force=True)

    async def _prompt(self, text: str) -> None:
        try:
            await self.session.prompt(text)
        except Exception as exc:  # Session.prompt should not raise; show it if it does.
            self.publish("error", {"message": f"{type(exc).__name__}: {exc}"})
        finally:
            self.hub.session_changed(self, force=True)

    def cancel(self) -> bool:
        """Cancel the running prompt; False when nothing was running."""
        was_busy = self.busy
        self.session.cancel()
        return was_busy


class Hub:
    """Every session the web UI shows, and the dashboard's subscribers."""

    def __init__(self) -> None:
        self.views: dict[str, SessionView] = {}
        self.dashboard: set[PushStream] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.loop_thread: int | None = None

    def bind_loop(self) -> None:
        """Remember the running loop (events from other threads are handed to it)."""
        self.loop = asyncio.get_running_loop()
        self.loop_thread = threading.get_ident()

    def attach(self, session: Any, broker: PermissionBroker | None = None) -> Callable[[], None]:
        """Show `session`; with a broker (given, or its context's), let the browser answer too.

        Returns:
            A function that detaches the session again.
        """
        if self.loop is None:
            with contextlib.suppress(RuntimeError):
                self.bind_loop()
        if broker is None:
            broker = find_broker(getattr(getattr(session, "context", None), "permissions", None))
        view = SessionView(self, session, broker)
        old = self.views.pop(view.id, None)
        if old is not None:
            old.disconnect()
        self._forget_old_sessions()
        self.views[view.id] = view
        view.connect()
        self.session_changed(view, force=True)

        def detach() -> None:
            if self.views.get(view.id) is view:
                del self.views[view.id]
                view.disconnect()
                self._broadcast("session_removed", {"id": view.id})

        return detach

    def _forget_old_sessions(self) -> None:
        """Bound memory in a long `punie serve`: drop the oldest sessions that are not busy."""
        idle = sorted((v for v in self.views.values() if not v.busy), key=lambda v: v.last_activity)
        for view in idle[: max(0, len(self.views) + 1 - SESSION_LIMIT)]:
            del self.views[view.id]
            view.disconnect()
            self._broadcast("session_removed", {"id": view.id})

    def view(self, session_id: str) -> SessionView | None:
        return self.views.get(session_id)

    def results(self, nouns: Iterable[str], limit: int = 30) -> list[dict[str, Any]]:
        """The newest tool results that are one of `nouns` (rendered), across every session."""
        from markupsafe import Markup

        wanted = set(nouns)
        found: list[dict[str, Any]] = []
        for view in self.views.values():
            for record in view.log:
                shown = record.data.get("view") if record.type == "tool_call_finished" else None
                if isinstance(shown, dict) and shown.get("noun") in wanted:
                    found.append(
                        {
                            "session_id": view.id,
                            "session_title": view.title or view.id,
                            "tool": str(record.data.get("tool") or ""),
                            "noun": shown["noun"],
                            # Sanitized when it was rendered (punie_core.views).
                            "html": Markup(str(shown.get("html") or "")),
                            "ts": record.ts,
                        }
                    )
        found.sort(key=lambda entry: entry["ts"], reverse=True)
        return found[:limit]

    def summaries(self) -> list[dict[str, Any]]:
        return sorted((v.summary() for v in self.views.values()), key=lambda s: s["started"])

    def session_changed(self, view: SessionView, *, force: bool = False) -> None:
        """Send the session's summary to dashboards when it changed (else at most every 0.5 s)."""
        if not self.dashboard:
            return
        summary = view.summary()
        key = tuple(v for k, v in summary.items() if k not in ("last_activity", "events"))
        now = time.monotonic()
        if not force and key == view._summary_key and now - view._summary_sent < 0.5:
            return
        view._summary_key = key
        view._summary_sent = now
        self._broadcast("session", summary)

    def _broadcast(self, name: str, data: dict[str, Any]) -> None:
        chunk = encode_sse(None, name, data)
        for subscriber in list(self.dashboard):
            subscriber.deliver(chunk)

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        for subscriber in list(self.dashboard):
            subscriber.close()
        for view in self.views.values():
            for subscriber in list(view.subscribers):
                subscriber.close()


def _one_line(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def find_broker(permissions: Any) -> PermissionBroker | None:
    """The `PermissionBroker` behind a session's permissions (sessions wrap them to track state)."""
    for _ in range(5):
        if permissions is None or isinstance(permissions, PermissionBroker):
            return permissions
        permissions = getattr(permissions, "inner", None)
    return None


def _mcp_servers(session: Any) -> list[dict[str, Any]]:
    """The session's MCP servers as the dashboard shows them (no env values, no headers)."""
    servers = getattr(session, "mcp", None)
    if servers is None:
        return []
    try:
        return list(servers.public())
    except Exception:  # a display problem must never break the agent
        return []
