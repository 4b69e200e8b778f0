"""Managed model servers: Punie starts mlx_lm.server or llama.cpp's server as a child and stops it.

`ensure_server("mlx", MODEL)` / `ensure_server("gguf", FILE)` start one server per target on a
free loopback port, wait until it answers, and reuse it for the rest of the process. Every
server is stopped at exit (normal exit, Ctrl-C, SIGTERM), and each child also watches a pipe
from Punie: if Punie dies without cleaning up (SIGKILL), the pipe closes and the child stops
its server, so no server is ever orphaned. A model that fails to start raises `ServerFailed`
with the server's own error lines.

The child is this module run as a program:

    python -m punie_core.models.servers gguf FILE --port P     llama.cpp's server, in-process
    python -m punie_core.models.servers supervise -- CMD ...   run CMD (mlx_lm.server) until
                                                               the pipe closes
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = float(os.environ.get("PUNIE_SERVER_START_TIMEOUT", "120"))
THREADS = max(1, min(os.cpu_count() or 2, 8))


class ServerFailed(RuntimeError):
    """A managed model server could not start; the message carries its own error text."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ManagedServer:
    """A model server child process.

    Attributes:
        kind: `mlx` or `gguf`.
        target: The model (repo, directory or GGUF file).
        port: Its loopback port.
        process: The child process (a Punie supervisor that owns the server).
        log_path: The server's combined output.
    """

    kind: str
    target: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    _stopped: bool = field(default=False, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def log_tail(self, lines: int = 25) -> str:
        """The last lines of the server's output."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])

    def error_text(self) -> str:
        """The server's own error lines (or its last lines when none look like errors)."""
        tail = self.log_tail(60).splitlines()
        errors = [
            line
            for line in tail
            if " E " in line
            or "error" in line.lower()
            or "Traceback" in line
            or "Exception" in line
        ]
        return "\n".join((errors or tail)[-15:])

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Poll `/health` (then `/v1/models`) until the server answers 200.

        Raises:
            ServerFailed: The child exited, or the timeout passed.
        """
        deadline = time.monotonic() + timeout
        urls = (f"http://127.0.0.1:{self.port}/health", f"{self.base_url}/models")
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerFailed(self._failure(f"exited with status {self.process.returncode}"))
            for url in urls:
                try:
                    with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
                        if response.status == 200:
                            return
                except urllib.error.HTTPError:
                    continue  # 503 while the model loads
                except (urllib.error.URLError, OSError):
                    break
            # Waiting on the child doubles as the poll interval and returns at once if it dies.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(0.05)
        self.stop()
        raise ServerFailed(self._failure(f"did not answer within {timeout:g} s"))

    def _failure(self, what: str) -> str:
        output = self.error_text() or "(none)"
        return f"the {self.kind} server for {self.target} {what}. Its output:\n{output}"

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server: close its pipe, SIGTERM, then SIGKILL the group if it lingers."""
        if self._stopped:
            return
        self._stopped = True
        with contextlib.suppress(OSError):
            if self.process.stdin:
                self.process.stdin.close()
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        _servers.pop((self.kind, self.target), None)


_servers: dict[tuple[str, str], ManagedServer] = {}
_lock = threading.Lock()


def child_command(kind: str, target: str, port: int) -> list[str]:
    """The command line of the child that serves `target`.

    Raises:
        ServerFailed: The extra needed for this kind is not installed, or the file is missing.
    """
    import importlib.util

    if kind == "gguf":
        if importlib.util.find_spec("xllamacpp") is None:
            raise ServerFailed(
                "gguf: models need llama.cpp's server: pip install 'punie[gguf]' (xllamacpp)"
            )
        if not Path(target).is_file():
            raise ServerFailed(f"gguf: model file not found: {target}")
        return [
            sys.executable,
            "-m",
            "punie_core.models.servers",
            "gguf",
            str(Path(target).resolve()),
            "--port",
            str(port),
        ]
    if kind == "mlx":
        if importlib.util.find_spec("mlx_lm") is None:
            raise ServerFailed("mlx: models need mlx-lm: pip install 'punie[mlx]'")
        # A Hugging Face repo id is `org/name`; a path is absolute, relative or `~`. mlx_lm.server
        # loads the model on the first request, so a missing folder would only show up as an
        # HTTP 404 then: say so now.
        if target.startswith(("/", "./", "../", "~")):
            folder = Path(target).expanduser()
            if not folder.is_dir():
                raise ServerFailed(f"mlx: model folder not found: {target}")
            if not (folder / "config.json").is_file():
                raise ServerFailed(f"mlx: {target} is not an mlx model folder (no config.json)")
        server = [
            sys.executable,
            "-m",
            "mlx_lm",
            "server",
            "--model",
            target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        return [sys.executable, "-m", "punie_core.models.servers", "supervise", "--", *server]
    raise ServerFailed(f"unknown managed server kind {kind!r} (use mlx or gguf)")


def child_environment(kind: str, target: str) -> dict[str, str]:
    """The child's environment: quiet, and offline for models already on disk."""
    env = dict(os.environ)
    if kind == "mlx":
        # mlx_lm.server answers /v1/models with an empty body when the HF cache dir is missing.
        cache = Path(env.get("HF_HUB_CACHE") or Path.home() / ".cache" / "huggingface" / "hub")
        with contextlib.suppress(OSError):
            cache.mkdir(parents=True, exist_ok=True)
        env.setdefault("HF_HUB_CACHE", str(cache))
        if Path(target).exists():
            env["HF_HUB_OFFLINE"] = "1"  # a local model must never reach for the hub
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def start_server(kind: str, target: str, *, timeout: float = START_TIMEOUT) -> ManagedServer:
    """Start a new server for `target` and wait until it answers.

    Raises:
        ServerFailed: It could not start; the message holds the server's own error text.
    """
    port = free_port()
    command = child_command(kind, target, port)
    log_dir = Path(tempfile.gettempdir())
    log = tempfile.NamedTemporaryFile(
        prefix=f"punie-{kind}-", suffix=".log", dir=log_dir, delete=False
    )
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=child_environment(kind, target),
        # Its own process group: Ctrl-C reaches Punie, which stops the server in order.
        start_new_session=True,
    )
    log.close()
    server = ManagedServer(kind, target, port, process, Path(log.name))
    server.wait_ready(timeout)
    return server


def ensure_server(kind: str, target: str) -> ManagedServer:
    """The running server for `target`, started on first use (one per process and target)."""
    key = (kind, target)
    with _lock:
        server = _servers.get(key)
        if server is not None and server.process.poll() is None:
            return server
        server = start_server(kind, target)
        _servers[key] = server
        _install_cleanup()
        return server


def stop_all() -> None:
    """Stop every managed server of this process."""
    for server in list(_servers.values()):
        server.stop()


_cleanup_installed = False


def _install_cleanup() -> None:
    global _cleanup_installed
    if _cleanup_installed:
        return
    _cleanup_installed = True
    atexit.register(stop_all)
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum: int, frame: object) -> None:
            stop_all()
            if callable(previous):
                previous(signum, frame)
            else:
                raise SystemExit(128 + signum)

        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, on_sigterm)
    else:
        pass  # atexit and the pipe still stop servers started from worker threads


