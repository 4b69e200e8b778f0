"""Code Mode on Monty: run the model's Python snippets with every tool as a function, under limits.

The snippet runs in a Monty worker process (`pydantic-monty`), never in this process. Each tool
call pauses the worker; the host runs the tool through `Toolbox.call` (argument validation,
workspace confinement, permission, timeout, events) under the run's `ToolContext`, then resumes
the worker with the result or with the tool's exception, which the snippet can `try/except`.

Values crossing the boundary:

* Tool results that are nouns (Pydantic models) reach the snippet as host-backed instances
  (`pydantic_monty.ClassInstance`) whose fields can be read (`r.errors[0].line`); the stubs declare
  nouns frozen, so the type checker rejects assignments the host would never see.
* Noun names are host classes (`ClassType(init=True)`): `Spec(name="x")` builds and validates the
  Pydantic model on the host, so a bad field fails at that line.
* Arguments built in the sandbox (plain values, dicts, sandbox dataclasses) are converted back to
  plain Python data and validated into the tool's parameter types by the toolbox.
* The snippet's last expression comes back as JSON-able data (`CodeResult.value`).
* Monty renders host instances itself (`Name(field=...)`) and never calls their `__str__`. For
  nouns whose model defines its own `__str__`, the class carries `NOUN_STR` (a host function)
  and the session's `print` (see `PRINT_PRELUDE`) shows each such argument through it, as
  CPython would; `str(r)` and f-strings still show Monty's rendering. A trailing-expression noun
  shows its `__str__` in `CodeResult.for_model()` (`value_text`).

One `AsyncMonty` pool serves the whole process: it starts on first use and closes at exit (see
`shutdown_pool` for why exit needs care). Every run gets a fresh session: nothing a snippet
defines outlives it.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import dataclasses
import datetime
import enum
import json
import math
import os
import re
import threading
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from punie_core.context import ToolContext, using_context

if TYPE_CHECKING:
    from pydantic_monty import AsyncMonty, AsyncMontySession

    from punie_core.toolbox import Toolbox

MiB = 1024 * 1024
KiB = 1024

SCRIPT_NAME = "snippet.py"
"""The file name type-check diagnostics use (`snippet.py:3:5: error[...]`)."""

MAX_NESTING = 100
"""Deepest list/dict nesting accepted in tool arguments and returned values (the host recurses)."""

MAX_SUSPENSIONS = 1_000_000
"""Monty's own pause budget per session; Punie counts tool calls itself (`max_tool_calls`)."""

REQUEST_TIMEOUT = 600.0
"""Last-resort kill for a worker stuck in one turn (the feed time limit normally fires first)."""

FEED_GRACE = 1.0
"""Seconds past `wall_seconds` before the pool kills a worker that did not stop by itself."""

MAX_WORKERS = max(8, 2 * (os.cpu_count() or 1))
"""Worker processes the pool may run at once (spares included)."""

MAX_SPARES = MAX_WORKERS // 2
"""Sandboxes that may keep a warm spare session at once; the others warm up in their run."""

CHECKER_BUILTINS = """

# Builtins Monty's runtime has but its type checker's trimmed typeshed lacks.
class FileNotFoundError(OSError): ...
class FileExistsError(OSError): ...
class IsADirectoryError(OSError): ...
class NotADirectoryError(OSError): ...
class PermissionError(OSError): ...
class ImportError(Exception): ...
class ModuleNotFoundError(ImportError): ...
class UnicodeDecodeError(ValueError): ...
"""
"""Appended to `toolbox.stubs` for type checking only, so `except PermissionError:` type-checks
as it runs. It declares no tool and no noun: the tool surface checked is exactly the stubs."""

# Builtin exception names Monty can raise inside the sandbox (from pydantic_monty.ExcType); a host
# exception becomes the first of these along its MRO.
SANDBOX_EXCEPTIONS = frozenset(
    {
        "Exception", "ArithmeticError", "OverflowError", "ZeroDivisionError", "LookupError",
        "IndexError", "KeyError", "RuntimeError", "NotImplementedError", "RecursionError",
        "AttributeError", "NameError", "ValueError", "UnicodeDecodeError", "UnicodeEncodeError",
        "ImportError", "ModuleNotFoundError", "OSError", "FileNotFoundError", "FileExistsError",
        "IsADirectoryError", "NotADirectoryError", "PermissionError", "AssertionError",
        "MemoryError", "TimeoutError", "TypeError",
    }
)  # fmt: skip

NOT_RUN = frozenset({"TypeCheckError", "SyntaxError"})

NOUN_STR = "_punie_str"
"""Class attribute of nouns whose model defines its own `__str__`: a host function giving it."""

