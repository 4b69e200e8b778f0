"""A small Language Server Protocol client over a child process's stdio (JSON-RPC 2.0).

Blocking and thread-safe on purpose: a reader thread owns stdout, callers wait on their own
response. Tools run in worker threads, and an `asyncio` transport would tie the server to
one event loop while `punie exec`, ACP and tests each run their own.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlparse

log = logging.getLogger("punie.code.lsp")

REQUEST_TIMEOUT = 30.0
"""Seconds one request may take before it fails (ty answers warm queries in milliseconds)."""


class ServerDied(ConnectionError):
    """The language server process exited or closed its output."""


class LspError(RuntimeError):
    """The server answered a request with a JSON-RPC error.

    Attributes:
        code: The JSON-RPC error code.
    """

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code


class _Pending:
    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


ServerRequestHandler = Callable[[str, Any], Any]


class LspConnection:
    """One language server child process and the JSON-RPC session on its stdio.

    Args:
        argv: The server command, for example `["ty", "server"]`.
        cwd: Its working directory.
        env: Its environment.
        on_request: Answers requests the server sends (`client/registerCapability`, ...).
    """

    def __init__(
        self,
        argv: Sequence[str],
        cwd: Path,
        env: dict[str, str] | None = None,
        on_request: ServerRequestHandler | None = None,
    ) -> None:
        self.process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            # Its own process group: a Ctrl-C in the terminal reaches Punie, which stops it.
            start_new_session=True,
        )
        self._on_request = on_request or (lambda method, params: None)
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, name="punie-lsp", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        """True while the process runs and its output is open."""
        return not self._closed and self.process.poll() is None

    def request(self, method: str, params: Any, timeout: float = REQUEST_TIMEOUT) -> Any:
        """Send a request and wait for its result.

        Raises:
            ServerDied: The server exited before answering.
            LspError: The server answered with an error.
            TimeoutError: No answer within `timeout` seconds (the request is cancelled).
        """
        request_id = next(self._ids)
        pending = _Pending()
        with self._lock:
            if self._closed:
                raise ServerDied("the language server is not running")
            self._pending[request_id] = pending
        try:
            self._send({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params})
            if not pending.done.wait(timeout):
                with contextlib.suppress(ServerDied):
                    self.notify("$/cancelRequest", {"id": request_id})
                raise TimeoutError(f"{method} took longer than {timeout:g} s")
        finally:
            with self._lock:
                self._pending.pop(request_id, None)
        if pending.error is not None:
            raise pending.error
        return pending.result

    def notify(self, method: str, params: Any) -> None:
        """Send a notification (no answer).

        Raises:
            ServerDied: The server's input is closed.
        """
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self, timeout: float = 2.0) -> None:
        """Ask the server to shut down; kill it when it does not exit in time."""
        if self.alive:
            with contextlib.suppress(Exception):
                self.request("shutdown", None, timeout=timeout)
                self.notify("exit", None)
        with contextlib.suppress(Exception):
            self.process.wait(timeout=timeout)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            with contextlib.suppress(Exception):
                self.process.wait(timeout=timeout)
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(Exception):
                if stream is not None:
                    stream.close()
        self._fail_all(ServerDied("the language server was stopped"))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        frame = b"Content-Length: %d\r\n\r\n%b" % (len(body), body)
        stdin = self.process.stdin
        with self._write_lock:
            if stdin is None or self._closed:
                raise ServerDied("the language server is not running")
            try:
                stdin.write(frame)
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError) as exc:
                raise ServerDied(f"the language server's input is closed: {exc}") from None

    def _read_loop(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while True:
                message = _read_message(stdout)
                if message is None:
                    break
                self._dispatch(message)
        except Exception:  # a malformed frame: the session cannot continue
            log.exception("language server output could not be read")
        finally:
            code = self.process.poll()
            self._fail_all(ServerDied(f"the language server exited (status {code})"))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "method" in message:
            method = message["method"]
            if "id" not in message:
                return  # notifications: logs, progress; ty pushes no diagnostics
            try:
                result = self._on_request(method, message.get("params"))
                reply: dict[str, Any] = {"jsonrpc": "2.0", "id": message["id"], "result": result}
            except Exception as exc:
                reply = {
                    "jsonrpc": "2.0",
                    "id": message["id"],
                    "error": {"code": -32603, "message": str(exc)},
                }
            with contextlib.suppress(ServerDied):
                self._send(reply)
            return
        with self._lock:
            pending = self._pending.get(message.get("id"))  # type: ignore[arg-type]
        if pending is None:
            return
        error = message.get("error")
        if error is not None:
            pending.error = LspError(int(error.get("code", 0)), str(error.get("message", "")))
        else:
            pending.result = message.get("result")
        pending.done.set()

    def _fail_all(self, error: BaseException) -> None:
        with self._lock:
            self._closed = True
            pending = list(self._pending.values())
            self._pending.clear()
        for item in pending:
            item.error = error
            item.done.set()


def _read_message(stream: IO[bytes]) -> dict[str, Any] | None:
    """One framed JSON-RPC message, or None at end of output."""
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        raise ValueError("a message without Content-Length")
    body = stream.read(length)
    if len(body) < length:
        return None
    return json.loads(body)


def path_uri(path: Path) -> str:
    """The `file://` URI of an absolute path."""
    return path.as_uri()


def uri_path(uri: str) -> Path | None:
    """The local path of a `file://` URI (None for other schemes, such as vendored stubs)."""
    if not uri.startswith("file://"):
        return None
    parsed = urlparse(uri)
    return Path(unquote(parsed.path))


def child_env(root: Path) -> dict[str, str]:
    """The language server's environment: Punie's, minus a virtualenv that is not the project's."""
    env = dict(os.environ)
    # Under `uv run`, VIRTUAL_ENV is Punie's environment; ty should resolve the project's imports
    # in the project's own `.venv` (which it finds by itself) rather than in Punie's.
    if (root / ".venv").is_dir():
        env.pop("VIRTUAL_ENV", None)
    return env
