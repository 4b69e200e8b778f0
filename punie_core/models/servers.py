"""Managed model servers: Punie starts mlx_lm.server or llama.cpp's server and keeps it warm.

`ensure_server("gguf", FILE)` / `ensure_server("mlx", MODEL)` return a running server for that
model and settings: the one already running (started by this process, an earlier `punie run`, or
a `punie serve`), or a new one on a free loopback port. A server outlives the process that
started it for a keep-alive period (default 5 minutes, as Ollama does; `keep_alive` in the
config or `PUNIE_KEEP_ALIVE`, in seconds or like `5m`; 0 stops it when its last user exits), so
its prompt cache serves the next prompt. Then it stops itself.

How the pieces agree, all under `$PUNIE_HOME/servers/`, one set of files per model + settings:

- `KEY.json`: the running server (pid, port, model, settings, keep-alive, log);
- `KEY.lock`: held while a process starts, adopts or stops the server, so two Punie processes
  starting the same model at once end up sharing one server;
- `KEY.users`: every process using the server holds a shared lock on it (the kernel drops it
  when the process dies, however it dies) and touches it when it lets go;
- `KEY.log`: the server's own output.

The server process (this module run as a program) checks about once a second: when nobody holds
`KEY.users` and the last use is older than the keep-alive, it removes `KEY.json` and stops. A
`KEY.json` whose process is gone or is not a Punie server is a crashed server's leftover: it is
removed and a new server started. `punie servers` lists them and stops them.

    python -m punie_core.models.servers gguf FILE --port P --key KEY ...   llama.cpp (xllamacpp)
    python -m punie_core.models.servers supervise --key KEY ... -- CMD...  run CMD (mlx_lm.server)
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

START_TIMEOUT = float(os.environ.get("PUNIE_SERVER_START_TIMEOUT", "120"))
THREADS = max(1, min(os.cpu_count() or 2, 8))
CONTEXT = 8192
DEFAULT_KEEP_ALIVE = 300.0
MAX_REPLY_TOKENS = 2048
"""The longest reply a managed llama.cpp server writes unless a request asks for more."""
CHILD_MARKER = "punie_core.models.servers"
"""In every server process's command line: how a pid is recognised as a Punie server."""


