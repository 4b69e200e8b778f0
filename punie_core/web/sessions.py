"""Sessions started from the browser: new ones in a project folder, earlier ones resumed.

A new session gets the same checks as the IDE's `session/new` (`project_workspace`: an
absolute path to an existing directory, resolved), its files and commands run locally inside
that workspace, and its permission requests go to the browser, filtered by the session mode
exactly as in the IDE (`punie_core.agent.modes`). An earlier session comes back from the
traces, as ACP `session/load` does: the model gets its conversation again on the next prompt,
and the page shows its turns (prompts, snippets, tool results with their views, answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from punie_core.agent.approvals import PermissionBroker
from punie_core.agent.modes import DEFAULT_MODE, MODE_IDS, mode_decision
from punie_core.agent.stored import StoredSession, stored_sessions
from punie_core.plugins.context import PermissionRequest, ToolContext
from punie_core.security.workspace import project_workspace
from punie_core.views import ViewSet, noun_from_annotation

if TYPE_CHECKING:
    from collections.abc import Callable

    from punie_core.web.hub import Hub, SessionView


class Host(Protocol):
    """What the starter needs of the web UI it serves (`punie_core.web.server.WebUI`)."""

    hub: Hub
    project: str
    model: str
    toolbox: Any
    trace_paths: list[Path] | None

    def attach(
        self, session: Any, broker: PermissionBroker | None = None
    ) -> Callable[[], None]: ...


PROJECT_LIMIT = 20
HISTORY_LIMIT = 100


class StartRefused(ValueError):
    """The session cannot be started as asked (bad folder, bad mode, unknown session)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class ModePermissions:
    """A browser session's permissions: the mode decides what it can, the browser the rest.

    Attributes:
        mode: `ask`, `accept-edits` or `read-only`.
        inner: The broker that asks the browser (the web UI adds itself as an asker).
    """

    mode: str
    inner: PermissionBroker

    @property
    def hint(self) -> str:
        if self.mode == "read-only":
            return "the session is in read-only mode; start it in another mode to allow changes"
        return "rejected in the browser"

    async def approve(self, request: PermissionRequest) -> bool:
        decided = mode_decision(self.mode, request)
        if decided is not None:
            return decided
        return await self.inner.approve(request)


class SessionStarter:
    """Opens sessions for the browser in one web UI's process."""

    def __init__(self, ui: Host) -> None:
        self.ui = ui
        self._toolbox: asyncio.Future[Any] | None = None

    # --- what the dashboard offers ------------------------------------------------------------

    async def stored(self) -> dict[str, StoredSession]:
        return await asyncio.to_thread(stored_sessions, self.ui.trace_paths)

    async def recent_projects(self) -> list[dict[str, Any]]:
        """Folders sessions ran in, most recent first (this agent's own project included)."""
        found: dict[str, dict[str, Any]] = {}
        for stored in (await self.stored()).values():
            entry = found.setdefault(
                stored.cwd, {"path": stored.cwd, "last_used": "", "sessions": 0}
            )
            entry["sessions"] += 1
            entry["last_used"] = max(entry["last_used"], stored.updated_at)
        for view in self.ui.hub.views.values():
            cwd = str(getattr(view.session, "cwd", "") or "")
            if cwd:
                found.setdefault(cwd, {"path": cwd, "last_used": "", "sessions": 0})
        found.setdefault(self.ui.project, {"path": self.ui.project, "last_used": "", "sessions": 0})
        rows = [dict(e, exists=Path(e["path"]).is_dir()) for e in found.values() if e["path"]]
        current = [r for r in rows if r["path"] == self.ui.project]
        rest = sorted(
            (r for r in rows if r["path"] != self.ui.project),
            key=lambda r: r["last_used"],
            reverse=True,
        )
        return (current + rest)[:PROJECT_LIMIT]

    async def history(self) -> list[dict[str, Any]]:
        """Earlier sessions from the traces, newest first."""
        rows = [
            {
                "id": s.session_id,
                "title": s.title,
                "project": s.cwd,
                "updated_at": s.updated_at,
                "prompts": len(s.records),
                "open": s.session_id in self.ui.hub.views,
            }
            for s in (await self.stored()).values()
        ]
        rows.sort(key=lambda r: r["updated_at"], reverse=True)
        return rows[:HISTORY_LIMIT]

    # --- starting -----------------------------------------------------------------------------

    async def new(self, cwd: Any, mode: Any) -> SessionView:
        """A new session in `cwd` (checked like ACP `session/new`), shown in the web UI.

        Raises:
            StartRefused: `cwd` is not a folder this agent may open, or `mode` is unknown.
        """
        mode = _mode(mode)
        if not isinstance(cwd, str) or not cwd.strip():
            raise StartRefused("cwd must be the absolute path of a project folder")
        try:
            workspace = project_workspace(cwd.strip())
        except (OSError, ValueError) as exc:
            raise StartRefused(f"cwd: not a directory this agent can use: {exc}") from None
        return await self._open(workspace, mode, session_id=None, stored=None)

    async def resume(self, session_id: str, mode: Any) -> SessionView:
        """An earlier session from the traces, continued (or the live one, when still open).

        Raises:
            StartRefused: No such stored session (404), or its folder is gone (400).
        """
        view = self.ui.hub.view(session_id)
        if view is not None:
            return view
        mode = _mode(mode)
        stored = (await self.stored()).get(session_id)
        if stored is None:
            raise StartRefused(f"no stored session {session_id!r}", status=404)
        try:
            workspace = project_workspace(stored.cwd)
        except (OSError, ValueError) as exc:
            raise StartRefused(f"the session's folder cannot be used: {exc}") from None
        return await self._open(workspace, mode, session_id=session_id, stored=stored)

    async def _open(
        self, workspace: Any, mode: str, *, session_id: str | None, stored: StoredSession | None
    ) -> SessionView:
        toolbox = await self.toolbox()
        from punie_core.agent import session as session_module

        await session_module.preload()
        broker = PermissionBroker()
        context = ToolContext(workspace=workspace, permissions=ModePermissions(mode, broker))
        session = session_module.Session(
            cwd=workspace.root,
            model=self.ui.model or None,
            context=context,
            toolbox=toolbox,
            session_id=session_id,
        )
        if stored is not None:
            session.restore_from_traces(stored.records)
        self.ui.attach(session, broker)
        view = self.ui.hub.view(session.id)
        assert view is not None
        view.mode = mode
        if stored is not None:
            replay(view, stored, toolbox)
        return view

    def toolbox(self) -> asyncio.Future[Any]:
        """The toolbox browser sessions share (the web UI's own, or loaded once in a thread)."""
        if self._toolbox is None:
            if self.ui.toolbox is not None:
                self._toolbox = asyncio.get_running_loop().create_future()
                self._toolbox.set_result(self.ui.toolbox)
            else:
                from punie_core.plugins.loader import load_toolbox

                self._toolbox = asyncio.ensure_future(asyncio.to_thread(load_toolbox))
        return self._toolbox


