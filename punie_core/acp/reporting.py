"""Turns a session's events into ACP `session/update` notifications, in order.

Every tool call (one the model calls directly, or one called inside a Code Mode snippet) is
shown as a `tool_call` followed by `tool_call_update`s (in progress, then completed or
failed) with a readable title, its kind, the files it touches, and content: a diff for edits,
the terminal or the output for commands. Snippets are tool calls too (their code, then their
result). Text streams as `agent_message_chunk`, thinking as `agent_thought_chunk`, plans as
`plan` and token counts as `usage_update`.

Events arrive synchronously from the session (`handle`); a single sender task sends the
updates in arrival order, so a permission request (which calls `flush` first) never overtakes
the text before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from acp import (
    plan_entry,
    start_tool_call,
    text_block,
    tool_content,
    tool_diff_content,
    tool_terminal_ref,
    update_agent_message_text,
    update_agent_thought_text,
    update_plan,
    update_tool_call,
)
from acp.schema import ToolCallLocation, ToolKind, UsageUpdate
from pydantic import BaseModel

from punie_core.plugins import events
from punie_core.plugins.context import CommandResult, PermissionRequest
from punie_core.security.workspace import read_regular_text

log = logging.getLogger("punie.acp")

ACP_KINDS = frozenset(
    {
        "read",
        "edit",
        "delete",
        "move",
        "search",
        "execute",
        "think",
        "fetch",
        "switch_mode",
        "other",
    }
)
CHANGING_KINDS = frozenset({"edit", "delete", "move"})
DIFF_LIMIT = 256 * 1024
"""Files larger than this are not shown as diffs (the IDE would choke on them)."""
TEXT_LIMIT = 16 * 1024
"""Longest tool result text shown in the IDE."""
DEFAULT_CONTEXT_WINDOW = 32768


def tool_call_id(call_id: str) -> str:
    """The ACP id of a toolbox call (prefixed: model call ids and toolbox ids share no space)."""
    return f"tool-{call_id}"


def snippet_call_id(call_id: str) -> str:
    """The ACP id of a Code Mode snippet (the model's `execute_code` call)."""
    return f"code-{call_id}"


def acp_kind(kind: str) -> ToolKind:
    """The ACP tool kind for a Punie tool kind (`other` for anything ACP does not name)."""
    return cast("ToolKind", kind) if kind in ACP_KINDS else "other"


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    return (
        text if len(text) <= limit else text[:limit] + f"\n… ({len(text) - limit} more characters)"
    )


def shown_arguments(arguments: dict[str, Any]) -> dict[str, Any]:
    """Arguments for `rawInput`: JSON-friendly, long strings clipped."""
    shown: dict[str, Any] = {}
    for key, value in arguments.items():
        if isinstance(value, str):
            shown[key] = clip(value, 4096)
        elif isinstance(value, int | float | bool) or value is None:
            shown[key] = value
        elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            shown[key] = list(value)
        else:
            shown[key] = clip(repr(value), 4096)
    return shown


def result_text(result: Any) -> str:
    """How a tool's result reads in the IDE."""
    if result is None:
        return "done"
    if isinstance(result, str):
        return result
    if isinstance(result, BaseModel) and type(result).__str__ is BaseModel.__str__:
        return result.model_dump_json(indent=2)
    if isinstance(result, list | tuple) and all(isinstance(r, str) for r in result):
        return "\n".join(result) if result else "(none)"
    return str(result)


def read_small(path: Path) -> str | None:
    """The text of a local file, or None when it is missing, binary or too large to diff."""
    try:
        # Non-blocking open and a check of the open file: a FIFO at the target must not
        # freeze the event loop this runs on.
        return read_regular_text(path, DIFF_LIMIT)
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def context_window() -> int:
    """The model's context size for `usage_update` (`PUNIE_CONTEXT_WINDOW`, default 32768)."""
    try:
        return max(1, int(os.environ.get("PUNIE_CONTEXT_WINDOW", DEFAULT_CONTEXT_WINDOW)))
    except ValueError:
        return DEFAULT_CONTEXT_WINDOW


@dataclass
class _Call:
    """What the reporter knows of one toolbox call."""

    acp_id: str
    kind: str
    paths: tuple[Path, ...] = ()
    before: dict[Path, str | None] = field(default_factory=dict)
    new_text: str | None = None
    title: str | None = None
    terminal: str | None = None
    started: bool = False
    done: bool = False


class ToolCallReporter:
    """Sends one ACP session's updates.

    Args:
        session_id: The ACP session.
        client: The SDK's connection to the client (`session_update`).
        root: The session's working directory (tool paths are relative to it).
    """

    def __init__(self, session_id: str, client: Any, root: Path) -> None:
        self.session_id = session_id
        self.client = client
        self.root = root
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._calls: dict[str, _Call] = {}
        self._announced: dict[str, None] = {}  # shown and not finished yet, in order
        self._usage = (0, 0)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the sender task (in the running loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="punie-acp-updates"
            )

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def handle(self, event: object) -> None:
        """Take one session event (synchronously, in the order they happen)."""
        if isinstance(event, events.ToolCallStarted):
            # Capture the files before the tool runs: the event comes right before it does.
            call = self._call(event.call_id, event.kind, event.paths)
            call.started = True
            if call.kind in CHANGING_KINDS:
                for path in call.paths:
                    call.before.setdefault(path, read_small(path))
        elif isinstance(event, events.ToolCallFinished) and event.call_id in self._calls:
            self._calls[event.call_id].done = True
        self._queue.put_nowait(event)

    async def send(self, update: Any) -> None:
        """Send one update now (after everything queued before it)."""
        await self.flush()
        await self._send(update)

    async def flush(self) -> None:
        """Wait until every queued event has been sent."""
        if self._task is None or self._task.done():
            while not self._queue.empty():
                await self._deliver(self._queue.get_nowait())
                self._queue.task_done()
            return
        await self._queue.join()

    def running_command_call(self) -> str | None:
        """The ACP id of the one command (`execute` tool call) running now, if exactly one is."""
        running = [
            c for c in self._calls.values() if c.started and not c.done and c.kind == "execute"
        ]
        return running[0].acp_id if len(running) == 1 else None

    async def attach_terminal(self, acp_id: str, terminal_id: str) -> None:
        """Show an IDE terminal in a tool call (live output while the command runs)."""
        for call in self._calls.values():
            if call.acp_id == acp_id:
                call.terminal = terminal_id
        await self.send(
            update_tool_call(acp_id, status="in_progress", content=[tool_terminal_ref(terminal_id)])
        )

    def remember(self, request: PermissionRequest) -> None:
        """Note a call that asks for permission (its title and kind, should it be refused)."""
        call = self._call(request.call_id, request.kind, request.paths)
        call.title = request.title

    async def announce(self, request: PermissionRequest) -> str:
        """Show a call that waits for permission (pending, with its diff); return its id."""
        call = self._call(request.call_id, request.kind, request.paths)
        content = self._pending_content(call, request.arguments) or self._edits_content(request)
        update = start_tool_call(
            call.acp_id,
            request.title,
            kind=acp_kind(request.kind),
            status="pending",
            content=content or None,
            locations=[ToolCallLocation(path=str(p)) for p in call.paths] or None,
            raw_input=shown_arguments(request.arguments),
        )
        await self.send(update)
        self._announced[call.acp_id] = None
        return call.acp_id

    async def close_open(self, reason: str) -> None:
        """Mark every call still shown as running failed (the prompt ended without finishing it)."""
        await self.flush()
        for acp_id in list(self._announced):
            await self._send(
                update_tool_call(
                    acp_id, status="failed", content=[tool_content(text_block(reason))]
                )
            )
        self._announced.clear()
        self._calls.clear()

    # -- internals -----------------------------------------------------------------------------

    def _call(self, call_id: str, kind: str, paths: tuple[str, ...]) -> _Call:
        call = self._calls.get(call_id)
        if call is None:
            absolute = tuple((self.root / p).resolve() for p in paths if p != ".")
            call = _Call(acp_id=tool_call_id(call_id), kind=acp_kind(kind), paths=absolute)
            self._calls[call_id] = call
        return call

    def _edits_content(self, request: PermissionRequest) -> list[Any]:
        """A diff per file of a call that writes several at once (a refactoring plan)."""
        diffs = []
        for relative, new_text in request.edits.items():
            path = (self.root / relative).resolve()
            diffs.append(tool_diff_content(str(path), new_text, read_small(path)))
        return diffs

    def _pending_content(self, call: _Call, arguments: dict[str, Any]) -> list[Any]:
        new_text = arguments.get("content")
        if call.kind == "edit" and len(call.paths) == 1 and isinstance(new_text, str):
            path = call.paths[0]
            old = call.before.setdefault(path, read_small(path))
            call.new_text = new_text
            return [tool_diff_content(str(path), new_text, old)]
        return []

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self._deliver(event)
            except Exception:
                log.exception("could not send a session update for %r", type(event).__name__)
            finally:
                self._queue.task_done()

    async def _deliver(self, event: object) -> None:
        for update in self._updates(event):
            await self._send(update)

    async def _send(self, update: Any) -> None:
        try:
            await self.client.session_update(session_id=self.session_id, update=update)
        except ConnectionError:
            log.debug("client gone; dropped a %s update", type(update).__name__)

    def _updates(self, event: object) -> list[Any]:
        if isinstance(event, events.TextDelta):
            return [update_agent_message_text(event.text)] if event.text else []
        if isinstance(event, events.ThinkingDelta):
            return [update_agent_thought_text(event.text)] if event.text else []
        if isinstance(event, events.ToolCallStarted):
            return self._started(event)
        if isinstance(event, events.ToolCallFinished):
            return self._finished(event)
        if isinstance(event, events.SnippetStarted):
            self._announced[snippet_call_id(event.call_id)] = None
            return [
                start_tool_call(
                    snippet_call_id(event.call_id),
                    "Run Python (Code Mode)",
                    kind="execute",
                    status="in_progress",
                    content=[tool_content(text_block(f"```python\n{event.code.rstrip()}\n```"))],
                    raw_input={"code": event.code},
                )
            ]
        if isinstance(event, events.SnippetFinished):
            self._announced.pop(snippet_call_id(event.call_id), None)
            return [self._snippet_finished(event)]
        if isinstance(event, events.PlanUpdate):
            return [update_plan([self._plan_entry(e) for e in event.entries])]
        if isinstance(event, events.PromptStarted):
            self._usage = (0, 0)
            return []
        if isinstance(event, events.UsageUpdate):
            # The counts add up over the prompt's requests; the last request's own input and
            # output are what fills the context window now.
            last_in, last_out = self._usage
            self._usage = (event.input_tokens, event.output_tokens)
            used = max(0, event.input_tokens - last_in) + max(0, event.output_tokens - last_out)
            return [
                UsageUpdate(
                    session_update="usage_update", used=used, size=max(used, context_window())
                )
            ]
        return []

    def _started(self, event: events.ToolCallStarted) -> list[Any]:
        call = self._call(event.call_id, event.kind, event.paths)
        if call.acp_id in self._announced:
            return [update_tool_call(call.acp_id, status="in_progress")]
        self._announced[call.acp_id] = None
        return [
            start_tool_call(
                call.acp_id,
                event.title,
                kind=acp_kind(event.kind),
                status="pending",
                content=self._pending_content(call, event.arguments) or None,
                locations=[ToolCallLocation(path=str(p)) for p in call.paths] or None,
                raw_input=shown_arguments(event.arguments),
            ),
            update_tool_call(call.acp_id, status="in_progress"),
        ]

    def _finished(self, event: events.ToolCallFinished) -> list[Any]:
        call = self._calls.pop(event.call_id, None)
        updates: list[Any] = []
        if call is None or call.acp_id not in self._announced:
            # Refused before it started (bad path, bad arguments): still show it, as failed.
            call = call or _Call(acp_id=tool_call_id(event.call_id), kind="other")
            self._announced[call.acp_id] = None
            updates.append(
                start_tool_call(
                    call.acp_id,
                    call.title or event.tool,
                    kind=acp_kind(call.kind),
                    status="pending",
                    locations=[ToolCallLocation(path=str(p)) for p in call.paths] or None,
                )
            )
        self._announced.pop(call.acp_id, None)
        if not event.ok:
            text = event.error or "failed"
            if event.refused:
                text = f"Not run: {text}"
            updates.append(
                update_tool_call(
                    call.acp_id,
                    status="failed",
                    content=[tool_content(text_block(clip(text)))],
                    raw_output={"error": event.error, "refused": event.refused},
                )
            )
            return updates
        updates.append(
            update_tool_call(
                call.acp_id, status="completed", content=self._result_content(call, event.result)
            )
        )
        return updates

    def _result_content(self, call: _Call, result: Any) -> list[Any]:
        content: list[Any] = []
        if call.kind in CHANGING_KINDS:
            for path in call.paths:
                new = (
                    call.new_text
                    if len(call.paths) == 1 and call.new_text is not None
                    else read_small(path)
                )
                old = call.before.get(path)
                if new is not None and new != old:
                    content.append(tool_diff_content(str(path), new, old))
        if call.terminal is not None:
            content.append(tool_terminal_ref(call.terminal))
            if isinstance(result, CommandResult):
                status = "timed out" if result.exit_code is None else f"exit {result.exit_code}"
                content.append(tool_content(text_block(status)))
            return content
        content.append(tool_content(text_block(clip(result_text(result)))))
        return content

    def _snippet_finished(self, event: events.SnippetFinished) -> Any:
        result = event.result
        ok = bool(getattr(result, "ok", False))
        try:
            text = result.for_model()
        except Exception:
            text = str(result)
        return update_tool_call(
            snippet_call_id(event.call_id),
            status="completed" if ok else "failed",
            content=[tool_content(text_block(clip(text)))],
        )

    @staticmethod
    def _plan_entry(entry: Any) -> Any:
        if isinstance(entry, str):
            return plan_entry(entry)
        content = str(entry.get("content") or entry.get("step") or entry)
        priority = entry.get("priority", "medium")
        status = entry.get("status", "pending")
        return plan_entry(
            content,
            priority=priority if priority in ("high", "medium", "low") else "medium",
            status=status if status in ("pending", "in_progress", "completed") else "pending",
        )
