"""Agent sessions: one conversation with the model in one project, as frontends drive it.

ACP, the web UI and `punie run` all use `Session`: `prompt(text)` runs one turn (streaming
events to subscribers, never raising for model errors), `cancel()` stops it promptly, and the
conversation history carries over from prompt to prompt (and can be restored from the traces
after a restart: `restore_from_traces`). Every prompt is written as one trace record
(`punie_core.agent.traces`). Each Code Mode snippet runs in a fresh sandbox session: no variable
carries over from one snippet to the next (the model passes on what it needs in its code).

`preload()` imports what a prompt needs (pydantic-ai, the OpenAI client, Monty) in a worker
thread; frontends call it early so the first prompt does not stall their event loop.

States: `idle` (new, or after a cancelled prompt) -> `thinking` (waiting for the model) ->
`running_tool` (a tool or snippet runs) -> `waiting_approval` (a permission request is open)
-> ... -> `finished` (the prompt ended normally) or `failed` (it ended with an error).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from punie_core.agent.history import adopt_thinking, usable_history
from punie_core.agent.plans import plan_entries
from punie_core.agent.streaming import PartText
from punie_core.agent.threads import in_daemon_thread
from punie_core.plugins.context import PermissionRequest, Permissions, ToolContext
from punie_core.plugins.events import (
    PlanUpdate,
    PromptFinished,
    PromptStarted,
    StateChanged,
    TextDelta,
    ThinkingDelta,
    ToolCallFinished,
    ToolCallStarted,
)
from punie_core.toolmaking.shelf import ToolShelf

State = Literal["idle", "thinking", "running_tool", "waiting_approval", "finished", "failed"]
StopReason = Literal["end_turn", "cancelled", "max_turn_requests", "refusal", "error"]

# The ACP fast path: the agent answers `initialize` and `session/new` with only this module
# loaded, so what a prompt needs (pydantic-ai, Monty, the model, the toolbox, traces) is imported
# inside the methods that use it, and `preload()` imports it off the event loop meanwhile.
PRELOAD_MODULES = (
    "punie_core.agent.pydantic_agent",
    "punie_core.models.strings",
    "punie_core.agent.recovery",
    "punie_core.agent.traces",
    "punie_core.sandbox.runner",
    "pydantic_ai.models.openai",
    "pydantic_ai.providers.openai",
    "pydantic_monty",
)
"""What a prompt imports (seconds of CPU on a small machine); `preload()` runs it off the loop."""

_preloaded = False


def preload_modules() -> None:
    """Import `PRELOAD_MODULES` (blocking: run it in a worker thread, as `preload` does).

    A module that cannot be imported is skipped: the prompt that needs it reports the error.
    """
    for name in PRELOAD_MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # reported by the prompt that imports it for real
            pass


async def preload() -> None:
    """Import what a prompt needs in a daemon thread, keeping the event loop free meanwhile.

    Frontends call it early (ACP after `session/new`, `punie run` while it builds the context);
    `Session.prompt` awaits it too, so at worst the first prompt waits, never the loop. A
    daemon thread, not the loop's executor: a client that leaves mid-import does not hold up
    the process's exit. Returns at once once the imports are done.
    """
    global _preloaded
    if _preloaded:
        return
    await in_daemon_thread(preload_modules, "punie-preload")
    _preloaded = True


class PromptOutcome(BaseModel):
    """How one prompt ended.

    Attributes:
        output: The model's final answer (the text streamed so far when it did not finish).
        stop_reason: `end_turn`, `cancelled`, `max_turn_requests`, `refusal` or `error`.
        requests: Model requests made.
        tool_calls: Every tool call (direct or from a snippet): tool, arguments, ok, result,
            error, ms, refused.
        usage: `{"input_tokens": int, "output_tokens": int}`.
        trace_id: The id of the trace record written (None when traces are off).
        error: What went wrong, for `error` and `max_turn_requests`.
    """

    output: str = ""
    stop_reason: StopReason = "end_turn"
    requests: int = 0
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    usage: dict[str, int] = Field(default_factory=lambda: {"input_tokens": 0, "output_tokens": 0})
    trace_id: str | None = None
    error: str | None = None


@dataclass
class _TrackedPermissions:
    """Wraps the frontend's policy: shows `waiting_approval` while a person decides."""

    inner: Permissions
    session: Session

    @property
    def hint(self) -> str:
        return getattr(self.inner, "hint", "")

    async def approve(self, request: PermissionRequest) -> bool:
        self.session._requested[request.call_id] = dict(request.arguments)
        previous = self.session.state
        self.session._set_state("waiting_approval")
        try:
            return await self.inner.approve(request)
        finally:
            self.session._set_state(previous if previous != "waiting_approval" else "running_tool")


