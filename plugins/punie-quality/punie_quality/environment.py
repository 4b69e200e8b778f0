"""Which ruff, ty and Python a quality tool runs for a project, and how it runs them.

Binaries: always the versions Punie depends on (`ruff==0.17.*`, `ty==0.0.105`), found
through the packages' own `find_*_bin` helpers. A project's own `.venv/bin/ruff` or `ty` is
never run: it is the project's code (a cloned repository can put anything there), and
`ruff_check`/`typecheck` are read tools that run without permission, in read-only mode too.
A project that needs its own ruff version runs it with `run_command`, which asks.

Output: every process's stdout and stderr are read as they stream and kept to
`OUTPUT_LIMIT` bytes each; past that the process group is killed and the result says so
(`Finished.overflow`), so a hostile file that makes ruff print gigabytes costs no memory.

Python for pytest (and ty's import resolution): the project's `.venv`, else `uv run` when
it is a uv project without an environment yet, else `PUNIE_PYTHON`, else Punie's own
interpreter (`sys.executable`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from punie_core import kill_group

BUNDLED_ENV = "PUNIE_QUALITY_BUNDLED"
PYTHON_ENV = "PUNIE_PYTHON"
BIN_DIR = "Scripts" if sys.platform == "win32" else "bin"
EXE = ".exe" if sys.platform == "win32" else ""


@dataclass(frozen=True)
class Binary:
    """A tool binary chosen for a project.

    Attributes:
        path: Absolute path of the executable.
        version: Its version (from package metadata; "unknown" when none is found).
        source: `project` (the project's .venv) or `punie` (Punie's pinned dependency).
    """

    path: str
    version: str
    source: str

    @property
    def label(self) -> str:
        """`ruff 0.17.6 (punie)`: what the result's `tool` field shows."""
        return f"{Path(self.path).stem} {self.version} ({self.source})"


def project_venv(root: Path) -> Path | None:
    """The project's `.venv` directory when it holds an interpreter."""
    venv = root / ".venv"
    return venv if (venv / BIN_DIR / f"python{EXE}").exists() else None


def find_binary(name: str, root: Path) -> Binary:
    """Punie's pinned `ruff` or `ty` binary (never the project's: see the module doc).

    Args:
        name: `ruff` or `ty`.
        root: The project (kept for callers; it does not choose the binary).

    Raises:
        FileNotFoundError: Punie's environment has no such binary.
    """
    return _bundled(name)


@functools.cache
def _bundled(name: str) -> Binary:
    from importlib.metadata import PackageNotFoundError, version

    try:
        if name == "ruff":
            from ruff.__main__ import find_ruff_bin

            path = find_ruff_bin()
        elif name == "ty":
            from ty.__main__ import find_ty_bin

            path = find_ty_bin()
        else:
            raise ValueError(f"unknown quality tool {name!r}")
    except ImportError:
        found = shutil.which(name)
        if found is None:
            raise FileNotFoundError(f"{name} is not installed (pip install {name})") from None
        path = found
    try:
        pinned = version(name)
    except PackageNotFoundError:
        pinned = "unknown"
    return Binary(str(path), pinned, "punie")


@dataclass(frozen=True)
class Python:
    """How to start the project's Python.

    Attributes:
        argv: The command prefix, such as `[".venv/bin/python"]` or `["uv", "run", ..., "python"]`.
        label: What results show in their `python` field.
        venv: The environment directory ty should resolve imports in (None: ty's default).
    """

    argv: tuple[str, ...]
    label: str
    venv: Path | None = None


def is_uv_project(root: Path) -> bool:
    """True when the project is managed by uv (a `uv.lock`, or `[tool.uv]` in pyproject.toml)."""
    if (root / "uv.lock").is_file():
        return True
    pyproject = root / "pyproject.toml"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return "[tool.uv" in pyproject.read_text(encoding="utf-8")
    return False


