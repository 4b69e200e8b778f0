"""The web UI's gate: the launch token, a local Host and, to change anything, a local Origin.

An ASGI middleware in front of every route, in this order:

1. Host: a loopback name or the bound address with the bound port; anything else is a
   DNS-rebinding attempt (403, no content).
2. Token: `Authorization: Bearer TOKEN` or `X-Punie-Token: TOKEN`, or `?token=TOKEN` in the
   address of a GET (pages, the event streams). Never a cookie: a cookie cannot be scoped to
   a port, so the browser would hand it to every other server on 127.0.0.1 it visits, and
   that server could replay it here. A URL and a request header reach this origin only; the
   pages keep the token in their own address and send it as `X-Punie-Token` from script.
   Only the stylesheet needs no token (plugin pages link to it and never carry the token).
   Missing or wrong: 401 with no content.
3. State changes: only POST changes anything; a POST must carry JSON and the token in a
   header (which a cross-site page cannot set without a CORS preflight this server never
   grants), and an Origin, when sent, must be this server.

Every answer carries a strict Content-Security-Policy (scripts only from this server, no
inline script), so text from the model or files can never run even if it reached the markup.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        b"img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]

SAFE_METHODS = frozenset({"GET", "HEAD"})


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback IP addresses."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_host(value: str) -> tuple[str, int | None]:
    """`"127.0.0.1:8000"` -> `("127.0.0.1", 8000)`, `"[::1]:80"` -> `("::1", 80)`; bad port: -1."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return value, -1
        host, rest = value[1:end], value[end + 1 :]
        if not rest:
            return host, None
        if not rest.startswith(":"):
            return host, -1
        port_text = rest[1:]
    elif value.count(":") == 1:
        host, port_text = value.split(":")
    else:
        return value, None
    valid = port_text.isascii() and port_text.isdigit() and len(port_text) <= 5
    return host, int(port_text) if valid else -1


@dataclass
class Guard:
    """What a request must show: the token, and a Host/Origin naming this server.

    Attributes:
        token: The per-launch secret.
        host: The address the server is bound to.
        port: The port it listens on (set once bound).
        extra_hosts: More names accepted in Host/Origin (the machine's names for a wildcard bind).
    """

    token: str
    host: str = "127.0.0.1"
    port: int = 0
    extra_hosts: set[str] = field(default_factory=set)

    def allowed_hosts(self) -> set[str]:
        hosts = set(LOOPBACK_NAMES) | {self.host.strip("[]").lower()} | self.extra_hosts
        if self.host in ("0.0.0.0", "::", ""):
            hosts |= {socket.gethostname().lower(), socket.getfqdn().lower()}
        return hosts

    def host_ok(self, value: str | None) -> bool:
        """The Host header names this server (a loopback name or the bound address, our port)."""
        if not value:
            return False
        host, port = split_host(value)
        if port == -1 or (port is not None and port != self.port):
            return False
        return host in self.allowed_hosts()

    def origin_ok(self, value: str) -> bool:
        """The Origin is this server (`http://<allowed host>:<port>`)."""
        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError:
            return False
        if parts.scheme != "http" or parts.hostname is None or port != self.port:
            return False
        return parts.hostname.lower() in self.allowed_hosts()

    def token_ok(self, value: str | None) -> bool:
        return bool(value) and hmac.compare_digest(value.encode(), self.token.encode())


class SecurityMiddleware:
    """Enforce the `Guard` on every HTTP request, before any route runs."""

    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        guard = self.guard
        if not guard.host_ok(headers.get("host")):
            await _empty(send, 403)
            return
        method = scope["method"]
        public = method in SAFE_METHODS and _is_public(scope.get("path", ""))
        via_header = guard.token_ok(_header_token(headers))
        via_query = method in SAFE_METHODS and guard.token_ok(_query_token(scope))
        if not (public or via_header or via_query):
            await _empty(send, 401, [(b"www-authenticate", b'Bearer realm="punie"')])
            return
        if method not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and not guard.origin_ok(origin):
                await _empty(send, 403)
                return
            if not via_header:
                await _empty(send, 403)
                return
            if method != "POST":
                await _empty(send, 405, [(b"allow", b"GET, HEAD, POST")])
                return
            content_type = headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                await _empty(send, 415)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _headers(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name == "cookie" and name in found:
            found[name] += "; " + value
        elif name not in found:  # A repeated Host/Origin: the first one counts.
            found[name] = value
    return found


def _header_token(headers: dict[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    if authorization[:7].lower() == "bearer ":
        return authorization[7:].strip()
    return headers.get("x-punie-token")


def _query_token(scope: Scope) -> str | None:
    try:
        query = scope.get("query_string", b"").decode("latin-1")
        return dict(parse_qsl(query, max_num_fields=100)).get("token")
    except ValueError:  # too many fields
        return None


PUBLIC_PATHS = frozenset({"/static/app.css"})
"""Served without the token: the stylesheet (no data), which plugin pages, which never carry
the token, link to. Scripts are loaded with the token in their address."""


def _is_public(path: str) -> bool:
    return path in PUBLIC_PATHS


async def _empty(send: Send, status: int, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-length", b"0")] + SECURITY_HEADERS + (extra or [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
