"""The training collector: one JSONL record per prompt under `$PUNIE_HOME/traces/`.

Appends are crash-safe: each record is one `write()` of a complete line to a file opened with
`O_APPEND`, under an exclusive lock, followed by `fsync`. A crash can at worst leave a torn
*last* line; the next append starts on a fresh line, and `read_traces` skips a torn line with a
warning. Secrets never reach the file: values of environment variables whose names look like
keys, tokens, secrets or passwords, and the model's API key, are replaced before writing.
The record schema is documented in docs/traces.md.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from punie_core.models.config import punie_home

SCHEMA = 1
REDACTED = "[REDACTED]"
SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|AUTH", re.I)
MIN_SECRET_LENGTH = 6  # shorter values ("1", "yes") would redact ordinary words


class TornTraceWarning(UserWarning):
    """A trace line could not be read (a crash while writing it) and was skipped."""


def traces_dir() -> Path:
    """`$PUNIE_HOME/traces`."""
    return punie_home() / "traces"


def now_iso() -> str:
    """The current time as an ISO 8601 UTC string."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def environment_secrets(environ: dict[str, str] | None = None) -> list[str]:
    """Values of environment variables whose names look like secrets."""
    environ = dict(os.environ if environ is None else environ)
    return [v for k, v in environ.items() if SECRET_NAME.search(k) and len(v) >= MIN_SECRET_LENGTH]


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (raw and JSON-escaped) in `text`."""
    for secret in sorted(
        {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
    ):
        escaped = json.dumps(secret)[1:-1]
        text = text.replace(secret, REDACTED)
        if escaped != secret:
            text = text.replace(escaped, REDACTED)
    return text


def to_jsonable(value: Any) -> Any:
    """A JSON-ready copy: Pydantic models dumped, dataclasses and paths made plain."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "model_dump"):
        try:
            return to_jsonable(value.model_dump(mode="json"))
        except Exception:
            return str(value)
    if hasattr(value, "__dataclass_fields__"):
        try:
            return to_jsonable(asdict(value))
        except Exception:
            return str(value)
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", errors="replace")
    return str(value)


def encode_record(record: dict[str, Any], secrets: Iterable[str] = ()) -> bytes:
    """One redacted JSON line (UTF-8, ending in a newline)."""
    text = json.dumps(to_jsonable(record), ensure_ascii=False, separators=(",", ":"))
    # Lone surrogates (undecodable bytes in a file name or a prompt) cannot be UTF-8: a trace
    # must still be written, so they become "?".
    line = redact_text(text, [*environment_secrets(), *secrets]) + "\n"
    return line.encode("utf-8", "replace")


def trace_path(directory: Path | None = None) -> Path:
    """Today's trace file: `traces/YYYY-MM-DD.jsonl`."""
    directory = directory or traces_dir()
    return directory / f"{datetime.now(UTC):%Y-%m-%d}.jsonl"


def append_trace(
    record: dict[str, Any], path: Path | None = None, *, secrets: Iterable[str] = ()
) -> Path:
    """Append one record as one line, crash-safely; return the file written.

    Args:
        record: The trace record (see docs/traces.md).
        path: The JSONL file; today's file under `$PUNIE_HOME/traces` by default.
        secrets: More values to redact (the model's API key).
    """
    path = path or trace_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = encode_record(record, secrets)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        _lock(fd)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # a crash tore the last line: never glue a record onto it
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        finally:
            _unlock(fd)
    finally:
        os.close(fd)
    return path


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: O_APPEND single writes are still whole lines in practice
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def _unlock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:
        return
    fcntl.flock(fd, fcntl.LOCK_UN)


def trace_files(paths: Iterable[str | Path] | None = None) -> list[Path]:
    """The JSONL files named (directories give their `*.jsonl`, sorted); default: all traces."""
    if paths is None:
        paths = [traces_dir()]
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found.extend(sorted(path.glob("*.jsonl")))
        elif path.exists():
            found.append(path)
    return found


def read_traces(paths: Iterable[str | Path] | None = None) -> Iterator[dict[str, Any]]:
    """Every record in the files (or directories) given; unreadable lines warn and are skipped."""
    for path in trace_files(paths):
        with path.open("rb") as handle:
            lines = handle.read().split(b"\n")
        last = len(lines) - 1
        while last >= 0 and not lines[last].strip():
            last -= 1
        for number, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                where = "torn last line" if number - 1 == last else "unreadable line"
                warnings.warn(
                    f"{path}:{number}: skipped a {where} of a trace", TornTraceWarning, stacklevel=2
                )
                continue
            if isinstance(record, dict):
                yield record


