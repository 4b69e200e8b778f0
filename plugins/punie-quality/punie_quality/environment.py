"""Which ruff, ty and Python a quality tool runs for a project, and how it runs them.

Binaries: the project's own pin wins. When the project's `.venv` has `ruff` or `ty`
installed, that binary runs, because the project's configuration and CI are written
against that version (a different ruff formats differently and knows other rules).
Otherwise the versions Punie depends on run (`ruff==0.17.*`, `ty==0.0.105`), found
through the packages' own `find_*_bin` helpers. `PUNIE_QUALITY_BUNDLED=1` forces Punie's.

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
    """The `ruff` or `ty` binary for the project at `root` (project pin first, see module doc).

    Raises:
        FileNotFoundError: Neither the project nor Punie's environment has the binary.
    """
    venv = project_venv(root)
    if venv is not None and os.environ.get(BUNDLED_ENV, "") not in ("1", "true", "yes"):
        candidate = venv / BIN_DIR / f"{name}{EXE}"
        if candidate.is_file():
            return Binary(str(candidate), _venv_version(venv, name), "project")
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


@functools.cache
def _venv_version(venv: Path, name: str) -> str:
    for dist_info in sorted(venv.glob(f"lib*/python*/site-packages/{name}-*.dist-info")):
        return dist_info.name.removeprefix(f"{name}-").removesuffix(".dist-info")
    return "unknown"


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

    @property
    def timed_out(self) -> bool:
        """True when the process was killed at its timeout."""
        return self.exit_code is None


async def run_process(
    argv: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> Finished:
    """Run a program to completion without a shell, killing its whole process group on timeout.

    The pipes are drained by `Popen.communicate` in a worker thread: on Python 3.11 asyncio's
    own subprocesses start a watcher thread per process, which costs more than the tools
    we time. A cancelled caller (the toolbox's own timeout) kills the group before re-raising.

    Raises:
        FileNotFoundError: The program does not exist.
        PermissionError: The program is not executable.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        process_group=0,  # killable as a group; a new session (setsid) makes ruff ~15 ms slower
    )
    try:
        exit_code, out, err = await asyncio.to_thread(_communicate, process, timeout)
    except asyncio.CancelledError:
        kill_group(process.pid)
        raise
    return Finished(exit_code, _decode(out), _decode(err), time.perf_counter() - started)


def _communicate(
    process: subprocess.Popen[bytes], timeout: float
) -> tuple[int | None, bytes, bytes]:
    """Wait for the process; on timeout kill its group and keep what it printed so far."""
    try:
        out, err = process.communicate(timeout=timeout)
        return process.returncode, out, err
    except subprocess.TimeoutExpired:
        kill_group(process.pid)
        try:
            out, err = process.communicate(timeout=2)
        except subprocess.TimeoutExpired:  # a grandchild outside the group holds the pipes
            process.kill()
            out, err = b"", b""
        return None, out or b"", err or b""


def run_process_sync(
    argv: list[str], cwd: Path, timeout: float, stdin: str | None = None
) -> Finished:
    """`run_process` for synchronous callers (validators), optionally feeding `stdin`.

    Raises:
        FileNotFoundError: The program does not exist.
    """
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            input=stdin.encode("utf-8") if stdin is not None else None,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            process_group=0,
        )
    except subprocess.TimeoutExpired as exc:
        return Finished(
            None, _decode(exc.stdout), _decode(exc.stderr), time.perf_counter() - started
        )
    return Finished(
        done.returncode, _decode(done.stdout), _decode(done.stderr), time.perf_counter() - started
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