class ServerFailed(RuntimeError):
    """A managed model server could not start; the message carries its own error text."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def keep_alive_setting() -> float:
    """The keep-alive in seconds: `PUNIE_KEEP_ALIVE`, else the config's `keep_alive`, else 300.

    Raises:
        ValueError: The value is not a duration (the message names where it came from).
    """
    from punie_core.models.config import load_config, parse_duration

    value = os.environ.get("PUNIE_KEEP_ALIVE", "").strip()
    if value:
        return parse_duration(value, "PUNIE_KEEP_ALIVE")
    configured = load_config().keep_alive
    return DEFAULT_KEEP_ALIVE if configured is None else configured


def state_dir() -> Path:
    from punie_core.models.config import punie_home

    return punie_home() / "servers"


@dataclass(frozen=True)
class ServerSpec:
    """What identifies a server: same spec, same server.

    Attributes:
        kind: `gguf` or `mlx`.
        target: The model: an absolute GGUF path, an mlx folder or Hugging Face repo.
        context: Context size (tokens).
        threads: CPU threads.
    """

    kind: str
    target: str
    context: int = CONTEXT
    threads: int = THREADS

    @property
    def key(self) -> str:
        text = json.dumps([self.kind, self.target, self.context, self.threads])
        name = re.sub(r"[^A-Za-z0-9.-]+", "-", Path(self.target).name)[:40].strip("-")
        return f"{self.kind}-{name}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


@dataclass
class ManagedServer:
    """A model server Punie started (this process or another).

    Attributes:
        kind: `mlx` or `gguf`.
        target: The model (repo, directory or GGUF file).
        port: Its loopback port.
        pid: The server process.
        log_path: The server's combined output.
        key: Its name under `$PUNIE_HOME/servers/`.
        keep_alive: Seconds it stays up after its last user lets go.
        process: The child process, when this process started it (None when adopted).
    """

    kind: str
    target: str
    port: int
    pid: int
    log_path: Path
    key: str = ""
    keep_alive: float = DEFAULT_KEEP_ALIVE
    process: subprocess.Popen[bytes] | None = None
    _users: IO[bytes] | None = field(default=None, repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def alive(self) -> bool:
        """True while the server process runs."""
        if self.process is not None:
            return self.process.poll() is None
        return is_server_process(self.pid)

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
            ServerFailed: The server exited, or the timeout passed (it is stopped then).
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                code = self.process.returncode if self.process is not None else "unknown"
                raise ServerFailed(self._failure(f"exited with status {code}"))
            if healthy(self.port):
                return
            if self.process is not None:
                # Waiting on the child doubles as the poll interval and returns if it dies.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(0.05)
            else:
                time.sleep(0.05)
        self.stop()
        raise ServerFailed(self._failure(f"did not answer within {timeout:g} s"))

    def _failure(self, what: str) -> str:
        output = self.error_text() or "(none)"
        return f"the {self.kind} server for {self.target} {what}. Its output:\n{output}"

    def hold(self) -> None:
        """Mark this process as a user of the server (a shared lock the server watches)."""
        if self._users is not None or not self.key:
            return
        handle = open(_path(self.key, "users"), "ab")  # noqa: SIM115 - held for the process life
        fcntl.flock(handle, fcntl.LOCK_SH)
        self._users = handle

    def touch(self) -> None:
        """Record a use now (the keep-alive counts from the last use)."""
        if self.key:
            with contextlib.suppress(OSError):
                os.utime(_path(self.key, "users"))

    def release(self) -> None:
        """Let go of the server: it stays warm for its keep-alive, or stops now when that is 0."""
        handle, self._users = self._users, None
        _servers.pop(self.key, None)
        if handle is None:
            return
        self.touch()
        handle.close()
        if self.keep_alive <= 0:
            stop_if_unused(self.key, self)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server now, whoever else uses it."""
        if self._stopped:
            return
        self._stopped = True
        handle, self._users = self._users, None
        if handle is not None:
            handle.close()
        _servers.pop(self.key, None)
        _terminate(self.pid, self.process, timeout)
        if self.key:
            _remove_state(self.key, self.pid)


_servers: dict[str, ManagedServer] = {}
_lock = threading.Lock()


def _path(key: str, suffix: str) -> Path:
    return state_dir() / f"{key}.{suffix}"


@contextlib.contextmanager
def _key_lock(key: str, *, blocking: bool = True) -> Iterator[bool]:
    """Hold `KEY.lock`; yields False (without the lock) when not blocking and it is busy."""
    state_dir().mkdir(parents=True, exist_ok=True)
    with open(_path(key, "lock"), "ab") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def in_use(key: str) -> bool:
    """True while some process holds the server's users lock."""
    try:
        handle = open(_path(key, "users"), "ab")  # noqa: SIM115
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def last_used(key: str) -> float:
    """When the server was last let go of (the users file's mtime), 0 when unknown."""
    try:
        return _path(key, "users").stat().st_mtime
    except OSError:
        return 0.0


def healthy(port: int) -> bool:
    """True when the server on `port` answers `/health` (or `/v1/models`) with 200."""
    for url in (f"http://127.0.0.1:{port}/health", f"http://127.0.0.1:{port}/v1/models"):
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return True
        except urllib.error.HTTPError:
            continue  # 503 while the model loads, 404 for mlx's /health
        except (urllib.error.URLError, OSError):
            return False
    return False


