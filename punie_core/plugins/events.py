"""Events the host emits while tools and agents run; frontends and traces consume them."""

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


# Agent session events (`punie_core.agent.session`): every subscriber of a `Session` receives these,
# plus the tool events above forwarded from the session's `ToolContext`.


@dataclass(frozen=True)
class PromptStarted:
    """A prompt began.

    Attributes:
        session_id: The session.
        text: The user's prompt.
    """

    session_id: str
    text: str


@dataclass(frozen=True)
class TextDelta:
    """A piece of the model's answer text, as it streams in."""

    session_id: str
    text: str


@dataclass(frozen=True)
class ThinkingDelta:
    """A piece of the model's thinking (reasoning), as it streams in."""

    session_id: str
    text: str


@dataclass(frozen=True)
class SnippetStarted:
    """A Code Mode snippet is about to run.

    Attributes:
        session_id: The session.
        call_id: The model's `execute_code` tool call id.
        code: The snippet.
    """

    session_id: str
    call_id: str
    code: str


@dataclass(frozen=True)
class SnippetFinished:
    """A Code Mode snippet ended.

    Attributes:
        session_id: The session.
        call_id: The model's `execute_code` tool call id.
        result: The sandbox's `CodeResult`.
    """

    session_id: str
    call_id: str
    result: Any


@dataclass(frozen=True)
class UsageUpdate:
    """Token usage so far in this prompt (after each model request)."""

    session_id: str
    input_tokens: int
    output_tokens: int
    requests: int


@dataclass(frozen=True)
class PlanUpdate:
    """The agent's plan changed (entries: `{"content", "status", "priority"}` as in ACP)."""

    session_id: str
    entries: list[dict[str, Any]]


@dataclass(frozen=True)
class StateChanged:
    """The session moved to another state (`idle`, `thinking`, `running_tool`, ...)."""

    session_id: str
    state: str


@dataclass(frozen=True)
class PromptFinished:
    """A prompt ended; `outcome` is its `PromptOutcome`."""

    session_id: str
    outcome: Any
