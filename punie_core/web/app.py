"""The Starlette application: pages, static assets, the JSON API and its server-sent event streams.

No route reads or writes a file or runs a command: pages and assets are built into memory at
start, and every action goes through the session (`prompt`, `cancel`) or the permission broker
(`answer`), the same paths the IDE uses. `SecurityMiddleware` guards every route.
"""

from __future__ import annotations

import asyncio
import os
from importlib import resources
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from punie_core.agent.modes import DEFAULT_MODE, MODES
from punie_core.security.jsonlimits import loads_limited
from punie_core.views import ViewSet
from punie_core.web import registry
from punie_core.web.hub import ApprovalNotFound, Hub, SessionBusy, encode_sse
from punie_core.web.openapi import openapi_spec
from punie_core.web.pages import PLUGIN_PAGE_POLICY, dashboard_page, plugin_page, session_page
from punie_core.web.push import PushStream
from punie_core.web.security import Guard, SecurityMiddleware
from punie_core.web.sessions import SessionStarter, StartRefused


class UI(Protocol):
    """What the routes need of the web UI (`punie_core.web.server.WebUI`, which builds them)."""

    starter: SessionStarter

    def entry_json(self) -> dict[str, Any]: ...


PROMPT_LIMIT = 100_000
BODY_LIMIT = 256 * 1024

STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def load_static() -> dict[str, tuple[bytes, str]]:
    """The page assets, read once from the package (no route touches the disk)."""
    assets: dict[str, tuple[bytes, str]] = {}
    folder = resources.files("punie_core.web") / "static"
    for item in folder.iterdir():
        suffix = "." + item.name.rsplit(".", 1)[-1]
        if item.is_file() and suffix in STATIC_TYPES:
            assets[item.name] = (item.read_bytes(), STATIC_TYPES[suffix])
    return assets


def page_token(request: Request) -> str:
    """The token a page was opened with (checked by the gate), for its scripts' addresses."""
    return request.query_params.get("token", "")


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


BODY_LIMIT = 16 * 1024 * 1024
"""Largest request body read (a prompt with a pasted file fits; memory stays bounded)."""


async def json_body(request: Request) -> dict[str, Any] | JSONResponse:
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > BODY_LIMIT:
            return error(413, f"the body is larger than {BODY_LIMIT // (1024 * 1024)} MiB")
    try:
        data = loads_limited(bytes(received) or b"{}")
    except ValueError as exc:  # not JSON, not UTF-8, or nested too deep
        return error(400, f"the body is not JSON: {exc}")
    if not isinstance(data, dict):
        return error(400, "the body must be a JSON object")
    return data