class Session:
    """One conversation with the model in one project.

    Args:
        cwd: The project directory (the workspace root unless `context` says otherwise).
        model: A Punie model string (`local`, `local:URL`, `mlx:…`, `gguf:…`, `openai:…`), a
            pydantic-ai `Model`, or None for the configured default.
        context: The tool context (files, commands, permissions); a local one that refuses
            writes and commands when omitted.
        toolbox: The merged toolbox; every installed plugin's when omitted.
        session_id: The id to use; a new one when omitted.
        mode: `code` (Code Mode plus direct core tools), `direct` (one tool per turn) or `chat`
            (no tools; chosen automatically for the embedded model).
        traces: Write a trace record per prompt (`PUNIE_TRACES=0` turns it off too).
        request_limit: Model requests allowed per prompt (default: the config's, 50).
        limits: Code Mode limits (`sandbox.results.Limits`; the sandbox's defaults if None).
        history: An earlier conversation to continue (pydantic-ai `ModelMessage`s); see also
            `restore_from_traces`.
        mcp: The session's MCP servers (`punie_core.mcp.McpServers`, started): before each
            prompt the session waits for them to settle and uses the toolbox with their tools.
        settings: Model settings (`temperature`, `max_tokens`) used where the config's
            `[settings]` does not set them (`punie eval` asks for temperature 0).
    """

    preload = staticmethod(preload)

    def __init__(
        self,
        *,
        cwd: str | Path,
        model: str | Any | None = None,
        context: ToolContext | None = None,
        toolbox: Any | None = None,
        session_id: str | None = None,
        mode: Literal["code", "direct", "chat"] = "code",
        traces: bool | None = None,
        request_limit: int | None = None,
        limits: Any = None,
        history: list[Any] | None = None,
        mcp: Any | None = None,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.id = session_id or uuid.uuid4().hex
        self.cwd = Path(cwd).resolve()
        self.mode = mode
        self._model_arg = model
        self.model = (
            model if isinstance(model, str) else (getattr(model, "model_name", None) or "default")
        )
        self.state: State = "idle"
        self.title = "New session"
        base = context or ToolContext.local(self.cwd)
        self._outer_emit = base.emit
        self.context = replace(
            base, emit=self._on_tool_event, permissions=_TrackedPermissions(base.permissions, self)
        )
        # Model-written tools: the project library's join the toolbox now, drafts as made.
        self.shelf = ToolShelf(Path(self.cwd), session_id=self.id, model=self.model)
        self._toolbox = self.shelf.extend(toolbox) if toolbox is not None else None
        self._base_toolbox = self._toolbox  # before MCP tools join it
        self.mcp = mcp
        self._subscribers: list[Callable[[object], None]] = []
        if mcp is not None:
            mcp.subscribe(self._emit)  # `McpServersChanged` reaches the web UI and frontends
        self._history: list[Any] = list(history or [])
        self._settings = dict(settings or {})
        self._restored = False
        self._agent: Any = None
        self.connection: Any = None
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cancelled = False
        self._traces = (
            traces
            if traces is not None
            else os.environ.get("PUNIE_TRACES", "1") not in ("0", "false", "no")
        )
        self._request_limit = request_limit
        self.instructions = ""  # the system prompt, set when the agent is built
        self.tool_format = "tools"  # how the model calls tools, set when the agent is built
        self.limits = limits
        self._sandbox: Any = None
        # Per-prompt records, reset by `prompt`.
        self._calls: list[dict[str, Any]] = []
        self._started_calls: dict[str, dict[str, Any]] = {}
        self._requested: dict[str, dict[str, Any]] = {}
        self._text: list[str] = []
        self._plan: list[dict[str, str]] = []
        # The last `spec_status` per feature: the "before" of a later prompt's statuses.
        self._spec_baseline: dict[str, dict[str, str]] = {}

    # --- subscribers and events ----------------------------------------------------------

    def subscribe(self, callback: Callable[[object], None]) -> Callable[[], None]:
        """Receive every event of this session; returns a function that unsubscribes."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, event: object) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception as exc:  # a broken frontend must not break the prompt
                print(
                    f"punie: event subscriber failed: {type(exc).__name__}: {exc}", file=sys.stderr
                )

    def _set_state(self, state: State) -> None:
        if state != self.state:
            self.state = state
            self._emit(StateChanged(self.id, state))

    def _on_tool_event(self, event: object) -> None:
        if isinstance(event, ToolCallStarted):
            self._started_calls[event.call_id] = dict(event.arguments)
            self._set_state("running_tool")
        elif isinstance(event, ToolCallFinished):
            arguments = self._started_calls.pop(event.call_id, None) or self._requested.pop(
                event.call_id, {}
            )
            self._calls.append(tool_call_record(event, arguments))
        with contextlib.suppress(Exception):
            self._outer_emit(event)
        self._emit(event)

    # --- the model ------------------------------------------------------------------------

    async def connect(self) -> Any:
        """Resolve the model (starting a managed server if needed); the connection is kept.

        Raises:
            ModelUnavailable: The model cannot be reached or started.
        """
        if self.connection is None:
            if self._model_arg is None or isinstance(self._model_arg, str):
                from punie_core.models.connection import connect

                self.connection = await connect(self._model_arg)
                self.model = self.connection.label
            else:
                from punie_core.models.connection import Connection
                from punie_core.models.strings import ModelSpec

                name = getattr(self._model_arg, "model_name", "custom")
                self.connection = Connection(
                    self._model_arg, str(name), ModelSpec(str(name), "pydantic-ai")
                )
        return self.connection

    def _agent_for(self, connection: Any) -> Any:
        if self._agent is None:
            from punie_core.agent.pydantic_agent import create_pydantic_agent

            if self._toolbox is None:
                from punie_core.plugins.loader import load_toolbox

                self._toolbox = self.shelf.extend(load_toolbox())
            from punie_core.agent.pydantic_agent import EMBEDDED_SETTINGS, instructions_for
            from punie_core.models.config import load_config

            settings = {**self._settings, **load_config().settings}
            if getattr(connection, "embedded", False):
                # The embedded 135M model cannot call tools: it answers from a project overview.
                self.mode = "chat"
                settings = {**EMBEDDED_SETTINGS, **settings}
            self.tool_format = tool_format_for(connection)
            self.instructions = instructions_for(
                self._toolbox,  # type: ignore[arg-type]
                self.mode,  # type: ignore[arg-type]
                self.cwd,
                self.tool_format,
            )
            self._agent = create_pydantic_agent(
                connection.model,
                toolbox=self._toolbox,
                mode=self.mode,  # type: ignore[arg-type]
                model_settings=settings,
                instructions=self.instructions,
                tool_format=self.tool_format,
            )
        return self._agent

    async def _use_mcp_tools(self) -> None:
        """Wait (bounded) for the MCP servers to settle, then use the toolbox with their tools.

        `McpServers.toolbox` returns the same object while the tools do not change, so the
        agent, the sandbox and the prompt bytes are kept; a change rebuilds them.
        """
        if self._base_toolbox is None:
            self._base_toolbox = self._toolbox
        await self.mcp.settle(self.mcp.settle_timeout)
        toolbox = self.mcp.toolbox(self._base_toolbox)
        if toolbox is not self._toolbox:
            self._toolbox = toolbox
            self._agent = None
            sandbox, self._sandbox = self._sandbox, None
            if sandbox is not None:
                with contextlib.suppress(Exception):
                    await sandbox.aclose()

    def _sandbox_for(self, toolbox: Any) -> Any:
        if self._sandbox is None:
            from punie_core.sandbox.runner import Sandbox

            self._sandbox = Sandbox(toolbox, self.limits)
        return self._sandbox

    async def aclose(self) -> None:
        """Release the session's sandbox worker (idempotent; the session stays usable)."""
        sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            await sandbox.aclose()

    @property
    def toolbox(self) -> Any:
        if self._toolbox is None:
            from punie_core.plugins.loader import load_toolbox

            self._toolbox = self.shelf.extend(load_toolbox())
        return self._toolbox

    # --- the conversation -------------------------------------------------------------------

    @property
    def history(self) -> list[Any]:
        """The conversation so far (pydantic-ai `ModelMessage`s), sent with the next prompt."""
        return list(self._history)

    def restore_from_traces(self, records: Iterable[dict[str, Any]]) -> int:
        """Continue a stored conversation: the next prompt sends its messages to the model again.

        Each trace record's `messages` holds the whole conversation up to that prompt (OpenAI
        chat format), so the newest record that has messages is enough; records are ordered
        by `started`. The system prompt is not restored: the agent sends its own.

        Args:
            records: This session's trace records (`punie_core.agent.traces.read_traces`).

        Returns:
            How many messages were restored (0 when no record carries any).

        Raises:
            RuntimeError: A prompt of this session is running.
        """
        if self._task is not None and not self._task.done():
            raise RuntimeError(f"session {self.id} is running a prompt")
        from punie_core.agent.traces import messages_from_chat

        ordered = sorted(
            (r for r in records if isinstance(r, dict)), key=lambda r: str(r.get("started") or "")
        )
        if ordered and self.title == "New session" and ordered[0].get("query"):
            self._title_from(str(ordered[0]["query"]))
        latest = next((r for r in reversed(ordered) if r.get("messages")), None)
        if latest is None:
            return 0
        self._history = messages_from_chat(latest["messages"])
        self._restored = True  # its thinking gets the model's provider name once connected
        return len(self._history)

    def _title_from(self, text: str) -> None:
        first = " ".join(text.split())
        self.title = first if len(first) <= 60 else first[:59] + "…"

    def _note_plan(self, text: str) -> None:
        """Show the plan the model stated in `text`, if any and if it changed."""
        entries = plan_entries(text)
        if entries and entries != self._plan:
            self._plan = entries
            self._emit(PlanUpdate(self.id, [dict(e) for e in entries]))

    # --- prompts ----------------------------------------------------------------------------

    async def prompt(self, text: str) -> PromptOutcome:
        """Run one turn: the model answers `text`, calling tools as it needs.

        Never raises for model, server or tool errors: they end the prompt with
        `stop_reason="error"` and a message. Cancelling the caller's task still cancels.

        Raises:
            RuntimeError: Another prompt of this session is still running.
        """
        if self._task is not None and not self._task.done():
            raise RuntimeError(f"session {self.id} is already running a prompt")
        self._loop = asyncio.get_running_loop()
        self._cancelled = False
        if self.title == "New session":
            self._title_from(text)
        self._task = asyncio.create_task(self._run(text))
        try:
            return await asyncio.shield(self._task)
        except asyncio.CancelledError:
            if self._cancelled and self._task.cancelled():
                # `Session.cancel` came before the run started: nothing ran.
                outcome = PromptOutcome(stop_reason="cancelled")
                self._set_state("idle")
                self._emit(_finished(self.id, outcome))
                return outcome
            # Our caller was cancelled (not `Session.cancel`): stop the run too, then re-raise.
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
            raise

    def cancel(self) -> None:
        """Stop the running prompt (model request and snippet); it ends with `cancelled`."""
        task = self._task
        if task is None or task.done():
            return
        self._cancelled = True
        loop = self._loop
        if loop is None:
            task.cancel()
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            task.cancel()
        else:
            loop.call_soon_threadsafe(task.cancel)

    async def _run(self, text: str) -> PromptOutcome:
        from punie_core.agent.traces import now_iso

        started_iso = now_iso()
        started = time.perf_counter()
        self._calls, self._started_calls, self._requested, self._text = [], {}, {}, []
        self._plan = []
        self._emit(PromptStarted(self.id, text))
        self._set_state("thinking")
        # The imports and the plugins take seconds the first time: off the loop, which must
        # keep streaming other sessions' updates and answering cancels meanwhile. (A cancel
        # here is answered by `prompt`: nothing ran yet.)
        await preload()
        if self._toolbox is None:
            from punie_core.plugins.loader import load_toolbox

            # If loading fails here, `_agent_for` loads again below and reports the error.
            with contextlib.suppress(Exception):
                loaded = await in_daemon_thread(load_toolbox, "punie-load-toolbox")
                self._toolbox = self.shelf.extend(loaded)
        if self.mcp is not None and self._toolbox is not None:
            await self._use_mcp_tools()
        from punie_core.agent.pydantic_agent import RunDeps

        deps = RunDeps(
            session_id=self.id,
            context=self.context,
            toolbox=None,  # type: ignore[arg-type] - set once the toolbox is loaded below
            emit=self._emit,
            limits=self.limits,
            on_request=lambda: self._set_state("thinking"),
            user_text=text,
        )
        messages: list[Any] = []
        outcome = PromptOutcome()
        system_prompt = ""
        try:
            connection = await self.connect()
            agent = self._agent_for(connection)
            deps.nudges = nudges_for(connection)
            deps.tool_format = self.tool_format
            if self._restored:
                self._history = adopt_thinking(self._history, connection.model)
                self._restored = False
            deps.toolbox = self._toolbox
            if self.mode == "code":
                toolbox = self._toolbox
                deps.sandbox = lambda: self._sandbox_for(toolbox)
            system_prompt = self.instructions
            outcome = await self._run_agent(agent, text, deps, messages)
        except asyncio.CancelledError:
            if not self._cancelled:
                raise
            outcome = PromptOutcome(output="".join(self._text), stop_reason="cancelled")
            self._history = usable_history(messages) if messages else self._history
        except Exception as exc:
            outcome = PromptOutcome(
                output="".join(self._text), stop_reason=_stop_reason(exc), error=_describe(exc)
            )
            managed = getattr(self.connection, "managed", None)
            if managed is not None and not managed.alive():
                # The server Punie started died: say why, and start a new one next prompt.
                outcome.error = f"{outcome.error}\nThe model server exited:\n{managed.error_text()}"
                self.connection, self._agent = None, None
            if messages:
                self._history = usable_history(messages)
        outcome.requests = deps.requests
        outcome.usage = {"input_tokens": deps.input_tokens, "output_tokens": deps.output_tokens}
        outcome.tool_calls = list(self._calls)
        finished_iso = now_iso()
        if self._traces:
            outcome.trace_id = self._write_trace(
                text, outcome, deps, messages, system_prompt, started_iso, finished_iso, started
            )
        self._set_state(
            "finished"
            if outcome.stop_reason in ("end_turn", "max_turn_requests", "refusal")
            else "idle"
            if outcome.stop_reason == "cancelled"
            else "failed"
        )
        self._emit(_finished(self.id, outcome))
        return outcome

    async def _run_agent(
        self, agent: Any, text: str, deps: Any, messages: list[Any]
    ) -> PromptOutcome:
        from pydantic_ai import capture_run_messages
        from pydantic_ai.usage import UsageLimits

        from punie_core.models.config import load_config

        limit = self._request_limit or load_config().request_limit
        view = _StreamView(self, text)

        async def on_events(ctx: Any, stream: Any) -> None:
            async for event in stream:
                view.handle(event)

        with capture_run_messages() as captured:
            try:
                result = await agent.run(
                    text,
                    deps=deps,
                    message_history=self._history or None,
                    usage_limits=UsageLimits(request_limit=limit),
                    event_stream_handler=on_events,
                )
            finally:
                messages[:] = list(captured)
        self._history = result.all_messages()
        messages[:] = list(self._history)
        return PromptOutcome(output=str(result.output), stop_reason="end_turn")

    def _write_trace(
        self,
        query: str,
        outcome: PromptOutcome,
        deps: Any,
        messages: list[Any],
        system_prompt: str,
        started_iso: str,
        finished_iso: str,
        started: float,
    ) -> str | None:
        from punie_core.agent.traces import append_trace, chat_messages

        trace_id = uuid.uuid4().hex
        # Tool calls from snippets arrive here too (as tool events), results included.
        findings = [f for call in self._calls for f in _findings(call.get("result"))]
        record = {
            "schema": 1,
            "id": trace_id,
            "session_id": self.id,
            "started": started_iso,
            "finished": finished_iso,
            "model": self.model,
            "cwd": str(self.cwd),
            "query": query,
            "system_prompt": system_prompt,
            # `blocks`: no tool definition was sent; the model wrote its calls as ```python
            # blocks and read results as `Output:` turns (`agent.code_blocks`).
            "tool_format": deps.tool_format,
            "tools": deps.tool_definitions if deps.tool_format == "tools" else [],
            "messages": chat_messages(messages, system_prompt),
            "snippets": deps.snippets,
            "tool_calls": outcome.tool_calls,
            "validation": {"findings": findings, "passed": not findings},
            "retries": deps.retries,
            "recovered_tool_calls": deps.recovered,
            "outcome": outcome.stop_reason,
            "error": outcome.error,
            "output": outcome.output,
            "usage": {
                "input_tokens": deps.input_tokens,
                "output_tokens": deps.output_tokens,
                "requests": deps.requests,
            },
            "timings": {
                "total_ms": round((time.perf_counter() - started) * 1000, 3),
                "model_ms": round(deps.model_ms, 3),
                "tool_ms": round(deps.tool_ms, 3),
            },
            "validation_passed": not findings,
        }
        record.update(self._spec_fields(outcome, deps))
        record.update(self.shelf.take_trace_record())
        secrets = getattr(self.connection, "secrets", ()) if self.connection is not None else ()
        if self.mcp is not None:  # MCP servers' env values and headers, should one slip through
            secrets = [*secrets, *self.mcp.secret_values()]
        try:
            append_trace(record, secrets=secrets)
        except OSError as exc:  # a full disk must not lose the answer
            print(f"punie: could not write the trace: {exc}", file=sys.stderr)
            return None
        return trace_id

    def _spec_fields(self, outcome: PromptOutcome, deps: Any) -> dict[str, Any]:
        """The trace's spec keys: active feature, requirement ids touched, `spec_status` seen."""
        from punie_core.specs.traces import trace_fields

        code = [s.get("code", "") for s in deps.snippets if isinstance(s, dict)]
        try:
            return trace_fields(
                Path(self.cwd), outcome.tool_calls, [*code, outcome.output], self._spec_baseline
            )
        except (OSError, ValueError):  # an unreadable spec folder must not cost the trace
            return {"feature": None, "requirements": [], "spec_status": None}


class _StreamView:
    """Turns pydantic-ai stream events into session events (text, thinking, states)."""

    def __init__(self, session: Session, prompt: str = "") -> None:
        self.session = session
        self.prompt = prompt
        self.parts: dict[int, PartText] = {}

    def handle(self, event: Any) -> None:
        kind = getattr(event, "event_kind", "")
        session = self.session
        if kind == "part_start":
            part = event.part
            if part.part_kind == "text":
                self.parts[event.index] = PartText()
                self._text(event.index, part.content)
            elif part.part_kind == "thinking" and part.content:
                session._emit(ThinkingDelta(session.id, part.content))
        elif kind == "part_delta":
            delta = event.delta
            if delta.part_delta_kind == "text":
                self._text(event.index, delta.content_delta)
            elif delta.part_delta_kind == "thinking" and delta.content_delta:
                session._emit(ThinkingDelta(session.id, delta.content_delta))
        elif kind == "part_end" and event.part.part_kind == "text":
            part_text = self.parts.pop(event.index, None)
            if part_text is not None:
                self._show(part_text.end(self._tool_names(), self.prompt))
            session._note_plan(event.part.content)
        elif kind == "function_tool_call":
            session._set_state("running_tool")

    def _tool_names(self) -> list[str]:
        toolbox = self.session._toolbox
        names = [t.name for t in toolbox.tools] if toolbox is not None else []
        return [*names, "execute_code"]

    def _text(self, index: int, piece: str) -> None:
        if piece:
            self._show(self.parts.setdefault(index, PartText()).feed(piece))

    def _show(self, text: str) -> None:
        if text:
            self.session._text.append(text)
            self.session._emit(TextDelta(self.session.id, text))


def _finished(session_id: str, outcome: PromptOutcome) -> PromptFinished:
    return PromptFinished(session_id, outcome)


def _findings(result: Any) -> list[Any]:
    """Validator findings a tool result carries (`findings` or `diagnostics`, as after a write)."""
    if isinstance(result, dict):
        found = result.get("findings") or result.get("diagnostics")
        if isinstance(found, list):
            return found
    return []


def tool_call_record(finished: ToolCallFinished, arguments: dict[str, Any]) -> dict[str, Any]:
    """One tool call as outcomes, traces and evals record it (`PromptOutcome.tool_calls`)."""
    from punie_core.agent.traces import to_jsonable

    return {
        "tool": finished.tool,
        "arguments": to_jsonable(arguments),
        "ok": finished.ok,
        "result": to_jsonable(finished.result),
        "error": finished.error,
        "ms": round(finished.ms, 3),
        "refused": finished.refused,
    }


def nudges_for(connection: Any) -> bool:
    """Whether to nudge a model that shows code or guesses before any tool ran (see
    `pydantic_agent.recover_response`): the config's `nudges`, else on for the small local models
    Punie serves itself (`gguf:`, `mlx:`), off for others (a capable model answering from the
    context it was given must not pay an extra request)."""
    from punie_core.models.config import load_config

    configured = load_config().nudges
    return (
        configured if configured is not None else getattr(connection, "managed", None) is not None
    )


def tool_format_for(connection: Any) -> str:
    """How the model calls tools in Code Mode (`punie_core.agent.code_blocks`): the config's
    `tool_format`, else `blocks` for the small local models Punie serves itself (they write
    ```python blocks far more reliably than tool calls), `tools` for other servers."""
    from punie_core.models.config import load_config

    configured = load_config().tool_format
    if configured is not None:
        return configured
    return "blocks" if getattr(connection, "managed", None) is not None else "tools"


def _stop_reason(exc: BaseException) -> StopReason:
    name = type(exc).__name__
    if name == "UsageLimitExceeded":
        return "max_turn_requests"
    if name == "ContentFilterError":
        return "refusal"
    return "error"


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    if name in ("ModelUnavailable", "ConfigError", "RepeatedCallStopped"):
        return str(exc)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        body = getattr(exc, "body", None)
        if isinstance(body, dict):
            error = body.get("error", body)
            body = error.get("message", error) if isinstance(error, dict) else error
        return f"the model server answered HTTP {status}: {body or exc}"
    if name in ("APIConnectionError", "ConnectError", "ModelAPIError") or "Connection" in name:
        return f"lost the connection to the model server: {exc}"
    if name == "UnexpectedModelBehavior":
        return f"the model kept producing unusable replies: {exc}"
    return f"{name}: {exc}"