# --- the child side -------------------------------------------------------------------------


def _exit_when_parent_goes(on_exit: callable) -> None:  # type: ignore[valid-type]
    """Block until stdin (the pipe from Punie) closes, then run `on_exit`."""

    def watch() -> None:
        with contextlib.suppress(OSError):
            while sys.stdin.buffer.read(4096):
                pass
        on_exit()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve_gguf(path: str, port: int, *, n_ctx: int = 8192, threads: int = THREADS) -> int:
    """Run llama.cpp's server (xllamacpp) for a GGUF file until the parent goes away."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = path
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = n_ctx
    params.use_jinja = True
    # More threads than cores makes llama.cpp crawl (seen: 3 s per token on 2 cores).
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    done = threading.Event()
    _exit_when_parent_goes(done.set)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    try:
        server = xllamacpp.Server(params)
    except Exception as exc:
        print(
            f"error: llama.cpp server failed to start for {path}: {exc}",
            file=sys.stderr,
            flush=True,
        )
        return 1
    done.wait()
    del server
    return 0


def supervise(command: Sequence[str]) -> int:
    """Run `command` in this process group; stop it when the parent goes away or on SIGTERM."""
    child = subprocess.Popen(list(command), stdin=subprocess.DEVNULL)
    done = threading.Event()
    _exit_when_parent_goes(done.set)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    while not done.is_set():
        if child.poll() is not None:
            return child.returncode
        done.wait(0.2)
    child.terminate()
    try:
        child.wait(10)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m punie_core.models.servers")
    sub = parser.add_subparsers(dest="what", required=True)
    gguf = sub.add_parser("gguf", help="serve a GGUF file with llama.cpp's server")
    gguf.add_argument("path")
    gguf.add_argument("--port", type=int, required=True)
    gguf.add_argument("--ctx", type=int, default=8192)
    gguf.add_argument("--threads", type=int, default=THREADS)
    supervised = sub.add_parser("supervise", help="run a command until the parent goes away")
    supervised.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.what == "gguf":
        return serve_gguf(args.path, args.port, n_ctx=args.ctx, threads=args.threads)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return supervise(command)


if __name__ == "__main__":
    sys.exit(main())
