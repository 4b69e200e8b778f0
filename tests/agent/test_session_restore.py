"""Continuing a conversation after a restart: from the traces, or from pydantic-ai messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from punie_core.agent.session import Session
from punie_core.agent.traces import chat_messages, messages_from_chat, read_traces
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import run_async


def code(snippet: str) -> dict[str, Any]:
    return {"tool_calls": [{"name": "execute_code", "arguments": {"code": snippet}}]}


SCRIPT = [
    {"reasoning": "Read it.", **code("print(read_file('a.txt'))")},
    {"text": "It says hello."},
    {"text": "Yes, hello."},
    {"text": "Still hello."},
]


def test_a_session_restored_from_its_traces_sends_the_earlier_conversation(
    workspace: Path, core_toolbox: Any
) -> None:
    with ScriptedModelServer(SCRIPT) as server:

        async def main() -> tuple[int, Any, Session]:
            first = Session(cwd=workspace, model=server.model_string, toolbox=core_toolbox)
            try:
                await first.prompt("What is in a.txt?")
            finally:
                await first.aclose()
            # A new process: only the traces remain.
            records = [r for r in read_traces() if r["session_id"] == first.id]
            again = Session(
                cwd=workspace, model=server.model_string, toolbox=core_toolbox, session_id=first.id
            )
            restored = again.restore_from_traces(records)
            try:
                outcome = await again.prompt("Are you sure?")
            finally:
                await again.aclose()
            return restored, outcome, again

        restored, outcome, again = run_async(main())
        requests = server.chat_requests
    assert restored == 4 and outcome.output == "Yes, hello."
    assert again.title == "What is in a.txt?"
    sent = requests[2].body["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "assistant", "user"]
    # The earlier turns reach the model exactly as the live session sent them.
    assert sent[:4] == requests[1].body["messages"]
    assert sent[2]["tool_calls"][0]["function"]["name"] == "execute_code"
    assert "hello" in sent[3]["content"]
    assert sent[4]["content"] == "It says hello." and sent[5]["content"] == "Are you sure?"
    # The new prompt's trace holds the whole conversation, so a later restore sees all of it.
    last = [r for r in read_traces() if r["session_id"] == again.id][-1]
    assert [m["role"] for m in last["messages"]][1:] == [
        "user",
        "assistant",
        "tool",
        "assistant",
        "user",
        "assistant",
    ]


def test_a_session_given_history_continues_it(workspace: Path, core_toolbox: Any) -> None:
    with ScriptedModelServer(SCRIPT) as server:

        async def main() -> None:
            first = Session(cwd=workspace, model=server.model_string, toolbox=core_toolbox)
            await first.prompt("What is in a.txt?")
            await first.aclose()
            again = Session(
                cwd=workspace,
                model=server.model_string,
                toolbox=core_toolbox,
                history=first.history,
            )
            await again.prompt("Are you sure?")
            await again.aclose()

        run_async(main())
        sent = server.chat_requests[2].body["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "tool", "assistant", "user"]


def test_restoring_from_records_without_messages_keeps_a_fresh_conversation(
    workspace: Path, core_toolbox: Any
) -> None:
    session = Session(cwd=workspace, toolbox=core_toolbox)
    old = {"session_id": "s", "started": "2026-01-01T00:00:00", "query": "Old question"}
    assert session.restore_from_traces([old]) == 0
    assert session.history == [] and session.title == "Old question"


def test_chat_messages_round_trip_through_messages_from_chat() -> None:
    chat = [
        {"role": "system", "content": "You are Punie."},
        {"role": "user", "content": "Fix it"},
        {
            "role": "assistant",
            "content": "Looking.",
            "reasoning_content": "Read first.",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": '{"path":"a.py"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "x = 1\n"},
        {"role": "assistant", "content": "Fixed."},
        {"role": "user", "content": "Thanks"},
        {"role": "assistant", "content": "Welcome."},
    ]
    messages = messages_from_chat(chat)
    assert chat_messages(messages, "You are Punie.") == chat
    assert messages[2].parts[0].tool_name == "read_file"  # the tool's name, found by call id


def test_a_trailing_tool_call_without_its_result_is_dropped() -> None:
    chat = [
        {"role": "user", "content": "Go"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "x", "arguments": "{}"}}
            ],
        },
        "not a message",
        {"role": "assistant", "content": None},
    ]
    messages = messages_from_chat(chat)
    assert [m.kind for m in messages] == ["request"]