PRINT_PRELUDE = f"""
_punie_print = print


def _punie_shown(value):
    try:
        return type(value).{NOUN_STR}(value)
    except AttributeError:
        return value


def print(*values, sep=" ", end="\\n", file=None, flush=False):
    for value in values:
        if not isinstance(value, (str, int, float, list, dict, tuple)) and value is not None:
            values = [_punie_shown(v) for v in values]
            break
    _punie_print(*values, sep=sep, end=end, file=file, flush=flush)
"""
"""Fed once per session before the snippet: `print(noun)` shows the noun's own `__str__`.

Monty 1.4 never dispatches `__str__`/`__repr__`/`__format__` to a host object, so this `print`
asks the host (one round trip per such argument); every other value prints as before."""


class Limits(BaseModel):
    """What one snippet may use. Exceeding any ends the snippet with an error naming the limit.

    Attributes:
        wall_seconds: Seconds the snippet's own code may run. Time inside tool calls is not
            counted (each tool has its own timeout); host round trips are.
        memory_bytes: Heap the snippet may allocate.
        recursion_depth: Deepest call stack (a `RecursionError` the snippet may catch).
        max_tool_calls: Tool calls per snippet, refused ones included.
        max_output_bytes: Printed output, and the returned value as JSON, each.
    """

    model_config = {"frozen": True}

    wall_seconds: float = Field(default=10.0, gt=0)
    memory_bytes: int = Field(default=128 * MiB, ge=1 * MiB)
    recursion_depth: int = Field(default=200, ge=10)
    max_tool_calls: int = Field(default=100, ge=0)
    max_output_bytes: int = Field(default=64 * KiB, ge=1 * KiB)


class SnippetError(BaseModel):
    """Why a snippet failed.

    Attributes:
        type: `TypeCheckError` or `SyntaxError` (the code did not run; fix and retry), a Python
            exception name (`KeyError`, `PermissionError`, `TimeoutError`, ...), or a limit or
            sandbox failure (`ToolCallLimitExceeded`, `OutputLimitExceeded`, `SandboxCrashed`,
            `SandboxUnavailable`).
        message: The message; for type and syntax errors, the checker's diagnostics
            (`snippet.py:LINE:COLUMN: error[rule] text`).
        line: 1-based line in the snippet, when known.
        traceback: The sandbox traceback for runtime errors (shown to the model, not serialized).
    """

    type: str
    message: str
    line: int | None = None
    traceback: str | None = Field(default=None, exclude=True, repr=False)

    @property
    def did_not_run(self) -> bool:
        """True for type and syntax errors: nothing ran, the model should fix and retry."""
        return self.type in NOT_RUN


class SnippetToolCall(BaseModel):
    """One tool call a snippet made.

    Attributes:
        tool: The tool's name.
        ok: True when it returned a value.
        ms: How long it took (permission prompt included).
        error: `"ExceptionType: message"` when it failed or was refused.
    """

    tool: str
    ok: bool
    ms: float
    error: str | None = None


class CodeResult(BaseModel):
    """What running a snippet produced.

    Attributes:
        ok: True when the snippet ran to the end.
        stdout: Everything it printed (capped at `Limits.max_output_bytes`).
        value: The last expression's value as JSON-able data (nouns as dicts; other values the
            sandbox cannot express in JSON as their `repr`), or None.
        error: Why it failed, or None.
        tool_calls: Every tool call, in order.
        ms: Total duration in milliseconds.
        worker_ms: Of `ms`, the time spent waiting on the Monty worker (running the code, type
            checking, IPC); not serialized.
        value_text: The last value's own `__str__` when it is a noun that defines one (what
            `for_model` shows instead of its JSON); not serialized.
    """

    ok: bool
    stdout: str = ""
    value: Any = None
    error: SnippetError | None = None
    tool_calls: list[SnippetToolCall] = Field(default_factory=list)
    ms: float = 0.0
    worker_ms: float = Field(default=0.0, exclude=True)
    value_text: str | None = Field(default=None, exclude=True, repr=False)

    def for_model(self) -> str:
        """The compact text the model reads as `execute_code`'s result."""
        parts: list[str] = []
        if self.stdout:
            parts.append(self.stdout.rstrip("\n"))
        if self.value_text is not None:
            parts.append(f"=> {self.value_text}")
        elif self.value is not None:
            shown = self.value if isinstance(self.value, str) else _compact_json(self.value)
            parts.append(f"=> {shown}")
        error = self.error
        if error is not None:
            if error.did_not_run:
                parts.append(
                    f"{error.type}: the code did not run. Fix it and call execute_code again.\n"
                    f"{error.message.rstrip()}"
                )
            elif error.traceback:
                parts.append(error.traceback.rstrip())
            else:
                where = f" (line {error.line})" if error.line else ""
                parts.append(f"{error.type}{where}: {error.message}")
        if not parts:
            parts.append("(no output: print what you need, or end with an expression)")
        return "\n".join(parts)


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)


