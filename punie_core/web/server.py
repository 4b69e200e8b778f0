"""`WebUI`: the web server inside the agent's own asyncio loop (uvicorn, minus its signal handling).

    web = WebUI(project=cwd, model=model_string)       # loopback, free port, fresh token
    url = await web.start()                            # URL on stderr; registers the agent
    detach = web.attach(session)                       # show a session (and answer its approvals)
    ...
    await web.stop()                                   # unregisters, removes the URL file

The URL (`http://127.0.0.1:PORT/?token=TOKEN`) goes to stderr, never stdout (the ACP channel),
and to `$PUNIE_HOME/web/<pid>.url`; the agent registry entry carries it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from punie_core.agent.approvals import PermissionBroker
from punie_core.plugins.context import AutoApprove, Permissions, RefuseAll
from punie_core.security.workspace import atomic_write_text
from punie_core.web import registry
from punie_core.web.hub import Hub
from punie_core.web.security import Guard, is_loopback
from punie_core.web.sessions import SessionStarter

_active: WebUI | None = None
"""The web UI this process runs, if any (set by `WebUI.start`)."""


def active() -> WebUI | None:
    """The running web UI of this process, or None."""
    return _active


def shared_permissions(permissions: Permissions, name: str = "ide") -> Permissions:
    """Let the browser answer too: wrap a frontend's permissions in a broker when a web UI runs.

    Without a running web UI, or for `AutoApprove` (`--yes`: nobody is asked), `permissions` is
    returned unchanged. Otherwise the result is a `PermissionBroker`: `permissions` is its first
    asker (its refusal hint kept), except `RefuseAll`, which only decides when no one can be
    asked. `show(session)` later adds the browser; whichever answers first wins.

    Args:
        permissions: The frontend's own policy (the IDE's, the terminal's).
        name: Who that policy asks (`ide`, `terminal`): shown when it decides.
    """
    if _active is None or isinstance(permissions, AutoApprove):
        return permissions
    broker = PermissionBroker(fallback=permissions)
    if not isinstance(permissions, RefuseAll):
        broker.add(name, permissions.approve, hint=lambda: str(getattr(permissions, "hint", "")))
    return broker


async def start_web(
    address: str | None, *, project: str | os.PathLike[str], model: str | None, command: str
) -> WebUI | None:
    """Start this process's web UI (`--http HOST:PORT`, loopback on a free port by default).

    A bad address or a port in use is reported on stderr and the agent goes on without a web UI.
    """
    try:
        host, port = parse_http_address(address or "127.0.0.1:0")
        web = WebUI(host, port, project=project, model=model or "", command=command)
        await web.start()
    except (OSError, ValueError) as exc:
        print(f"punie: no web UI: {exc}", file=sys.stderr)
        return None
    return web


async def run_web(
    address: str | None, *, project: str | os.PathLike[str], model: str | None, command: str
) -> None:
    """Serve the web UI until cancelled (a service task of `punie serve`)."""
    web = await start_web(address, project=project, model=model, command=command)
    if web is not None:
        await web.serve_in_loop()


def show(session: Any) -> Callable[[], None] | None:
    """Show `session` in this process's web UI (and let it answer approvals); None without one."""
    return _active.attach(session) if _active is not None else None


def url_file(pid: int | None = None) -> Path:
    """Where a process writes its web UI address: `$PUNIE_HOME/web/<pid>.url`."""
    return registry.punie_home() / "web" / f"{os.getpid() if pid is None else pid}.url"