def is_server_process(pid: int) -> bool:
    """True when `pid` is a live Punie server process (not a zombie, not a reused pid)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except (OSError, IndexError):
        if sys.platform.startswith("linux"):
            return False
        try:  # no /proc: trust the pid
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    return stat != "Z" and CHILD_MARKER.encode() in cmdline


def read_state(key: str) -> dict[str, Any] | None:
    try:
        data = json.loads(_path(key, "json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("pid"), int) else None


def _write_state(key: str, data: dict[str, Any]) -> None:
    path = _path(key, "json")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(temporary, path)


def _remove_state(key: str, pid: int) -> None:
    state = read_state(key)
    if state is not None and state.get("pid") == pid:
        with contextlib.suppress(FileNotFoundError):
            _path(key, "json").unlink()


def _terminate(pid: int, process: subprocess.Popen[bytes] | None, timeout: float) -> None:
    if process is not None and process.poll() is not None:
        return
    if process is None and not is_server_process(pid):
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(0.05)
            if process.poll() is not None:
                return
        elif not is_server_process(pid):
            return
        else:
            time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5)


def stop_if_unused(key: str, server: ManagedServer | None = None) -> bool:
    """Stop the server of `key` now if no process uses it; True when it was stopped."""
    with _key_lock(key, blocking=True):
        if in_use(key):
            return False
        state = read_state(key)
        if state is None:
            return False
        process = server.process if server is not None and server.pid == state["pid"] else None
        _terminate(state["pid"], process, 10.0)
        _remove_state(key, state["pid"])
        return True


def child_command(kind: str, target: str, port: int, keep_alive: float = 0.0) -> list[str]:
    """The command line of the server process for `target`.

    Raises:
        ServerFailed: The extra needed for this kind is not installed, or the model is missing.
    """
    import importlib.util

    spec = spec_for(kind, target)

    common = ["--key", spec.key, "--keep-alive", f"{keep_alive:g}", "--home", str(state_dir())]
    if spec.kind == "gguf":
        if importlib.util.find_spec("xllamacpp") is None:
            raise ServerFailed(
                "gguf: models need llama.cpp's server: pip install 'punie[gguf]' (xllamacpp)"
            )
        if not Path(spec.target).is_file():
            raise ServerFailed(f"gguf: model file not found: {spec.target}")
        return [
            sys.executable,
            "-m",
            CHILD_MARKER,
            "gguf",
            spec.target,
            "--port",
            str(port),
            "--ctx",
            str(spec.context),
            "--threads",
            str(spec.threads),
            *common,
        ]
    if spec.kind == "mlx":
        if importlib.util.find_spec("mlx_lm") is None:
            raise ServerFailed("mlx: models need mlx-lm: pip install 'punie[mlx]'")
        # A Hugging Face repo id is `org/name`; a path is absolute, relative or `~`. mlx_lm.server
        # loads the model on the first request, so a missing folder would only show up as an
        # HTTP 404 then: say so now.
        if spec.target.startswith(("/", "./", "../", "~")):
            folder = Path(spec.target).expanduser()
            if not folder.is_dir():
                raise ServerFailed(f"mlx: model folder not found: {spec.target}")
            if not (folder / "config.json").is_file():
                raise ServerFailed(
                    f"mlx: {spec.target} is not an mlx model folder (no config.json)"
                )
        server = [
            sys.executable,
            "-m",
            "mlx_lm",
            "server",
            "--model",
            spec.target,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        return [sys.executable, "-m", CHILD_MARKER, "supervise", *common, "--", *server]
    raise ServerFailed(f"unknown managed server kind {spec.kind!r} (use mlx or gguf)")


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


def spec_for(kind: str, target: str) -> ServerSpec:
    if kind == "gguf" and Path(target).exists():
        target = str(Path(target).resolve())
    return ServerSpec(kind, target)


def start_server(
    kind: str, target: str, *, timeout: float = START_TIMEOUT, keep_alive: float | None = None
) -> ManagedServer:
    """Start a new server for `target` and wait until it answers (no reuse; see ensure_server).

    Raises:
        ServerFailed: It could not start; the message holds the server's own error text.
    """
    spec = spec_for(kind, target)
    keep = keep_alive_setting() if keep_alive is None else keep_alive
    port = free_port()
    command = child_command(kind, target, port, keep)
    state_dir().mkdir(parents=True, exist_ok=True)
    log_path = _path(spec.key, "log")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=child_environment(kind, spec.target),
            # Its own session: Ctrl-C reaches Punie only, and the server outlives it.
            start_new_session=True,
            close_fds=True,
        )
    server = ManagedServer(
        kind, spec.target, port, process.pid, log_path, spec.key, keep, process=process
    )
    _write_state(
        spec.key,
        {
            "key": spec.key,
            "kind": kind,
            "target": spec.target,
            "context": spec.context,
            "threads": spec.threads,
            "port": port,
            "pid": process.pid,
            "keep_alive": keep,
            "started": time.time(),
            "started_by": os.getpid(),
            "log": str(log_path),
        },
    )
    try:
        server.wait_ready(timeout)
    except ServerFailed:
        _remove_state(spec.key, process.pid)
        raise
    return server


def ensure_server(kind: str, target: str, *, keep_alive: float | None = None) -> ManagedServer:
    """The running server for `target` and these settings, started if none runs.

    A server another Punie process started is adopted; a crashed one's leftovers are cleaned up
    first. The caller becomes one of its users until it exits or calls `release_all`.

    Raises:
        ServerFailed: A new server could not start.
        ValueError: The keep-alive setting is not a duration.
    """
    spec = spec_for(kind, target)
    keep = keep_alive_setting() if keep_alive is None else keep_alive
    with _lock:
        server = _servers.get(spec.key)
        if server is not None and server.alive():
            return server
        with _key_lock(spec.key):
            server = _adopt(spec, keep)
            if server is None:
                server = start_server(kind, target, keep_alive=keep)
            server.hold()
        _servers[spec.key] = server
        _install_cleanup()
        return server


def _adopt(spec: ServerSpec, keep_alive: float) -> ManagedServer | None:
    """The running server of `spec` (waiting while it loads), or None after cleaning leftovers."""
    state = read_state(spec.key)
    if state is None:
        return None
    pid = state["pid"]
    server = ManagedServer(
        spec.kind,
        spec.target,
        int(state.get("port", 0)),
        pid,
        Path(str(state.get("log", _path(spec.key, "log")))),
        spec.key,
        float(state.get("keep_alive", keep_alive)),
    )
    if is_server_process(pid):
        try:
            server.wait_ready(min(START_TIMEOUT, 60))
            return server
        except ServerFailed:
            pass  # hung or broken: replaced below
        _terminate(pid, None, 5.0)
    # A crashed server's leftovers: its state goes, its log stays for reading.
    with contextlib.suppress(FileNotFoundError):
        _path(spec.key, "json").unlink()
    return None


def running_servers() -> list[dict[str, Any]]:
    """Every server Punie started under this `$PUNIE_HOME` (leftovers of crashed ones removed)."""
    found = []
    directory = state_dir()
    if not directory.is_dir():
        return []
    for path in sorted(directory.glob("*.json")):
        key = path.stem
        state = read_state(key)
        if state is None:
            continue
        if not is_server_process(state["pid"]):
            with _key_lock(key, blocking=False) as locked:
                if locked:
                    _remove_state(key, state["pid"])
            continue
        used = in_use(key)
        idle = 0.0 if used else max(0.0, time.time() - last_used(key))
        found.append({**state, "in_use": used, "idle_s": round(idle, 1)})
    return found


def stop_server(key: str) -> bool:
    """Stop one server by key, whoever uses it; True when one was running."""
    with _key_lock(key):
        state = read_state(key)
        if state is None:
            return False
        server = _servers.pop(key, None)
        _terminate(state["pid"], server.process if server else None, 10.0)
        _remove_state(key, state["pid"])
        return True


def release_all() -> None:
    """Let go of every server this process uses (each stays warm for its keep-alive)."""
    for server in list(_servers.values()):
        with contextlib.suppress(Exception):
            server.release()


def stop_all() -> None:
    """Stop every server this process uses, now."""
    for server in list(_servers.values()):
        server.stop()


_cleanup_installed = False


def _install_cleanup() -> None:
    global _cleanup_installed
    if _cleanup_installed:
        return
    _cleanup_installed = True
    atexit.register(release_all)
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGTERM)

        def on_sigterm(signum: int, frame: object) -> None:
            release_all()
            if callable(previous):
                previous(signum, frame)
            else:
                raise SystemExit(128 + signum)

        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGTERM, on_sigterm)


# --- the server side -------------------------------------------------------------------------


def _watch_idle(key: str, keep_alive: float, done: threading.Event) -> None:
    """Set `done` when nobody has used the server for `keep_alive` seconds (or it was replaced)."""
    seen_in_use = time.time()
    while not done.wait(1.0 if keep_alive > 0 else 0.25):
        state = read_state(key)
        if state is None or state.get("pid") != os.getpid():
            done.set()  # stopped by `punie servers stop`, or a newer server took over
            return
        if in_use(key):
            seen_in_use = time.time()
            continue
        if time.time() - max(seen_in_use, last_used(key)) < keep_alive:
            continue
        with _key_lock(key, blocking=False) as locked:
            # Holding the start lock: no process can be adopting this server right now.
            if locked and not in_use(key):
                _remove_state(key, os.getpid())
                done.set()
                return


def _stop_on_signals(done: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: done.set())


def serve_gguf(
    path: str,
    port: int,
    *,
    key: str = "",
    keep_alive: float = 0.0,
    n_ctx: int = CONTEXT,
    threads: int = THREADS,
) -> int:
    """Run llama.cpp's server (xllamacpp) for a GGUF file until it is idle or stopped."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = path
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = n_ctx
    # A looping small model would otherwise write until the context is full (minutes on a
    # CPU); a request that names max_tokens still gets what it asks for.
    params.n_predict = MAX_REPLY_TOKENS
    params.use_jinja = True
    # More threads than cores makes llama.cpp crawl (seen: 3 s per token on 2 cores).
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    done = threading.Event()
    _stop_on_signals(done)
    try:
        server = xllamacpp.Server(params)
    except Exception as exc:
        print(
            f"error: llama.cpp server failed to start for {path}: {exc}",
            file=sys.stderr,
            flush=True,
        )
        return 1
    if key:
        threading.Thread(
            target=_watch_idle, args=(key, keep_alive, done), name="idle-watch", daemon=True
        ).start()
    done.wait()
    del server
    return 0


