"""Events the host emits while tools and agents run; frontends (ACP, web UI, traces, terminal) consume them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ToolCallStarted:
    """A tool call passed its checks (and permission) and is about to run.

    Attributes:
        call_id: Unique id of this call.
        tool: Tool name.
        kind: ACP tool kind.
        title: One readable line for people.
        arguments: The arguments as given.
        paths: Workspace-relative paths named by the arguments.
    """

    call_id: str
    tool: str
    kind: str
    title: str
    arguments: dict[str, Any]
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class ToolCallFinished:
    """A tool call ended.

    Attributes:
        call_id: The id from `ToolCallStarted` (or of a call refused before it started).
        tool: Tool name.
        ok: True when it returned, False when it raised or was refused.
        result: The returned value (a Pydantic noun, a str, ...) when ok.
        error: `"ExceptionType: message"` when not ok.
        ms: Duration in milliseconds.
        refused: True when the call never ran (permission refused, bad path, bad arguments).
    """

    call_id: str
    tool: str
    ok: bool
    result: Any = None
    error: str | None = None
    ms: float = 0.0
    refused: bool = False
    details: dict[str, Any] = field(default_factory=dict)