class SnippetFailed(Exception):
    """Ends a snippet from the host side with a `SnippetError` (limits, conversions)."""

    def __init__(self, error: SnippetError) -> None:
        super().__init__(error.message)
        self.error = error


# ---------------------------------------------------------------------------------------------
# The process-wide pool


_pool: AsyncMonty | None = None
_pool_used = False
_pool_guard = threading.Lock()
_start_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


async def sandbox_pool() -> AsyncMonty:
    """The process's Monty worker pool, started on first use.

    Raises:
        MontyError: The worker binary could not start.
    """
    global _pool, _pool_used
    if _pool is not None:
        return _pool
    loop = asyncio.get_running_loop()
    with _pool_guard:
        lock = _start_locks.setdefault(loop, asyncio.Lock())
    async with lock:
        if _pool is None:
            from pydantic_monty import AsyncMonty

            pool = AsyncMonty(
                min_processes=1,
                max_processes=MAX_WORKERS,
                checkout_timeout=30.0,
                request_timeout=REQUEST_TIMEOUT,
                max_checkouts_per_worker=200,
                feed_duration_limit_grace=FEED_GRACE,
                turn_duration_limit_grace=FEED_GRACE,
            )
            await pool.__aenter__()
            _pool = pool
            if not _pool_used:
                _pool_used = True
                atexit.register(_close_at_exit)
    return _pool


async def shutdown_pool() -> None:
    """Close every sandbox's spare session and the process's worker pool (idempotent).

    Call it before the event loop ends (the CLI does); a later snippet starts a new pool.
    `AsyncMonty`'s Tokio threads may still wake the closed loop a moment after the pool
    closes; if the interpreter is finalizing by then, CPython aborts the process (exit 134).
    Yielding to the loop briefly here, and pausing again at exit (`_close_at_exit`), lets those
    wake-ups land while Python is still whole.
    """
    global _pool
    for sandbox in list(_live_sandboxes):
        with contextlib.suppress(Exception):
            await sandbox.aclose()
    _shared.clear()
    pending = [task for task in _background if task.get_loop() is asyncio.get_running_loop()]
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    pool, _pool = _pool, None
    if pool is None:
        return
    with contextlib.suppress(Exception):
        await pool.__aexit__(None, None, None)
    await asyncio.sleep(0.02)


def _close_at_exit() -> None:
    """atexit: close a pool nobody closed, then let Monty's threads settle before finalization."""
    if _pool is not None:
        with contextlib.suppress(Exception):
            asyncio.run(shutdown_pool())
    # Why a pause: see shutdown_pool. atexit runs before CPython refuses threads the GIL.
    time.sleep(0.05)


# ---------------------------------------------------------------------------------------------
# Values across the boundary


def _noun_type(model: type[BaseModel]) -> Any:
    """The sandbox-side class for a noun: construction validates on the host; instances are
    read by field."""
    cached = _noun_types.get(model)
    if cached is None:
        cached = _NounType.build(model)
        _noun_types[model] = cached
    return cached


_noun_types: dict[type, Any] = {}


