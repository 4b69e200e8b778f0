"""Plugin code kept from harming the process: its output, its exits, its hanging imports.

* Output: what plugin code prints (at import, in a hook, in a tool) goes to stderr. stdout is
  the ACP channel or the `--json` answer; one stray line there breaks the client. A context
  variable marks plugin code, and `sys.stdout` is routed per write, so the answer printed by
  the core at the same time still reaches stdout. Below Python, `private_stdout` points file
  descriptor 1 at stderr for the whole command and keeps the real stdout on a private
  descriptor: `os.write(1, ...)` and child processes that inherit fd 1 cannot reach it.
* Exits: `SystemExit` and `KeyboardInterrupt` raised by plugin code are that plugin's failure.
  Only a real Ctrl-C (a SIGINT this process received) stops Punie (`real_interrupt`).
* Imports: a plugin whose import does not finish within `IMPORT_TIMEOUT` seconds is excluded;
  the import carries on in a daemon thread that nothing waits for.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

T = TypeVar("T")

IMPORT_TIMEOUT_ENV = "PUNIE_PLUGIN_IMPORT_TIMEOUT"
IMPORT_TIMEOUT = 20.0
"""Seconds a plugin's import may take (a heavy one imports torch in a few seconds)."""

_in_plugin: ContextVar[bool] = ContextVar("punie_in_plugin_code", default=False)


class _RoutedStdout(io.TextIOBase):
    """`sys.stdout` that sends writes made by plugin code to stderr."""

    def __init__(self, stdout: Any) -> None:
        self._stdout = stdout

    def _target(self) -> Any:
        return sys.stderr if _in_plugin.get() else self._stdout

    def write(self, text: str) -> int:  # type: ignore[override]
        return self._target().write(text)

    def writelines(self, lines: Any) -> None:  # type: ignore[override]
        self._target().writelines(lines)

    def flush(self) -> None:
        with contextlib.suppress(Exception):
            self._target().flush()

    def fileno(self) -> int:
        return self._stdout.fileno()

    def isatty(self) -> bool:
        return bool(self._stdout.isatty())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stdout, "encoding", "utf-8")

    @property
    def buffer(self) -> Any:
        return self._target().buffer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stdout, name)


def _install() -> None:
    if not isinstance(sys.stdout, _RoutedStdout) and sys.stdout is not sys.stderr:
        sys.stdout = _RoutedStdout(sys.stdout)


@contextlib.contextmanager
def private_stdout() -> Iterator[None]:
    """Run a command with its real stdout on a private descriptor and fd 1 pointing at stderr.

    `sys.stdout` (what the command prints: its answer, its `--json` document) writes to a
    private duplicate of the original fd 1, not inherited by child processes. Everything that
    writes to descriptor 1 itself (plugin code calling `os.write(1, ...)`, a C extension, a
    child process started without capturing its output) reaches stderr instead. Restored on
    exit. A no-op when `sys.stdout` is not descriptor 1 (a test's capture, an embedding).
    """
    old = sys.stdout
    try:
        usable = old is not None and old is not sys.stderr and old.fileno() == 1
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        usable = False
    if not usable:
        yield
        return
    with contextlib.suppress(Exception):
        old.flush()
    private = os.dup(1)  # not inheritable (PEP 446): children never get the real stdout
    os.dup2(2, 1)
    stream = open(  # noqa: SIM115 - closed on exit, with the descriptor restored
        private,
        "w",
        encoding=getattr(old, "encoding", None) or "utf-8",
        errors=getattr(old, "errors", None) or "strict",
        closefd=False,
    )
    stream.reconfigure(line_buffering=bool(getattr(old, "line_buffering", False)))
    sys.stdout = stream
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            stream.flush()
        with contextlib.suppress(Exception):
            stream.close()
        sys.stdout = old
        os.dup2(private, 1)
        os.close(private)


@contextlib.contextmanager
def plugin_output() -> Iterator[None]:
    """Run plugin code with its prints routed to stderr (this task and threads it starts)."""
    _install()
    token = _in_plugin.set(True)
    try:
        yield
    finally:
        _in_plugin.reset(token)


_interrupts = 0


def _count_interrupt(signum: int, frame: Any) -> None:
    global _interrupts
    _interrupts += 1
    raise KeyboardInterrupt


@contextlib.contextmanager
def counting_interrupts() -> Iterator[None]:
    """Count real SIGINTs while plugin code runs (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.signal(signal.SIGINT, _count_interrupt)
    except (ValueError, OSError):
        yield
        return
    replaced = previous is signal.default_int_handler
    if not replaced:  # someone else handles Ctrl-C (an event loop): leave it to them
        signal.signal(signal.SIGINT, previous)
    try:
        yield
    finally:
        if replaced:
            signal.signal(signal.SIGINT, previous)


def real_interrupt(exc: BaseException) -> bool:
    """True when `exc` is a KeyboardInterrupt from a SIGINT this process received."""
    return isinstance(exc, KeyboardInterrupt) and _interrupts > 0


def import_timeout() -> float:
    """`PUNIE_PLUGIN_IMPORT_TIMEOUT` seconds, else `IMPORT_TIMEOUT`."""
    try:
        return max(0.1, float(os.environ.get(IMPORT_TIMEOUT_ENV, IMPORT_TIMEOUT)))
    except ValueError:
        return IMPORT_TIMEOUT


class ImportTimeout(TimeoutError):
    """A plugin's import did not finish in time."""


def with_deadline(load: Callable[[], T], timeout: float, what: str) -> T:
    """`load()` in a daemon thread (with prints routed to stderr), waiting at most `timeout`.

    Raises:
        ImportTimeout: It did not finish in time (the thread is abandoned).
        BaseException: Whatever `load` raised (SystemExit included).
    """
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def run() -> None:
        _in_plugin.set(True)
        try:
            outcome["value"] = load()
        except BaseException as exc:  # handed to the caller, which decides
            outcome["error"] = exc

    _install()
    thread = threading.Thread(
        target=context.run, args=(run,), name=f"punie-import-{what}", daemon=True
    )
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise ImportTimeout(f"import did not finish within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