def _mode(mode: Any) -> str:
    if mode is None or mode == "":
        return DEFAULT_MODE
    if mode not in MODE_IDS:
        raise StartRefused(f"mode must be one of {', '.join(MODE_IDS)}")
    return str(mode)


def result_noun(toolbox: Any, tool: str) -> type | None:
    """The noun a tool returns, from its return annotation (None for plain values)."""
    try:
        function = toolbox.tool(tool).function
        return noun_from_annotation(typing.get_type_hints(function).get("return"))
    except Exception:
        return None


def replay(view: SessionView, stored: StoredSession, toolbox: Any) -> None:
    """Show a stored conversation's turns in the view, as the events they once were."""
    views = ViewSet.of(toolbox)
    root = str(stored.cwd)
    for turn, record in enumerate(stored.records):
        view.publish("prompt_started", {"text": str(record.get("query") or ""), "restored": True})
        snippets = [s for s in record.get("snippets") or [] if isinstance(s, dict)]
        calls = [c for c in record.get("tool_calls") or [] if isinstance(c, dict)]
        for number, snippet in enumerate(snippets):
            call_id = f"restored-{turn}-{number}"
            view.publish("snippet_started", {"call_id": call_id, "code": snippet.get("code", "")})
            if number == len(snippets) - 1:  # the calls nest in the last snippet's card
                _replay_calls(view, calls, turn, views, toolbox, root)
                calls = []
            view.publish(
                "snippet_finished", {"call_id": call_id, "result": snippet.get("result") or {}}
            )
        _replay_calls(view, calls, turn, views, toolbox, root)
        if record.get("output"):
            view.publish("text_delta", {"text": str(record["output"])})
        outcome = {"stop_reason": record.get("outcome") or "end_turn", "error": record.get("error")}
        view.publish("prompt_finished", {"outcome": outcome, "restored": True})
    view.publish(
        "session_restored",
        {"turns": len(stored.records), "title": stored.title, "updated_at": stored.updated_at},
    )


def _replay_calls(
    view: SessionView,
    calls: list[dict[str, Any]],
    turn: int,
    views: ViewSet,
    toolbox: Any,
    root: str,
) -> None:
    for number, call in enumerate(calls):
        tool = str(call.get("tool") or "tool")
        data = {
            "call_id": f"restored-{turn}-call-{number}",
            "tool": tool,
            "ok": bool(call.get("ok")),
            "result": call.get("result"),
            "error": call.get("error"),
            "ms": call.get("ms") or 0.0,
            "refused": bool(call.get("refused")),
        }
        noun = result_noun(toolbox, tool)
        if noun is not None and data["ok"]:
            data["result_type"] = noun.__name__
            with contextlib.suppress(Exception):
                rendered = views.render_stored(call.get("result"), noun, root=root)
                if rendered is not None:
                    data["view"] = rendered.as_json()
        view.publish("tool_call_finished", data)
