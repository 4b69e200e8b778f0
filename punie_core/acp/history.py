"""Stored conversations for `session/list` and `session/load`, read from the training traces.

The sessions themselves are found by `punie_core.agent.stored` (shared with the web UI);
replaying one sends the user's prompts, the tool calls and the answers back to the IDE as
`session/update`s.
"""

from __future__ import annotations

import json
from typing import Any

from acp import (
    start_tool_call,
    text_block,
    tool_content,
    update_agent_message_text,
    update_user_message_text,
)

from punie_core.acp.reporting import clip, shown_arguments
from punie_core.agent.stored import StoredSession, stored_sessions, title_of

__all__ = ["StoredSession", "replay_updates", "stored_sessions", "title_of"]


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
