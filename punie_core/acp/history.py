"""Stored conversations for `session/list` and `session/load`, read from the training traces.

Every prompt leaves one trace record (`$PUNIE_HOME/traces/*.jsonl`) with its session id, cwd,
query, Code Mode snippets, tool calls and answer. A session is the records sharing a session
id, in the order they started; replaying one sends the user's prompts, the tool calls and the
answers back to the IDE as `session/update`s.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from acp import (
    start_tool_call,
    text_block,
    tool_content,
    update_agent_message_text,
    update_user_message_text,
)

from punie_core.acp.reporting import clip, shown_arguments

TITLE_LIMIT = 80


@dataclass
class StoredSession:
    """One conversation found in the traces.

    Attributes:
        session_id: The session's id.
        cwd: Its working directory.
        title: The first prompt's first line.
        updated_at: When its last prompt finished (ISO 8601).
        records: Its trace records, oldest first.
    """

    session_id: str
    cwd: str
    title: str = ""
    updated_at: str = ""
    records: list[dict[str, Any]] = field(default_factory=list)


def title_of(query: str) -> str:
    line = next((ln.strip() for ln in query.splitlines() if ln.strip()), "")
    return line if len(line) <= TITLE_LIMIT else line[: TITLE_LIMIT - 1] + "…"


def stored_sessions(paths: Iterable[str | Path] | None = None) -> dict[str, StoredSession]:
    """Every session in the traces (default: `$PUNIE_HOME/traces`), by id."""
    from punie_core.agent.traces import read_traces

    sessions: dict[str, StoredSession] = {}
    for record in read_traces(paths):
        session_id = record.get("session_id")
        if not isinstance(session_id, str) or not session_id:
            continue
        session = sessions.get(session_id)
        if session is None:
            session = sessions[session_id] = StoredSession(session_id, str(record.get("cwd") or ""))
        session.records.append(record)
    for session in sessions.values():
        session.records.sort(key=lambda r: str(r.get("started") or ""))
        first = session.records[0]
        session.title = title_of(str(first.get("query") or ""))
        session.updated_at = max(
            str(r.get("finished") or r.get("started") or "") for r in session.records
        )
        session.cwd = str(session.records[-1].get("cwd") or session.cwd)
    return sessions


def replay_updates(session: StoredSession) -> list[Any]:
    """The `session/update`s that show a stored conversation again, in order."""
    updates: list[Any] = []
    for turn, record in enumerate(session.records):
        query = record.get("query")
        if query:
            updates.append(update_user_message_text(str(query)))
        number = 0
        for snippet in record.get("snippets") or []:
            number += 1
            result = snippet.get("result") or {}
            updates.append(
                start_tool_call(
                    f"replay-{turn}-{number}",
                    "Run Python (Code Mode)",
                    kind="execute",
                    status="completed" if result.get("ok") else "failed",
                    content=[
                        tool_content(
                            text_block(f"```python\n{str(snippet.get('code', '')).rstrip()}\n```")
                        ),
                        tool_content(text_block(clip(_snippet_text(result)))),
                    ],
                )
            )
        for call in record.get("tool_calls") or []:
            number += 1
            ok = bool(call.get("ok"))
            shown = call.get("result") if ok else call.get("error")
            text = (
                shown
                if isinstance(shown, str)
                else json.dumps(shown, ensure_ascii=False, default=str)
            )
            arguments = call.get("arguments") if isinstance(call.get("arguments"), dict) else {}
            updates.append(
                start_tool_call(
                    f"replay-{turn}-{number}",
                    str(call.get("tool") or "tool"),
                    kind="other",
                    status="completed" if ok else "failed",
                    content=[tool_content(text_block(clip(text or "")))],
                    raw_input=shown_arguments(arguments),
                )
            )
        output = record.get("output")
        if output:
            updates.append(update_agent_message_text(str(output)))
    return updates


def _snippet_text(result: dict[str, Any]) -> str:
    if not result:
        return ""
    if result.get("ok"):
        parts = [str(result.get("stdout") or "")]
        if result.get("value") is not None:
            parts.append(
                f"=> {result['value']!r}"
                if not isinstance(result["value"], str)
                else result["value"]
            )
        return "\n".join(p for p in parts if p) or "ok"
    error = result.get("error") or {}
    return f"{error.get('type', 'Error')}: {error.get('message', '')}"