def build_app(hub: Hub, guard: Guard, ui: UI | None = None) -> Starlette:
    """The web UI's ASGI application over `hub`, guarded by `guard`."""
    assets = load_static()
    html_headers = {"content-type": "text/html; charset=utf-8"}

    def view_or_404(request: Request):
        view = hub.view(request.path_params["session_id"])
        return view if view is not None else error(404, "no such session")

    async def view_and_body(request: Request) -> tuple[Any, dict[str, Any]] | Response:
        """The session an action names and the action's JSON body, or the error response."""
        view = view_or_404(request)
        if isinstance(view, Response):
            return view
        data = await json_body(request)
        if isinstance(data, Response):
            return data
        return view, data

    async def dashboard(request: Request) -> Response:
        return Response(dashboard_page(page_token(request)), headers=html_headers)

    async def session_html(request: Request) -> Response:
        view = hub.view(request.path_params["session_id"])
        if view is None:
            return Response("no such session", status_code=404, media_type="text/plain")
        return Response(session_page(view.id, page_token(request)), headers=html_headers)

    async def static(request: Request) -> Response:
        found = assets.get(request.path_params["name"])
        if found is None:
            return Response(b"", status_code=404)
        body, media_type = found
        return Response(body, media_type=media_type)

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_spec())

    async def agents(request: Request) -> Response:
        me = os.getpid()
        entries = await asyncio.to_thread(registry.list_agents)
        found = [dict(e.to_json(), current=e.pid == me) for e in entries]
        if ui is not None and not any(e["current"] for e in found):
            found.insert(0, dict(ui.entry_json(), current=True))
        return JSONResponse({"agents": found})

    async def sessions(request: Request) -> Response:
        return JSONResponse({"sessions": hub.summaries()})

    async def session_json(request: Request) -> Response:
        view = view_or_404(request)
        if isinstance(view, Response):
            return view
        return JSONResponse(
            {
                "session": view.summary(),
                "events": [r.as_json() for r in view.log],
                "first_seq": view.first_seq(),
                "approvals": list(view.approvals.values()),
            }
        )

    async def approvals(request: Request) -> Response:
        pending = [
            dict(a, session_id=v.id) for v in hub.views.values() for a in v.approvals.values()
        ]
        return JSONResponse({"approvals": pending})

    async def session_events(request: Request) -> Any:
        view = view_or_404(request)
        if isinstance(view, Response):
            return view
        after = _after(request)
        if after is None:
            return error(400, "after / Last-Event-ID must be a non-negative integer")

        def on_open(stream: PushStream) -> None:
            # Replay and subscribe in one synchronous step: no event can fall in between.
            stream.deliver(b"retry: 1000\n\n")
            if after + 1 < view.first_seq() and view.seq > after:
                # The log no longer holds what the client missed: it must reload the page state.
                stream.deliver(encode_sse(None, "reset", {"first_seq": view.first_seq()}))
            for record in view.records_after(after):
                stream.deliver(record.sse)
            view.subscribers.add(stream)

        return PushStream(on_open=on_open, on_close=view.subscribers.discard)

    async def dashboard_events(request: Request) -> Any:
        def on_open(stream: PushStream) -> None:
            stream.deliver(b"retry: 1000\n\n")
            for summary in hub.summaries():
                stream.deliver(encode_sse(None, "session", summary))
            hub.dashboard.add(stream)

        return PushStream(on_open=on_open, on_close=hub.dashboard.discard)

    async def prompts(request: Request) -> Response:
        found = await view_and_body(request)
        if isinstance(found, Response):
            return found
        view, data = found
        text = _prompt_text(data, required=True)
        if isinstance(text, Response):
            return text
        try:
            view.start_prompt(text)
        except SessionBusy as exc:
            return error(409, str(exc))
        return JSONResponse({"accepted": True, "session": view.summary()}, status_code=202)

    def starter() -> SessionStarter:
        if ui is None:
            raise StartRefused("this web UI cannot start sessions", status=409)
        return ui.starter

    async def start_session(request: Request) -> Response:
        data = await json_body(request)
        if isinstance(data, Response):
            return data
        text = _prompt_text(data, required=False)
        if isinstance(text, Response):
            return text
        try:
            view = await starter().new(data.get("cwd"), data.get("mode"))
        except StartRefused as exc:
            return error(exc.status, str(exc))
        if text:
            view.start_prompt(text)
        return JSONResponse({"accepted": bool(text), "session": view.summary()}, status_code=201)

    async def resume_session(request: Request) -> Response:
        data = await json_body(request)
        if isinstance(data, Response):
            return data
        text = _prompt_text(data, required=False)
        if isinstance(text, Response):
            return text
        try:
            view = await starter().resume(request.path_params["session_id"], data.get("mode"))
        except StartRefused as exc:
            return error(exc.status, str(exc))
        if text:
            try:
                view.start_prompt(text)
            except SessionBusy as exc:
                return error(409, str(exc))
        return JSONResponse({"accepted": bool(text), "session": view.summary()})

    async def projects(request: Request) -> Response:
        try:
            found = await starter().recent_projects()
        except StartRefused:
            found = []
        return JSONResponse({"projects": found, "modes": mode_list(), "default_mode": DEFAULT_MODE})

    async def history(request: Request) -> Response:
        try:
            found = await starter().history()
        except StartRefused:
            found = []
        return JSONResponse({"sessions": found})

    async def page_list(request: Request) -> Response:
        if ui is None:
            return JSONResponse({"pages": []})
        views = ViewSet.of(await ui.starter.toolbox())
        listed = [
            {"plugin": p.plugin, "title": p.title, "url": f"/plugins/{p.plugin}/{p.path}"}
            for p in views.pages
        ]
        return JSONResponse({"pages": listed})

    async def plugin_html(request: Request) -> Response:
        """A plugin's own page: no script may run in it, and it never sees the token."""
        plugin = request.path_params["plugin"]
        page, views = None, None
        if ui is not None:
            views = ViewSet.of(await ui.starter.toolbox())
            page = views.page(plugin, request.path_params.get("path", ""))
        if page is None or views is None:
            return Response("no such page", status_code=404, media_type="text/plain")
        headers = {**html_headers, "content-security-policy": PLUGIN_PAGE_POLICY}
        context = {
            "title": page.title,
            "results": hub.results(page.nouns),
            "sessions": hub.summaries(),
        }
        try:
            body = views.render_page(page, context)
        except Exception as exc:  # the plugin's page is broken: say so in a page of ours
            problem = f"{type(exc).__name__}: {exc}"
            html = plugin_page(page.title, None, plugin, problem=problem)
            return Response(html, status_code=500, headers=headers)
        return Response(plugin_page(page.title, body, plugin), headers=headers)

    async def cancel(request: Request) -> Response:
        found = await view_and_body(request)
        if isinstance(found, Response):
            return found
        view, _ = found  # the body is checked (JSON) but carries nothing
        return JSONResponse({"cancelled": view.cancel()}, status_code=202)

    async def answer(request: Request) -> Response:
        found = await view_and_body(request)
        if isinstance(found, Response):
            return found
        view, data = found
        allow = data.get("allow")
        if not isinstance(allow, bool):
            return error(400, "allow must be true or false")
        call_id = request.path_params["call_id"]
        try:
            view.answer(call_id, allow)
        except ApprovalNotFound as exc:
            # Still pending but not askable here (no browser asker), or already decided / unknown.
            return error(409 if call_id in view.approvals else 404, str(exc))
        return JSONResponse({"call_id": call_id, "allow": allow})

    routes = [
        Route("/", dashboard, methods=["GET"]),
        Route("/sessions/{session_id}", session_html, methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/api/openapi.json", openapi, methods=["GET"]),
        Route("/api/agents", agents, methods=["GET"]),
        Route("/plugins/{plugin}/", plugin_html, methods=["GET"]),
        Route("/plugins/{plugin}/{path:path}", plugin_html, methods=["GET"]),
        Route("/api/sessions", sessions, methods=["GET"]),
        Route("/api/sessions", start_session, methods=["POST"]),
        Route("/api/projects", projects, methods=["GET"]),
        Route("/api/history", history, methods=["GET"]),
        Route("/api/pages", page_list, methods=["GET"]),
        Route("/api/events", dashboard_events, methods=["GET"]),
        Route("/api/approvals", approvals, methods=["GET"]),
        Route("/api/sessions/{session_id}", session_json, methods=["GET"]),
        Route("/api/sessions/{session_id}/events", session_events, methods=["GET"]),
        Route("/api/sessions/{session_id}/prompts", prompts, methods=["POST"]),
        Route("/api/sessions/{session_id}/cancel", cancel, methods=["POST"]),
        Route("/api/sessions/{session_id}/resume", resume_session, methods=["POST"]),
        Route("/api/sessions/{session_id}/approvals/{call_id}", answer, methods=["POST"]),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(SecurityMiddleware, guard=guard)],
        max_body_size=BODY_LIMIT,
    )


def _prompt_text(data: dict[str, Any], *, required: bool) -> str | JSONResponse:
    """The `text` (or, starting a session, `prompt`) of a body, checked."""
    text = data.get("text", data.get("prompt"))
    if text is None and not required:
        return ""
    if not isinstance(text, str) or (required and not text.strip()):
        return error(400, "text must be a non-empty string")
    if len(text) > PROMPT_LIMIT:
        return error(413, f"text is longer than {PROMPT_LIMIT} characters")
    return text if text.strip() else ""


def mode_list() -> list[dict[str, str]]:
    return [{"id": m.id, "name": m.name, "description": m.description} for m in MODES]


def _after(request: Request) -> int | None:
    raw = request.headers.get("last-event-id") or request.query_params.get("after") or "0"
    # ASCII digits only, and not absurdly long: "²".isdigit() is True but int() refuses it,
    # and int() refuses more than 4300 digits.
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None