def project_python(root: Path) -> Python:
    """The interpreter that runs the project's tests (see the module docstring for the order)."""
    venv = project_venv(root)
    if venv is not None:
        python = venv / BIN_DIR / f"python{EXE}"
        return Python((str(python),), str(python.relative_to(root)), venv)
    uv = shutil.which("uv")
    if uv is not None and is_uv_project(root):
        return Python((uv, "run", "--project", str(root), "python"), "uv run python")
    configured = os.environ.get(PYTHON_ENV)
    if configured:
        return Python((configured,), configured, _venv_of(configured))
    return Python((sys.executable,), sys.executable, _venv_of(sys.executable))


def _venv_of(python: str) -> Path | None:
    """The environment an interpreter path belongs to (its `pyvenv.cfg` directory), if any."""
    parent = Path(python).parent.parent
    return parent if (parent / "pyvenv.cfg").is_file() else None


def relative_to_root(path: str, root: Path) -> str:
    """`path` (absolute or relative to `root`) as a forward-slash path relative to `root`."""
    candidate = Path(path)
    if candidate.is_absolute():
        with contextlib.suppress(ValueError):
            candidate = candidate.relative_to(root)
    return candidate.as_posix()


class RelativePaths:
    """`relative_to_root` memoised per file name: a tool reports many findings per file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache: dict[str, str] = {}

    def __call__(self, path: str) -> str:
        found = self.cache.get(path)
        if found is None:
            found = self.cache[path] = relative_to_root(path, self.root)
        return found


@dataclass(frozen=True)
class Finished:
    """A finished (or stopped) process.

    Attributes:
        exit_code: Its exit status; None when it was killed at the timeout.
        stdout: Standard output, decoded.
        stderr: Standard error, decoded.
        duration: Seconds from start to end.
    """

    exit_code: int | None
    stdout: str
    stderr: str
    duration: float
    overflow: bool = False

    @property
    def timed_out(self) -> bool:
        """True when the process was killed at its timeout."""
        return self.exit_code is None


def ruff_cache_dir() -> str:
    """ruff's cache, in Punie's own per-user cache directory (private, created on first use).

    Every ruff command passes it as `--cache-dir`, which overrides a project's `cache-dir`
    setting: a repository cannot make a read tool write files anywhere else.
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "punie", "ruff")
    with contextlib.suppress(OSError):
        os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def inside(root: Path, path: str) -> bool:
    """True when `path` (absolute, or relative to `root`) resolves inside `root`.

    Tools report files through symlinks under the link's name; a link leading out of the
    workspace must not carry what it points at into a result.
    """
    resolved = Path(os.path.realpath(root / path))
    return resolved == root or resolved.is_relative_to(root)


OUTPUT_LIMIT = 32 * 1024 * 1024
"""Most bytes kept of one process's stdout (and, separately, of its stderr)."""

READ_CHUNK = 64 * 1024


class _Capture:
    """Drains one pipe in a daemon thread, keeping at most `limit` bytes."""

    def __init__(self, pipe: Any, limit: int, on_overflow: Any) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.overflow = False
        self._pipe = pipe
        self._limit = limit
        self._on_overflow = on_overflow
        self.thread = threading.Thread(target=self._drain, name="punie-pipe", daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        try:
            while chunk := self._pipe.read1(READ_CHUNK):
                if self.overflow:
                    continue  # keep draining so the process is never blocked on a full pipe
                if self.size + len(chunk) > self._limit:
                    self.chunks.append(chunk[: self._limit - self.size])
                    self.size = self._limit
                    self.overflow = True
                    self._on_overflow()
                    continue
                self.chunks.append(chunk)
                self.size += len(chunk)
        except (OSError, ValueError):
            pass
        finally:
            with contextlib.suppress(OSError):
                self._pipe.close()

    def data(self) -> bytes:
        return b"".join(self.chunks)


def _start(
    argv: list[str],
    cwd: Path,
    env: dict[str, str] | None,
    stdin: bytes | None,
    limit: int,
) -> tuple[subprocess.Popen[bytes], _Capture, _Capture]:
    process = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        process_group=0,  # killable as a group; a new session (setsid) makes ruff ~15 ms slower
    )

    def overflow() -> None:
        kill_group(process.pid)  # more output than any real result: stop it now

    out = _Capture(process.stdout, limit, overflow)
    err = _Capture(process.stderr, limit, overflow)
    if stdin is not None:
        threading.Thread(target=_feed, args=(process, stdin), daemon=True).start()
    return process, out, err


