"""Stored conversations: the sessions kept in the traces, for resuming them later.

Every prompt leaves one trace record (`$PUNIE_HOME/traces/*.jsonl`) with its session id, cwd,
query, Code Mode snippets, tool calls and answer. A session is the records sharing a session
id, in the order they started. ACP's `session/list` and `session/load` and the web UI's
"earlier sessions" both read them from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    """A session's title: the first non-empty line of its first prompt, shortened."""
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
