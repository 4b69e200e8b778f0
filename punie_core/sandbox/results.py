"""What a Code Mode snippet may use and produced: limits, results, errors from Monty's."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field

MiB = 1024 * 1024
KiB = 1024

SCRIPT_NAME = "snippet.py"
"""The file name type-check diagnostics use (`snippet.py:3:5: error[...]`)."""

NOT_RUN = frozenset({"TypeCheckError", "SyntaxError"})


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
            shown = self.value if isinstance(self.value, str) else compact_json(self.value)
            parts.append(f"=> {shown}")
        error = self.error
        if error is not None:
            if error.did_not_run:
                parts.append(
                    f"{error.type}: the code did not run. Fix it and run it again.\n"
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


def compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=repr)


class SnippetFailed(Exception):
    """Ends a snippet from the host side with a `SnippetError` (limits, conversions)."""

    def __init__(self, error: SnippetError) -> None:
        super().__init__(error.message)
        self.error = error


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