def _make_noun_type_class() -> type:
    from pydantic_monty import ClassType

    class NounType(ClassType):
        """A Pydantic model class as the sandbox sees it."""

        @classmethod
        def build(cls, model: type[BaseModel]) -> NounType:
            fields = [name for name in model.model_fields if not name.startswith("_")]
            return cls(model, init=True, instance_eager_attrs=fields)

        def convert_value(self, /, name: str, value: Any) -> Any:
            return to_sandbox(value)

        def get_eager_attrs(self) -> dict[str, Any]:
            return {NOUN_STR: _noun_str} if has_own_str(self.value) else {}

        def construct(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            try:
                return super().construct(
                    tuple(from_sandbox(a) for a in args),
                    {k: from_sandbox(v) for k, v in kwargs.items()},
                )
            except ValidationError as exc:
                raise TypeError(_validation_message(self.value.__name__, exc)) from None

    return NounType


class _LazyNounType:
    """Defers importing pydantic_monty until a sandbox is used."""

    _cls: type | None = None

    def build(self, model: type[BaseModel]) -> Any:
        if self._cls is None:
            self._cls = _make_noun_type_class()
        return self._cls.build(model)  # type: ignore[attr-defined]


_NounType = _LazyNounType()


def has_own_str(model: type) -> bool:
    """True when a noun's model defines its own `__str__` (not Pydantic's field listing)."""
    return (
        isinstance(model, type)
        and issubclass(model, BaseModel)
        and (model.__str__ is not BaseModel.__str__)
    )


def noun_text(value: Any) -> str | None:
    """A noun's own `__str__` text, or None when it has none (or is no noun)."""
    if isinstance(value, BaseModel) and has_own_str(type(value)):
        return str(value)
    return None


def _noun_str(value: Any) -> str:
    """The host side of `NOUN_STR`; `Sandbox._drive` answers calls to it by name."""
    text = noun_text(value)
    if text is None:
        raise TypeError(f"{type(value).__name__} has no text of its own")
    return text


def _validation_message(name: str, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "value"
        problems.append(f"{where}: {error['msg']}")
    return f"{name}(): " + "; ".join(problems)


def to_sandbox(value: Any) -> Any:
    """Convert a tool result for the sandbox: nouns become readable host-backed instances."""
    from pydantic_monty import ClassInstance

    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, BaseModel):
        noun_type = _noun_type(type(value))
        fields = noun_type.instance_eager_attrs
        return ClassInstance(value, eager_attrs=fields, class_type=noun_type)
    if isinstance(value, (list, tuple)):
        converted = [to_sandbox(v) for v in value]
        return converted if isinstance(value, list) else tuple(converted)
    if isinstance(value, (set, frozenset)):
        return [to_sandbox(v) for v in value]
    if isinstance(value, dict):
        return {k if isinstance(k, (str, int)) else str(k): to_sandbox(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return to_sandbox(value.value)
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return value
    if isinstance(value, PurePath):
        return value.as_posix()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_sandbox(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def from_sandbox(value: Any, depth: int = 0) -> Any:
    """Convert a value the sandbox passes to a tool into plain Python data.

    Host-backed nouns come back as the original Pydantic objects; sandbox dataclasses become
    dicts of their fields (the toolbox validates them into the parameter's type).

    Raises:
        ValueError: The value nests deeper than `MAX_NESTING`.
    """
    from pydantic_monty import MontyClassProxy

    if depth > MAX_NESTING:
        raise ValueError(f"value nested deeper than {MAX_NESTING} levels")
    if isinstance(value, MontyClassProxy):
        return {k: from_sandbox(v, depth + 1) for k, v in value.attributes.items()}
    if isinstance(value, list):
        return [from_sandbox(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(from_sandbox(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return {k: from_sandbox(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return [from_sandbox(v, depth + 1) for v in value]
    return value


def to_json(value: Any, depth: int = 0) -> Any:
    """Convert the snippet's value to JSON-able data (non-JSON values as their `repr`).

    Raises:
        ValueError: The value nests deeper than `MAX_NESTING`.
    """
    from pydantic_monty import MontyClassProxy

    if depth > MAX_NESTING:
        raise ValueError(f"the value is nested deeper than {MAX_NESTING} levels")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, BaseModel):
        return to_json(value.model_dump(mode="python"), depth + 1)
    if isinstance(value, MontyClassProxy):
        return {k: to_json(v, depth + 1) for k, v in value.attributes.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [to_json(v, depth + 1) for v in value]
        with contextlib.suppress(TypeError):
            items.sort()
        return items
    if isinstance(value, dict):
        return {
            k if isinstance(k, str) else repr(k): to_json(v, depth + 1) for k, v in value.items()
        }
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return value.as_posix()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(dataclasses.asdict(value), depth + 1)
    return repr(value)


def sandbox_exception(exc: BaseException) -> dict[str, str]:
    """How a host exception is raised in the sandbox: the nearest builtin type it knows."""
    name = "Exception"
    for klass in type(exc).__mro__:
        if klass.__module__ == "builtins" and klass.__name__ in SANDBOX_EXCEPTIONS:
            name = klass.__name__
            break
    message = str(exc) if not isinstance(exc, ValidationError) else _validation_message("", exc)
    return {"exc_type": name, "message": message}


# ---------------------------------------------------------------------------------------------
# Errors


_DIAGNOSTIC = re.compile(r"^[^\s:]+:(\d+):(\d+): error\[([\w-]+)\]", re.MULTILINE)


def type_check_error(text: str) -> SnippetError:
    """A `SnippetError` from the checker's concise diagnostics (syntax errors included)."""
    diagnostics = _DIAGNOSTIC.findall(text)
    line = int(diagnostics[0][0]) if diagnostics else None
    syntax = bool(diagnostics) and all(rule == "invalid-syntax" for _, _, rule in diagnostics)
    return SnippetError(
        type="SyntaxError" if syntax else "TypeCheckError", message=text.strip(), line=line
    )


def runtime_error(exc: Any, limits: Limits) -> SnippetError:
    """A `SnippetError` for a `MontyRuntimeError`, naming the limit when one fired."""
    name = type(exc.exception()).__name__
    message = str(exc.display("msg"))
    frames = exc.traceback()
    line = None
    if frames:
        # The innermost frame of this snippet (frames[0] is its module level).
        current = frames[0].filename
        line = [f for f in frames if f.filename == current][-1].line
    display = str(exc.display())
    if frames:
        # Name this snippet's frames as the type checker does (the warm-up was feed 0).
        display = display.replace(f'File "{frames[0].filename}"', f'File "{SCRIPT_NAME}"')
    if name == "TimeoutError" and "time limit" in message:
        message = f"the snippet ran longer than wall_seconds={limits.wall_seconds:g} ({message})"
        display = ""
    elif name == "MemoryError":
        message = f"memory limit exceeded (memory_bytes={limits.memory_bytes}): {message}"
        display = display.rsplit("\n", 1)[0] + f"\nMemoryError: {message}" if frames else ""
    elif name == "RecursionError":
        message = f"{message} (recursion_depth={limits.recursion_depth})"
        display = _shorten_traceback(display) + f" (recursion_depth={limits.recursion_depth})"
    return SnippetError(type=name, message=message, line=line, traceback=display or None)


def _shorten_traceback(text: str, keep: int = 12) -> str:
    lines = text.split("\n")
    if len(lines) <= 2 * keep:
        return text
    return "\n".join([*lines[:keep], "  ...", *lines[-keep:]])


# ---------------------------------------------------------------------------------------------
# The sandbox


class _Output:
    """Collects what the snippet prints, up to a byte cap; past it, calls `on_overflow` once."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.size = 0
        self.parts: list[str] = []
        self.overflowed = False
        self.on_overflow: Callable[[], object] = lambda: None

    def __call__(self, stream: str, text: str) -> None:
        if self.overflowed:
            return
        data = text.encode("utf-8", errors="replace")
        if self.size + len(data) <= self.cap:
            self.parts.append(text)
            self.size += len(data)
            return
        self.parts.append(data[: self.cap - self.size].decode("utf-8", errors="ignore"))
        self.size = self.cap
        self.overflowed = True
        self.on_overflow()

    @property
    def text(self) -> str:
        return "".join(self.parts)


class Sandbox:
    """Runs snippets with a toolbox's tools, each in a fresh Monty session from the shared pool.

    Nothing persists between runs: Monty's type checker would pin every earlier variable to
    its first type (`n = 0` then, in a later snippet, `n = "a"` fails to check), and a fresh
    session also drops whatever a failed or limited snippet left behind. To keep runs fast,
    the sandbox keeps one spare session checked out and type-checker-warm (about 20 ms of
    work done between runs, while the model is thinking). Runs may overlap.

    Example:
        ```python
        sandbox = Sandbox(toolbox)
        result = await sandbox.run('print(len(list_files("**/*.py")))', context)
        await sandbox.aclose()
        ```
    """

    def __init__(self, toolbox: Toolbox, limits: Limits | None = None) -> None:
        self.toolbox = toolbox
        self.limits = limits or Limits()
        self._tool_names = frozenset(t.name for t in toolbox.tools)
        self._nouns = {noun.name: noun.model for noun in toolbox.nouns}
        self._warm_up = warm_up_code(self._tool_names)
        self._spare: asyncio.Task[AsyncMontySession] | None = None
        self._spare_loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        _live_sandboxes.add(self)

    async def run(self, code: str, context: ToolContext) -> CodeResult:
        """Type-check and run `code`; never raises for bad code (the result carries the error).

        Args:
            code: The snippet.
            context: The context tool calls run under (workspace, permissions, events).

        Returns:
            The result: printed output, last value, error, tool calls, duration.

        Raises:
            asyncio.CancelledError: The run was cancelled (its session is discarded).
        """
        from pydantic_monty import (
            MontyCrashedError,
            MontyError,
            MontyRuntimeError,
            MontySyntaxError,
            MontyTypingError,
        )

        started = time.perf_counter()
        calls: list[SnippetToolCall] = []
        output = _Output(self.limits.max_output_bytes)
        value: Any = None
        value_text: str | None = None
        error: SnippetError | None = None
        session: AsyncMontySession | None = None
        timing = {"worker": 0.0}
        try:
            session = await self._take_session()
            raw = await self._drive_guarded(session, code, context, output, calls, started, timing)
            value = self._value(raw)
            value_text = _value_text(raw)
        except SnippetFailed as failed:
            error = failed.error
        except MontyTypingError as exc:
            error = type_check_error(exc.display())
        except MontySyntaxError as exc:
            message = exc.display("msg")
            error = SnippetError(type="SyntaxError", message=message, line=_first_line(exc))
        except MontyRuntimeError as exc:
            error = runtime_error(exc, self.limits)
        except MontyCrashedError as exc:
            error = SnippetError(
                type="SandboxCrashed",
                message=f"the sandbox worker died ({exc}); the host is fine, run the snippet again "
                "or do less in it",
            )
        except TimeoutError as exc:  # the pool's checkout_timeout: every worker is busy
            message = f"no sandbox worker free: {exc}"
            error = SnippetError(type="SandboxUnavailable", message=message)
        except MontyError as exc:
            error = SnippetError(type=type(exc).__name__, message=str(exc))
        finally:
            if session is not None:
                _close_later(session)
            if not self._closed:
                self._prepare_spare()
        return CodeResult(
            ok=error is None,
            stdout=output.text,
            value=value,
            value_text=value_text,
            error=error,
            tool_calls=calls,
            ms=(time.perf_counter() - started) * 1000,
            worker_ms=timing["worker"] * 1000,
        )

    async def aclose(self) -> None:
        """Give the spare session back to the pool (idempotent; `run` still works after)."""
        self._closed = True
        spare, self._spare = self._spare, None
        if spare is None:
            return
        if self._spare_loop is not asyncio.get_running_loop():
            return  # that loop is gone, and the task with it
        if not spare.done():
            spare.cancel()
        with contextlib.suppress(BaseException):
            await _close_session(await spare)

    def _prepare_spare(self) -> None:
        loop = asyncio.get_running_loop()
        if self._spare is not None and self._spare_loop is loop:
            return
        # Spares hold workers; idle conversations must not starve running ones.
        if sum(1 for sandbox in _live_sandboxes if sandbox._spare is not None) >= MAX_SPARES:
            return
        self._spare_loop = loop
        self._spare = loop.create_task(self._new_session())

    async def _take_session(self) -> AsyncMontySession:
        """The spare session if one is ready (or warming), else a new one."""
        spare, self._spare = self._spare, None
        self._closed = False
        if spare is not None and self._spare_loop is asyncio.get_running_loop():
            if not spare.cancelled():
                try:
                    return await asyncio.shield(spare)
                except asyncio.CancelledError:
                    spare.add_done_callback(_close_when_done)
                    raise
                except Exception:
                    pass  # warming failed: try a fresh one, which reports the error
        return await self._new_session()

    async def _new_session(self) -> AsyncMontySession:
        """Check out a session with this sandbox's limits and stubs, type checker warmed."""
        from pydantic_monty import CollectString

        pool = await sandbox_pool()
        limits = self.limits
        session = pool.checkout(
            script_name=SCRIPT_NAME,
            limits={
                "max_feed_duration_secs": limits.wall_seconds,
                "max_memory": limits.memory_bytes,
                "max_recursion_depth": limits.recursion_depth,
                "max_suspensions": MAX_SUSPENSIONS,
            },
            type_check=True,
            type_check_stubs=self.toolbox.stubs + CHECKER_BUILTINS,
            type_check_format="concise",
        )
        await session.__aenter__()
        try:
            # The checker loads the stubs and builtins on its first feeds (~20 ms); do it now,
            # with a function it checks but never calls, so the snippet's check is fast.
            await session.feed_run(self._warm_up, print_callback=CollectString(max_bytes=1024))
        except BaseException:
            await _close_session(session)
            raise
        return session

    async def _drive_guarded(
        self,
        session: AsyncMontySession,
        code: str,
        context: ToolContext,
        output: _Output,
        calls: list[SnippetToolCall],
        started: float,
        timing: dict[str, float],
    ) -> Any:
        """Drive the snippet in a task that too much output cancels at once.

        The worker keeps running after its print collector overflows, so without this a print
        loop would run until `wall_seconds`.
        """
        loop = asyncio.get_running_loop()
        with using_context(context):
            drive = loop.create_task(self._drive(session, code, output, calls, started, timing))
        output.on_overflow = lambda: loop.call_soon_threadsafe(drive.cancel)
        try:
            return await drive
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if output.overflowed and (current is None or not current.cancelling()):
                limit = self.limits.max_output_bytes
                error = SnippetError(
                    type="OutputLimitExceeded",
                    message=f"printed output exceeded max_output_bytes={limit}; print less",
                )
                raise SnippetFailed(error) from None
            raise

    async def _drive(
        self,
        session: AsyncMontySession,
        code: str,
        output: Any,
        calls: list[SnippetToolCall],
        started: float,
        timing: dict[str, float],
    ) -> Any:
        """Feed the snippet and answer every pause until it completes.

        `timing["worker"]` accumulates the seconds spent waiting on the worker (interpreter,
        type checker, IPC), so `ms` minus it is what the host itself spent.
        """
        from pydantic_monty import AsyncFunctionSnapshot, AsyncNameLookupSnapshot, MontyComplete

        limits = self.limits
        nouns = self._nouns
        step: Awaitable[Any] = session.feed_start(code, print_callback=output)
        tool_seconds = 0.0
        while True:
            waited = time.perf_counter()
            snapshot = await step
            timing["worker"] += time.perf_counter() - waited
            if isinstance(snapshot, MontyComplete):
                return snapshot.output
            # The worker's clock stops while it waits on the host; this one covers round trips.
            if time.perf_counter() - started - tool_seconds > limits.wall_seconds:
                raise SnippetFailed(
                    SnippetError(
                        type="TimeoutError",
                        message=f"the snippet ran longer than wall_seconds={limits.wall_seconds:g}",
                    )
                )
            if isinstance(snapshot, AsyncFunctionSnapshot):
                name = snapshot.function_name
                if snapshot.is_os_function:
                    # No filesystem, environment or network: Monty's default refusal.
                    step = snapshot.resume_not_handled()
                elif snapshot.object_id is not None:
                    # A noun built or read through its host class (the policy is NounType's).
                    step = snapshot.resume_auto()
                elif name == _noun_str.__name__:
                    # PRINT_PRELUDE's `print` asking for a noun's own text.
                    step = snapshot.resume(_shown(snapshot.args))
                elif name in self._tool_names:
                    if len(calls) >= limits.max_tool_calls:
                        raise SnippetFailed(
                            SnippetError(
                                type="ToolCallLimitExceeded",
                                message=f"more than max_tool_calls={limits.max_tool_calls} tool "
                                "calls in one snippet; do less per snippet",
                                line=_line_of(code, snapshot.position.start),
                            )
                        )
                    tool_started = time.perf_counter()
                    answer = await self._call_tool(snapshot, calls)
                    tool_seconds += time.perf_counter() - tool_started
                    step = snapshot.resume(answer)
                elif name in nouns:
                    # `Report(...)`: a noun built (and validated) on the host.
                    step = snapshot.resume(_construct(nouns[name], snapshot))
                else:
                    message = f"name {name!r} is not defined"
                    step = snapshot.resume({"exc_type": "NameError", "message": message})
            elif isinstance(snapshot, AsyncNameLookupSnapshot):
                # A noun's name read as a value (`isinstance(r, Report)`) is its host class;
                # other undefined names stay undefined (NameError / AttributeError).
                name = snapshot.variable_name
                if snapshot.object_id is None and name in nouns:
                    step = snapshot.resume(value=_noun_type(nouns[name]))
                else:
                    step = snapshot.resume()
            else:
                # Futures arise only from sandbox asyncio; no host coroutine is ever handed out.
                step = snapshot.resume_auto()

    async def _call_tool(self, snapshot: Any, calls: list[SnippetToolCall]) -> dict[str, Any]:
        """Run one tool call through the toolbox gate; the answer to resume the sandbox with."""
        name = snapshot.function_name
        started = time.perf_counter()
        try:
            args = tuple(from_sandbox(a) for a in snapshot.args)
            kwargs = {k: from_sandbox(v) for k, v in snapshot.kwargs.items()}
            result = await self.toolbox.call(name, args, kwargs)
            answer: dict[str, Any] = {"return_value": to_sandbox(result)}
            calls.append(SnippetToolCall(tool=name, ok=True, ms=_ms_since(started)))
        except Exception as exc:
            calls.append(
                SnippetToolCall(
                    tool=name, ok=False, ms=_ms_since(started), error=f"{type(exc).__name__}: {exc}"
                )
            )
            answer = sandbox_exception(exc)
        return answer

    def _value(self, raw: Any) -> Any:
        limits = self.limits
        try:
            value = to_json(raw)
        except ValueError as exc:
            error = SnippetError(type="OutputLimitExceeded", message=str(exc))
            raise SnippetFailed(error) from None
        if value is not None:
            try:
                size = len(_compact_json(value).encode())
            except ValueError as exc:  # an int over Python's 4300-digit str limit
                error = SnippetError(
                    type="OutputLimitExceeded",
                    message=f"the returned value cannot be written as JSON ({exc}); "
                    "return or print less",
                )
                raise SnippetFailed(error) from None
            if size > limits.max_output_bytes:
                raise SnippetFailed(
                    SnippetError(
                        type="OutputLimitExceeded",
                        message=f"the returned value is {size} bytes as JSON, over "
                        f"max_output_bytes={limits.max_output_bytes}; return or print less",
                    )
                )
        return value


def warm_up_code(tool_names: Iterable[str]) -> str:
    """A snippet that exercises the type checker (tools, loops, f-strings) but runs nothing."""
    tools = ", ".join(sorted(tool_names))
    return (
        "def _punie_warm_up(p: str) -> int:\n"
        f"    tools = ({tools},)\n"
        "    n = 0\n"
        "    for x in [p, p.strip()]:\n"
        "        n += len(x.split()) + int('1')\n"
        "    print(f'{n}', [s for s in p.split()], {'a': 1}.get('a'), len(tools))\n"
        "    return n\n"
    ) + PRINT_PRELUDE


_live_sandboxes: weakref.WeakSet[Sandbox] = weakref.WeakSet()
_background: set[asyncio.Task[Any]] = set()


async def _close_session(session: AsyncMontySession) -> None:
    with contextlib.suppress(Exception):
        await session.__aexit__(None, None, None)


def _close_later(session: AsyncMontySession) -> None:
    """Return a used session to the pool without making the caller wait (~3 ms)."""
    task = asyncio.get_running_loop().create_task(_close_session(session))
    _background.add(task)
    task.add_done_callback(_background.discard)


def _close_when_done(task: asyncio.Task[AsyncMontySession]) -> None:
    if not task.cancelled() and task.exception() is None:
        _close_later(task.result())


def _shown(args: tuple[Any, ...]) -> dict[str, Any]:
    """Answer a `NOUN_STR` call: the noun's own `__str__` text."""
    try:
        if len(args) != 1:
            raise TypeError(f"{NOUN_STR}() takes one argument")
        return {"return_value": _noun_str(args[0])}
    except Exception as exc:
        return sandbox_exception(exc)


def _construct(model: type[BaseModel], snapshot: Any) -> dict[str, Any]:
    """Build a noun the sandbox called by name; the answer to resume it with."""
    try:
        return {"return_value": _noun_type(model).construct(snapshot.args, snapshot.kwargs)}
    except Exception as exc:
        return sandbox_exception(exc)


def _value_text(raw: Any) -> str | None:
    """The trailing value's own text for the model, when it is a noun with a `__str__`."""
    try:
        return noun_text(raw)
    except Exception:  # a plugin's __str__ failing must not fail the run
        return None


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _line_of(code: str, byte_offset: int) -> int | None:
    if byte_offset <= 0:
        return None
    return code.encode()[:byte_offset].count(b"\n") + 1


def _first_line(exc: Any) -> int | None:
    with contextlib.suppress(Exception):
        frames = exc.traceback()
        if frames:
            return frames[0].line
    return None


_shared: dict[tuple[int, Limits], tuple[Toolbox, Sandbox]] = {}


async def execute_code(
    code: str, *, toolbox: Toolbox, context: ToolContext, limits: Limits | None = None
) -> CodeResult:
    """Run one snippet in a fresh session from the process-wide pool.

    Sandboxes keep no state between runs, so one is shared per toolbox and limits; its spare
    session keeps later calls warm.

    Args:
        code: The snippet.
        toolbox: The tools the snippet may call.
        context: Where the tool calls run (workspace, permissions, events).
        limits: The snippet's limits; `Limits()` when omitted.
    """
    limits = limits or Limits()
    key = (id(toolbox), limits)
    entry = _shared.get(key)
    if entry is None or entry[0] is not toolbox:
        entry = _shared[key] = (toolbox, Sandbox(toolbox, limits))
    return await entry[1].run(code, context)


def run_sync(
    code: str, *, toolbox: Toolbox, context: ToolContext, limits: Limits | None = None
) -> CodeResult:
    """`execute_code` from synchronous code: runs its own event loop and closes the pool after."""

    async def main() -> CodeResult:
        try:
            return await execute_code(code, toolbox=toolbox, context=context, limits=limits)
        finally:
            await shutdown_pool()

    return asyncio.run(main())


__all__ = [
    "CHECKER_BUILTINS",
    "CodeResult",
    "Limits",
    "Sandbox",
    "SnippetError",
    "SnippetToolCall",
    "execute_code",
    "run_sync",
    "sandbox_pool",
    "shutdown_pool",
]