def supervise(command: Sequence[str], *, key: str = "", keep_alive: float = 0.0) -> int:
    """Run `command` (mlx_lm.server) until it is idle or stopped."""
    child = subprocess.Popen(list(command), stdin=subprocess.DEVNULL)
    done = threading.Event()
    _stop_on_signals(done)
    if key:
        threading.Thread(
            target=_watch_idle, args=(key, keep_alive, done), name="idle-watch", daemon=True
        ).start()
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
    parser = argparse.ArgumentParser(prog=f"python -m {CHILD_MARKER}")
    sub = parser.add_subparsers(dest="what", required=True)

    def common(command: argparse.ArgumentParser) -> None:
        command.add_argument("--key", default="")
        command.add_argument("--keep-alive", type=float, default=0.0)
        command.add_argument("--home", help="the servers folder (its PUNIE_HOME/servers)")

    gguf = sub.add_parser("gguf", help="serve a GGUF file with llama.cpp's server")
    gguf.add_argument("path")
    gguf.add_argument("--port", type=int, required=True)
    gguf.add_argument("--ctx", type=int, default=CONTEXT)
    gguf.add_argument("--threads", type=int, default=THREADS)
    common(gguf)
    supervised = sub.add_parser("supervise", help="run a command until idle or stopped")
    common(supervised)
    supervised.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.home:
        os.environ["PUNIE_HOME"] = str(Path(args.home).parent)
    if args.what == "gguf":
        return serve_gguf(
            args.path,
            args.port,
            key=args.key,
            keep_alive=args.keep_alive,
            n_ctx=args.ctx,
            threads=args.threads,
        )
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    return supervise(command, key=args.key, keep_alive=args.keep_alive)


if __name__ == "__main__":
    sys.exit(main())