def parse_http_address(value: str) -> tuple[str, int]:
    """`--http` values: `HOST:PORT`, `[::1]:PORT`, `:PORT` or `PORT` (loopback), `HOST` (free port).

    Raises:
        ValueError: The port is not a number from 0 to 65535.
    """
    value = value.strip()
    host, port_text = "127.0.0.1", "0"
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            raise ValueError(f"bad address {value!r}: missing ']'")
        host = value[1:end]
        rest = value[end + 1 :]
        port_text = rest[1:] if rest.startswith(":") else (rest or "0")
    elif value.isdigit():
        port_text = value
    elif ":" in value:
        host_part, port_text = value.rsplit(":", 1)
        host = host_part or host
    elif value:
        host = value
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(
            f"bad port in {value!r}: use HOST:PORT with PORT from 0 (any free port) to 65535"
        )
    return host, int(port_text)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (port 0: a free one).

    Raises:
        OSError: The address cannot be bound (in use, not local, ...).
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(128)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class WebUI:
    """The web UI of one Punie process.

    Args:
        host: Address to bind; loopback by default. Anything else is only used when asked for
            explicitly and is announced with a warning.
        port: Port; 0 picks a free one.
        token: The secret every request must show; a fresh random one by default.
        project: The project directory (for the agent registry).
        model: The model string (for the agent registry).
        command: Which Punie command runs (`serve`, `run`).
        register: Add this process to the machine-wide agent registry.
        announce: Print the URL on stderr once started.
        toolbox: The toolbox for sessions started from the browser (and the plugins' views and
            pages); loaded once, in a thread, on first use when omitted.
        trace_paths: Where earlier sessions are read from (default `$PUNIE_HOME/traces`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        *,
        project: str | os.PathLike[str] | None = None,
        model: str = "",
        command: str = "serve",
        register: bool = True,
        announce: bool = True,
        toolbox: Any = None,
        trace_paths: list[Path] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.token = token or secrets.token_urlsafe(24)
        self.project = str(project if project is not None else Path.cwd())
        self.model = model
        self.command = command
        self.register = register
        self.announce = announce
        self.toolbox = toolbox
        self.trace_paths = trace_paths
        self.hub = Hub()
        self.starter = SessionStarter(self)
        self.guard = Guard(token=self.token, host=host)
        self.started = time.time()
        self._server: Any = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    # --- addresses --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """`http://HOST:PORT` (loopback binds use 127.0.0.1)."""
        host = self.host
        if host in ("0.0.0.0", "", "::"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def url(self) -> str:
        """The address to open: `http://127.0.0.1:PORT/?token=TOKEN`."""
        return f"{self.base_url}/?token={self.token}"

    def entry_json(self) -> dict[str, Any]:
        """This process as an agent registry entry (JSON)."""
        return {
            "pid": os.getpid(),
            "project": self.project,
            "model": self.model,
            "started": self.started,
            "url": self.url,
            "command": self.command,
        }

    # --- sessions ---------------------------------------------------------------------

    def attach(self, session: Any, broker: PermissionBroker | None = None) -> Callable[[], None]:
        """Show `session` live; let the browser answer its permission requests.

        Args:
            session: A `agent.session.Session` (anything with `id`, `subscribe`, `prompt`,
                `cancel`, `state`).
            broker: The session's permission broker; by default the session context's
                permissions when that is a `PermissionBroker`. Without one, the page only shows
                requests (it cannot answer them).

        Returns:
            A function that detaches the session.
        """
        if not self.hub.views and self.command == "serve" and getattr(session, "cwd", None):
            # `punie serve` starts wherever the IDE launched it: its first session names the project
            self.project = str(session.cwd)
            if self.register and self._task is not None:
                self._register()
        return self.hub.attach(session, broker)

    def permissions_for(self, fallback: Any = None) -> PermissionBroker:
        """A fresh broker for a new session's `ToolContext.permissions`.

        Add the other askers (the IDE) to it, create the session with it, then `attach` the
        session: the browser becomes one more asker and the first answer wins.
        """
        return PermissionBroker(fallback=fallback)

    # --- life cycle -------------------------------------------------------------------

    async def start(self) -> str:
        """Bind, start serving in the running loop, announce and register; returns the URL.

        Raises:
            OSError: The address cannot be bound.
        """
        import uvicorn

        from punie_core.web.app import build_app

        if self._task is not None:
            return self.url
        global _active
        self.hub.bind_loop()
        # Active before the first await: sessions opened meanwhile already share their approvals.
        previous, _active = _active, self
        try:
            await asyncio.to_thread(_import_server_parts)
            self._socket = bind_socket(self.host, self.port)
        except BaseException:
            _active = previous
            raise
        self.port = self._socket.getsockname()[1]
        self.guard.port = self.port
        app = build_app(self.hub, self.guard, self)
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=2,
            server_header=False,
            proxy_headers=False,
            ws="none",
        )
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(
            self._server.serve(sockets=[self._socket]), name="punie-web"
        )
        ready = asyncio.create_task(self._server.ready.wait())
        await asyncio.wait({ready, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            error = self._task.exception() if self._task.done() else None
            self._task = None
            self._socket.close()
            _active = previous
            raise OSError(f"the web UI did not start: {error}")
        self._announce()
        return self.url

    def _announce(self) -> None:
        path = url_file()
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, self.url + "\n")
            path.chmod(0o600)
        if self.register:
            self._register()
        if self.announce:
            if not is_loopback(self.host):
                print(
                    f"punie: WARNING: the web UI listens on {self.host}, "
                    "reachable from other machines "
                    "(anyone with the token can drive the agent)",
                    file=sys.stderr,
                )
            print(f"punie: web UI at {self.url}", file=sys.stderr, flush=True)

    def _register(self) -> None:
        """List this UI in the registry of running agents (or update its entry)."""
        with contextlib.suppress(OSError):  # only the listing is lost; the UI keeps running
            registry.register(
                project=self.project,
                model=self.model,
                url=self.url,
                command=self.command,
                started=self.started,
            )

    async def serve_in_loop(self) -> None:
        """Start (if needed) and serve until `stop()` is called or the task is cancelled."""
        await self.start()
        assert self._task is not None
        try:
            await asyncio.shield(self._task)
        finally:
            await self.stop()

    async def stop(self) -> None:
        """Stop serving: end the live streams, unregister, remove the URL file."""
        if self._task is None:
            return
        task, self._task = self._task, None
        global _active
        if _active is self:
            _active = None
        self.hub.close()
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        if self._socket is not None:
            self._socket.close()
        with contextlib.suppress(OSError):
            url_file().unlink(missing_ok=True)
        if self.register:
            with contextlib.suppress(OSError):
                registry.unregister()

    async def __aenter__(self) -> WebUI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


def _import_server_parts() -> None:
    """Import Starlette and uvicorn (a few hundred ms), off the event loop."""
    import uvicorn  # noqa: F401

    import punie_core.web.app  # noqa: F401


def _embedded_server_class() -> type:
    import uvicorn

    class EmbeddedServer(uvicorn.Server):
        """uvicorn in someone else's loop: the host process keeps its own signal handlers."""

        def __init__(self, config: uvicorn.Config) -> None:
            super().__init__(config)
            self.ready = asyncio.Event()

        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None]:
            yield

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            self.ready.set()

    return EmbeddedServer


def _EmbeddedServer(config: Any) -> Any:  # noqa: N802 - builds the lazily defined class
    return _embedded_server_class()(config)
