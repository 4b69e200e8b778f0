"""The OpenAPI 3.1 description of the web UI's JSON API (by hand; a test checks the routes)."""

from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Bad request body",
        401: "Missing or wrong token (empty body)",
        403: "Foreign Host or Origin (empty body)",
        404: "No such session or request",
        409: "Busy session, or the request cannot be answered here",
        500: "The plugin's page failed (the page says why)",
        413: "Prompt too long",
        415: "The body must be application/json",
    }
    return {
        str(c): _json(_ref("Error"), text[c])
        if c not in (401, 403, 415)
        else {"description": text[c]}
        for c in codes
    }


def _body_with(field: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A required JSON object body whose one required field `field` has `schema`."""
    body = {"type": "object", "required": [field], "properties": {field: schema}}
    return {"required": True, "content": {"application/json": {"schema": body}}}


SESSION_ID = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "string"}}
EVENT_SCHEMA_NOTE = (
    "Server-sent events. Each event has `id` (the sequence number), `event` (its type: "
    "prompt_started, text_delta, thinking_delta, snippet_started, snippet_finished, "
    "tool_call_started, tool_call_finished, usage_update, plan_update, state_changed, "
    "prompt_finished, approval_requested, approval_resolved, session_restored, error, reset) "
    "and `data`, a JSON `Event`. A `tool_call_finished` whose result is a noun carries `view`: "
    "`{html, noun, plugin, notice?}`, the noun rendered on the server by its plugin's view or "
    "from its schema (escaped, allowlisted HTML). Reconnect with `Last-Event-ID` or "
    "`?after=SEQ` to get what you missed."
)


def openapi_spec() -> dict[str, Any]:
    """The API description served at `/api/openapi.json`."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Punie web UI API",
            "version": "1",
            "description": (
                "Every request needs the launch token: `Authorization: Bearer TOKEN` (or "
                "`X-Punie-Token`), or `?token=TOKEN` in the address of a GET. No cookie is "
                "used (a cookie would reach every other server on 127.0.0.1). POST requests "
                "need the token in a header and `Content-Type: application/json`; a browser's "
                "`Origin` must be this server. The Host header must be a loopback name or the "
                "bound address."
            ),
        },
        "security": [{"bearer": []}, {"query": []}],
        "paths": {
            "/api/agents": {
                "get": {
                    "summary": "Every Punie agent running on this machine (from the registry)",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {"agents": {"type": "array", "items": _ref("Agent")}},
                            },
                            "The agents, oldest first",
                        ),
                        **_errors(401, 403),
                    },
                }
            },
            "/api/sessions": {
                "post": {
                    "summary": "Start a session in a project folder (the same rules as ACP "
                    "session/new: an absolute path to an existing directory, not / or a home "
                    "directory), in a mode, optionally with its first prompt",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "allOf": [_ref("StartOptions")],
                                    "required": ["cwd"],
                                    "properties": {"cwd": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": _json(_ref("Started"), "Started (`accepted`: the prompt started)"),
                        **_errors(400, 401, 403, 409, 413, 415),
                    },
                },
                "get": {
                    "summary": "The sessions of this agent",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "sessions": {"type": "array", "items": _ref("Session")}
                                },
                            },
                            "Session summaries",
                        ),
                        **_errors(401, 403),
                    },
                },
            },
            "/api/sessions/{session_id}": {
                "get": {
                    "summary": "One session with its transcript so far and pending approvals",
                    "parameters": [SESSION_ID],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "session": _ref("Session"),
                                    "events": {"type": "array", "items": _ref("Event")},
                                    "first_seq": {"type": "integer"},
                                    "approvals": {"type": "array", "items": _ref("Approval")},
                                },
                            },
                            "The session",
                        ),
                        **_errors(401, 403, 404),
                    },
                }
            },
            "/api/sessions/{session_id}/events": {
                "get": {
                    "summary": "Live events of one session (SSE)",
                    "description": EVENT_SCHEMA_NOTE,
                    "parameters": [
                        SESSION_ID,
                        {
                            "name": "after",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                        {"name": "Last-Event-ID", "in": "header", "schema": {"type": "integer"}},
                    ],
                    "responses": {
                        "200": {
                            "description": EVENT_SCHEMA_NOTE,
                            "content": {"text/event-stream": {"schema": _ref("Event")}},
                        },
                        **_errors(400, 401, 403, 404),
                    },
                }
            },
            "/api/events": {
                "get": {
                    "summary": "Live session summaries for dashboards (SSE)",
                    "description": "Events `session` (data: a `Session`) and "
                    "`session_removed` (data: `{id}`). "
                    "Every current session is sent first.",
                    "responses": {
                        "200": {
                            "description": "The stream",
                            "content": {"text/event-stream": {"schema": _ref("Session")}},
                        },
                        **_errors(401, 403),
                    },
                }
            },
            "/api/approvals": {
                "get": {
                    "summary": "Pending permission requests of every session",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "approvals": {"type": "array", "items": _ref("Approval")}
                                },
                            },
                            "Pending requests",
                        ),
                        **_errors(401, 403),
                    },
                }
            },
            "/api/sessions/{session_id}/prompts": {
                "post": {
                    "summary": "Send a prompt to a session (it runs in the background)",
                    "parameters": [SESSION_ID],
                    "requestBody": _body_with("text", {"type": "string", "minLength": 1}),
                    "responses": {
                        "202": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "accepted": {"const": True},
                                    "session": _ref("Session"),
                                },
                            },
                            "Started",
                        ),
                        **_errors(400, 401, 403, 404, 409, 413, 415),
                    },
                }
            },
            "/api/sessions/{session_id}/cancel": {
                "post": {
                    "summary": "Cancel the running prompt (it ends with stop_reason `cancelled`)",
                    "parameters": [SESSION_ID],
                    "requestBody": {
                        "content": {"application/json": {"schema": {"type": "object"}}}
                    },
                    "responses": {
                        "202": _json(
                            {"type": "object", "properties": {"cancelled": {"type": "boolean"}}},
                            "`cancelled` is false when nothing was running",
                        ),
                        **_errors(400, 401, 403, 404, 415),
                    },
                }
            },
            "/api/sessions/{session_id}/approvals/{call_id}": {
                "post": {
                    "summary": "Allow or reject a pending permission request "
                    "(the first answer, here or in the IDE, wins)",
                    "parameters": [
                        SESSION_ID,
                        {
                            "name": "call_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                    ],
                    "requestBody": _body_with("allow", {"type": "boolean"}),
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "call_id": {"type": "string"},
                                    "allow": {"type": "boolean"},
                                },
                            },
                            "Answered",
                        ),
                        **_errors(400, 401, 403, 404, 409, 415),
                    },
                }
            },
            "/api/projects": {
                "get": {
                    "summary": "Project folders to start a session in (recent ones first) and "
                    "the session modes",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "projects": {"type": "array", "items": _ref("Project")},
                                    "modes": {"type": "array", "items": _ref("Mode")},
                                    "default_mode": {"type": "string"},
                                },
                            },
                            "This agent's project first, then folders of earlier sessions",
                        ),
                        **_errors(401, 403),
                    },
                }
            },
            "/api/history": {
                "get": {
                    "summary": "Earlier sessions, from the traces (newest first)",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "sessions": {"type": "array", "items": _ref("StoredSession")}
                                },
                            },
                            "Stored sessions",
                        ),
                        **_errors(401, 403),
                    },
                }
            },
            "/api/sessions/{session_id}/resume": {
                "post": {
                    "summary": "Resume an earlier session from the traces (as ACP session/load): "
                    "its turns are shown again and the model gets them with the next prompt; "
                    "a session still open here is returned as it is",
                    "parameters": [SESSION_ID],
                    "requestBody": {
                        "content": {"application/json": {"schema": _ref("StartOptions")}}
                    },
                    "responses": {
                        "200": _json(_ref("Started"), "Resumed (`accepted`: the prompt started)"),
                        **_errors(400, 401, 403, 404, 409, 413, 415),
                    },
                }
            },
            "/api/pages": {
                "get": {
                    "summary": "The plugins' own pages (served under /plugins/<plugin>/)",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {"pages": {"type": "array", "items": _ref("Page")}},
                            },
                            "Pages, by plugin",
                        ),
                        **_errors(401, 403),
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This description",
                    "responses": {"200": {"description": "OpenAPI 3.1"}},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "query": {"type": "apiKey", "in": "query", "name": "token"},
            },
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
                "StartOptions": {
                    "type": "object",
                    "properties": {
                        "cwd": {"type": "string", "description": "Absolute project folder"},
                        "mode": {"enum": ["ask", "accept-edits", "read-only"]},
                        "prompt": {"type": "string", "description": "The first prompt"},
                    },
                },
                "Started": {
                    "type": "object",
                    "properties": {"accepted": {"type": "boolean"}, "session": _ref("Session")},
                },
                "Project": {
                    "type": "object",
                    "properties": {
                        "path": {"type": "string"},
                        "last_used": {"type": "string", "description": "ISO 8601, or empty"},
                        "sessions": {"type": "integer"},
                        "exists": {"type": "boolean"},
                    },
                },
                "Mode": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "description": {"type": "string"},
                    },
                },
                "StoredSession": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "project": {"type": "string"},
                        "updated_at": {"type": "string"},
                        "prompts": {"type": "integer"},
                        "open": {"type": "boolean", "description": "Open in this agent now"},
                    },
                },
                "Page": {
                    "type": "object",
                    "properties": {
                        "plugin": {"type": "string"},
                        "title": {"type": "string"},
                        "url": {"type": "string"},
                    },
                },
                "Agent": {
                    "type": "object",
                    "properties": {
                        "pid": {"type": "integer"},
                        "project": {"type": "string"},
                        "model": {"type": "string"},
                        "started": {"type": "number", "description": "Unix time"},
                        "url": {"type": "string", "description": "Its web UI, with its token"},
                        "command": {"type": "string"},
                        "current": {
                            "type": "boolean",
                            "description": "True for the agent answering",
                        },
                    },
                },
                "Session": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "title": {"type": "string"},
                        "state": {
                            "enum": [
                                "idle",
                                "thinking",
                                "running_tool",
                                "waiting_approval",
                                "finished",
                                "failed",
                            ]
                        },
                        "busy": {"type": "boolean"},
                        "project": {"type": "string"},
                        "model": {"type": "string"},
                        "input_tokens": {"type": "integer"},
                        "output_tokens": {"type": "integer"},
                        "requests": {"type": "integer"},
                        "started": {"type": "number"},
                        "last_activity": {"type": "number"},
                        "pending_approvals": {"type": "integer"},
                        "events": {"type": "integer"},
                        "pid": {"type": "integer"},
                        "mode": {
                            "type": ["string", "null"],
                            "description": "The mode of a session started from the browser",
                        },
                    },
                },
                "Event": {
                    "type": "object",
                    "properties": {
                        "seq": {"type": "integer"},
                        "type": {"type": "string"},
                        "ts": {"type": "number", "description": "Unix time the web UI received it"},
                        "session_id": {"type": "string"},
                        "data": {"type": "object", "description": "The event's fields"},
                    },
                },
                "Approval": {
                    "type": "object",
                    "properties": {
                        "call_id": {"type": "string"},
                        "tool": {"type": "string"},
                        "kind": {"type": "string"},
                        "title": {"type": "string"},
                        "arguments": {"type": "object"},
                        "paths": {"type": "array", "items": {"type": "string"}},
                        "sensitive": {"type": "boolean"},
                        "askers": {"type": "array", "items": {"type": "string"}},
                        "diff": {"type": ["object", "null"]},
                        "session_id": {"type": "string"},
                    },
                },
            },
        },
    }