def chat_messages(messages: Iterable[Any], system_prompt: str = "") -> list[dict[str, Any]]:
    """pydantic-ai messages in OpenAI chat format (role, content, tool_calls, tool_call_id).

    The system prompt comes first; thinking is kept as `reasoning_content` on assistant turns.
    """
    chat: list[dict[str, Any]] = (
        [{"role": "system", "content": system_prompt}] if system_prompt else []
    )
    for message in messages:
        if getattr(message, "kind", "") == "request":
            for part in message.parts:
                kind = getattr(part, "part_kind", "")
                if kind == "system-prompt":
                    if not system_prompt:
                        chat.append({"role": "system", "content": part.content})
                elif kind == "user-prompt":
                    content = part.content if isinstance(part.content, str) else str(part.content)
                    chat.append({"role": "user", "content": content})
                elif kind == "tool-return":
                    chat.append(
                        {
                            "role": "tool",
                            "tool_call_id": part.tool_call_id,
                            "content": part.model_response_str(),
                        }
                    )
                elif kind == "retry-prompt":
                    text = part.model_response()
                    if part.tool_name:
                        chat.append(
                            {"role": "tool", "tool_call_id": part.tool_call_id, "content": text}
                        )
                    else:
                        chat.append({"role": "user", "content": text})
        elif getattr(message, "kind", "") == "response":
            entry: dict[str, Any] = {"role": "assistant", "content": None}
            texts, calls, thinking = [], [], []
            for part in message.parts:
                kind = getattr(part, "part_kind", "")
                if kind == "text":
                    texts.append(part.content)
                elif kind == "thinking":
                    thinking.append(part.content)
                elif kind == "tool-call":
                    calls.append(
                        {
                            "id": part.tool_call_id,
                            "type": "function",
                            "function": {
                                "name": part.tool_name,
                                "arguments": part.args_as_json_str(),
                            },
                        }
                    )
            if texts:
                entry["content"] = "".join(texts)
            if calls:
                entry["tool_calls"] = calls
            if thinking:
                entry["reasoning_content"] = "".join(thinking)
            chat.append(entry)
    return chat


def messages_from_chat(
    chat: Iterable[dict[str, Any]], provider_name: str | None = None
) -> list[Any]:
    """pydantic-ai messages rebuilt from a record's `messages` (the inverse of `chat_messages`).

    Restores a stored conversation so the model sees it again (`Session.restore_from_traces`).
    System messages are left out: the agent sends its own instructions on every request. A
    tool message gets its tool's name from the assistant call with the same id; a trailing
    assistant turn whose tool calls never got results is dropped (servers reject it).
    Unreadable entries are skipped.

    Args:
        chat: OpenAI chat messages, as in a trace record's `messages`.
        provider_name: The pydantic-ai model's `system` (`openai`, ...): thinking is sent back
            as `reasoning_content` only to that provider; None leaves it for the caller to set.
    """
    # pydantic-ai here, not at the top: `punie traces` and the flywheel read traces without it.
    from pydantic_ai.messages import (
        ModelRequest,
        ModelResponse,
        TextPart,
        ThinkingPart,
        ToolCallPart,
        ToolReturnPart,
        UserPromptPart,
    )

    messages: list[Any] = []
    pending: list[Any] = []  # parts of the request being gathered (user text, tool results)
    tool_names: dict[str, str] = {}
    for entry in chat:
        if not isinstance(entry, dict):
            continue
        role = entry.get("role")
        content = entry.get("content")
        text = content if isinstance(content, str) else ""
        if role == "user":
            pending.append(UserPromptPart(text))
        elif role == "tool":
            call_id = str(entry.get("tool_call_id") or "")
            pending.append(ToolReturnPart(tool_names.get(call_id, "tool"), text, call_id))
        elif role == "assistant":
            parts: list[Any] = []
            if isinstance(entry.get("reasoning_content"), str) and entry["reasoning_content"]:
                # Thinking goes back to the server in this field only for the provider named
                # here (see `Session`, which names the model's once it is connected).
                parts.append(
                    ThinkingPart(
                        entry["reasoning_content"],
                        id="reasoning_content",
                        provider_name=provider_name,
                    )
                )
            if text:
                parts.append(TextPart(text))
            for call in entry.get("tool_calls") or []:
                function = call.get("function") if isinstance(call, dict) else None
                if not isinstance(function, dict) or not function.get("name"):
                    continue
                call_id = str(call.get("id") or "")
                tool_names[call_id] = str(function["name"])
                parts.append(
                    ToolCallPart(str(function["name"]), function.get("arguments") or "{}", call_id)
                )
            if not parts:
                continue  # an empty turn: the next request continues the pending one
            if pending:
                messages.append(ModelRequest(parts=pending))
                pending = []
            messages.append(ModelResponse(parts=parts))
    if pending:
        messages.append(ModelRequest(parts=pending))
    while (
        messages
        and isinstance(messages[-1], ModelResponse)
        and any(isinstance(p, ToolCallPart) for p in messages[-1].parts)
    ):
        messages.pop()
    return messages