def _feed(process: subprocess.Popen[bytes], data: bytes) -> None:
    assert process.stdin is not None
    with contextlib.suppress(OSError, ValueError):
        process.stdin.write(data)
    with contextlib.suppress(OSError, ValueError):
        process.stdin.close()


def _finish(
    process: subprocess.Popen[bytes], out: _Capture, err: _Capture, timeout: float, started: float
) -> Finished:
    """Wait for the process; on timeout kill its group and keep what it printed so far."""
    try:
        exit_code: int | None = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process.pid)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=2)
        exit_code = None
    for capture in (out, err):
        # A grandchild outside the group may hold a pipe open: do not wait for it forever.
        capture.thread.join(timeout=2 if exit_code is not None else 0.5)
    overflow = out.overflow or err.overflow
    return Finished(
        None if overflow else exit_code,
        _decode(out.data()),
        _decode(err.data()),
        time.perf_counter() - started,
        overflow=overflow,
    )


async def run_process(
    argv: list[str],
    cwd: Path,
    timeout: float,
    env: dict[str, str] | None = None,
    limit: int = OUTPUT_LIMIT,
) -> Finished:
    """Run a program to completion without a shell, killing its whole process group on timeout.

    Its output is read as it streams, at most `limit` bytes per pipe (see the module doc).
    The waiting happens in a worker thread: on Python 3.11 asyncio's own subprocesses start
    a watcher thread per process, which costs more than the tools we time. A cancelled caller
    (the toolbox's own timeout) kills the group before re-raising.

    Raises:
        FileNotFoundError: The program does not exist.
        PermissionError: The program is not executable.
    """
    started = time.perf_counter()
    process, out, err = _start(argv, cwd, env, None, limit)
    try:
        return await asyncio.to_thread(_finish, process, out, err, timeout, started)
    except asyncio.CancelledError:
        kill_group(process.pid)
        raise


def run_process_sync(
    argv: list[str],
    cwd: Path,
    timeout: float,
    stdin: str | None = None,
    limit: int = OUTPUT_LIMIT,
) -> Finished:
    """`run_process` for synchronous callers (validators), optionally feeding `stdin`.

    Raises:
        FileNotFoundError: The program does not exist.
    """
    started = time.perf_counter()
    data = stdin.encode("utf-8") if stdin is not None else None
    process, out, err = _start(argv, cwd, None, data, limit)
    return _finish(process, out, err, timeout, started)


def overflow_message(program: str) -> str:
    """The error of a process stopped for printing more than `OUTPUT_LIMIT` bytes."""
    return (
        f"{program} printed more than {OUTPUT_LIMIT // (1024 * 1024)} MiB and was stopped; "
        "check fewer files (a generated or hostile file?)"
    )


def _decode(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", errors="replace")


def tail(text: str, limit: int = 1500) -> str:
    """The last `limit` characters of a tool's output (errors are at the end)."""
    text = text.strip()
    return text if len(text) <= limit else "…" + text[-limit:]


def json_list(stdout: str, program: str, error: type[Exception]) -> list[Any]:
    """The JSON array a tool printed (no output: an empty one).

    Args:
        stdout: What the tool printed.
        program: Its name, for the error message.
        error: The exception to raise when the output is not a JSON array.
    """
    from pydantic_core import from_json

    try:
        raw = from_json(stdout or "[]")  # pydantic-core's parser: twice as fast as json's
    except ValueError as exc:
        raise error(f"{program} did not print JSON: {exc}: {tail(stdout, 300)!r}") from None
    if not isinstance(raw, list):
        raise error(f"{program} printed {type(raw).__name__}, not a list")
    return raw
