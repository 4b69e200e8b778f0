"""The web UI: a Starlette app served by uvicorn in the agent's own asyncio loop (see docs/web.md).

Importing this package is cheap: Starlette and uvicorn are imported when the server starts.
"""

from __future__ import annotations

from punie_core.web.server import (
    WebUI,
    active,
    bind_socket,
    parse_http_address,
    run_web,
    shared_permissions,
    show,
    start_web,
    url_file,
)

__all__ = [
    "WebUI",
    "active",
    "bind_socket",
    "parse_http_address",
    "run_web",
    "shared_permissions",
    "show",
    "start_web",
    "url_file",
]
