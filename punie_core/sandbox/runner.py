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
import contextlib
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from punie_core.plugins.context import ToolContext, using_context
from punie_core.plugins.toolbox import current_call_id
from punie_core.sandbox.convert import (
    PRINT_PRELUDE,
    _construct,
    _noun_str,
    _noun_type,
    _shown,
    _value_text,
    from_sandbox,
    sandbox_exception,
    to_json,
    to_sandbox,
)
from punie_core.sandbox.pool import (
    MAX_SPARES,
    _close_later,
    _close_session,
    _close_when_done,
    close_pool,
    sandbox_pool,
)
from punie_core.sandbox.results import (
    SCRIPT_NAME,
    CodeResult,
    Limits,
    SnippetError,
    SnippetFailed,
    SnippetToolCall,
    compact_json,
    runtime_error,
    type_check_error,
)

if TYPE_CHECKING:
    from pydantic_monty import AsyncMontySession

    from punie_core.plugins.toolbox import Toolbox

MAX_SUSPENSIONS = 1_000_000
"""Monty's own pause budget per session; Punie counts tool calls itself (`max_tool_calls`)."""

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


async def shutdown_pool() -> None:
    """Close every sandbox's spare session and the process's worker pool (idempotent).

    Call it before the event loop ends (the CLI does); a later snippet starts a new pool.
    See `pool.close_pool` for why closing needs care.
    """
    for sandbox in list(_live_sandboxes):
        with contextlib.suppress(Exception):
            await sandbox.aclose()
    _shared.clear()
    await close_pool()


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
        self.limits = limits or Limits()
        self._spare: asyncio.Task[AsyncMontySession] | None = None
        self._spare_loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._use(toolbox)
        _live_sandboxes.add(self)

    def _use(self, toolbox: Toolbox) -> None:
        self.toolbox = toolbox
        self._revision = toolbox.shelf.revision if toolbox.shelf is not None else 0
        self._tool_names = frozenset(t.name for t in toolbox.tools)
        self._nouns = {noun.name: noun.model for noun in toolbox.nouns}
        self._warm_up = warm_up_code(self._tool_names)

    def _refresh(self) -> None:
        """Take up tools the session made since the last run (their stubs change the checker)."""
        shelf = self.toolbox.shelf
        if shelf is None or shelf.revision == self._revision:
            return
        self._use(shelf.extend(self.toolbox))
        spare, self._spare = self._spare, None
        if spare is not None:
            spare.add_done_callback(_close_when_done)

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
        # pydantic_monty in the methods that run code, not at the top: `punie plugins` imports
        # this module (model-written tools are checked here) and must not pay for Monty.
        from pydantic_monty import (
            MontyCrashedError,
            MontyError,
            MontyRuntimeError,
            MontySyntaxError,
            MontyTypingError,
        )

        self._refresh()
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
        result = CodeResult(
            ok=error is None,
            stdout=output.text,
            value=value,
            value_text=value_text,
            error=error,
            tool_calls=calls,
            ms=(time.perf_counter() - started) * 1000,
            worker_ms=timing["worker"] * 1000,
        )
        if self.toolbox.shelf is not None and current_call_id() is None:
            # The model's own snippets only: not a made tool's body or a draft's checks.
            self.toolbox.shelf.record_snippet(code, result)
        return result

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
        from pydantic_monty import CollectString  # here, not at the top: see `run`

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
        # Here, not at the top: see `run`.
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
                size = len(compact_json(value).encode())
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
