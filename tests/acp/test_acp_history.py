"""session/list and session/load over ACP, from the traces prompts leave in $PUNIE_HOME/traces."""

from __future__ import annotations

import pytest
from acp import RequestError, text_block
from acp_harness import harness, run, snippet, wait_until

from punie_core.agent.traces import append_trace


def trace(session_id: str, cwd: str, query: str, output: str, started: str, **extra) -> dict:
    return {
        "schema": 1,
        "id": f"t-{started}",
        "session_id": session_id,
        "started": started,
        "finished": started,
        "model": "scripted",
        "cwd": cwd,
        "query": query,
        "output": output,
        "snippets": [],
        "tool_calls": [],
        "outcome": "end_turn",
        **extra,
    }


def test_list_sessions_filters_by_cwd_newest_first_and_pages(workspace, punie_home, tmp_path):
    other = str(tmp_path)
    for i in range(3):
        append_trace(
            trace(
                f"s{i}",
                str(workspace),
                f"question {i}\nmore",
                "answer",
                f"2026-01-0{i + 1}T00:00:00",
            )
        )
    append_trace(trace("s0", str(workspace), "follow-up", "answer", "2026-01-09T00:00:00"))
    append_trace(trace("elsewhere", other, "q", "a", "2026-01-05T00:00:00"))
    (punie_home / "traces" / "torn.jsonl").write_text('{"session_id": "torn", "cwd": ')

    async def scenario():
        async with harness() as h:
            await h.start()
            mine = await h.conn.list_sessions(cwd=str(workspace))
            everything = await h.conn.list_sessions()
            with pytest.raises(RequestError) as bad:
                await h.conn.list_sessions(cursor="not-a-cursor")
            return mine, everything, bad.value

    with pytest.warns(UserWarning, match="torn"):
        mine, everything, bad = run(scenario())
    assert [s.session_id for s in mine.sessions] == ["s0", "s2", "s1"]
    assert (
        mine.sessions[0].title == "question 0"
        and mine.sessions[0].updated_at == "2026-01-09T00:00:00"
    )
    assert all(s.cwd == str(workspace) for s in mine.sessions)
    assert mine.next_cursor is None
    assert {s.session_id for s in everything.sessions} == {"s0", "s1", "s2", "elsewhere"}
    assert bad.code == -32602


def test_list_sessions_pages_with_a_cursor(workspace, punie_home):
    for i in range(55):
        append_trace(trace(f"s{i:02d}", str(workspace), "q", "a", f"2026-02-01T00:00:{i:02d}"))

    async def scenario():
        async with harness() as h:
            await h.start()
            first = await h.conn.list_sessions(cwd=str(workspace))
            second = await h.conn.list_sessions(cwd=str(workspace), cursor=first.next_cursor)
            return first, second

    first, second = run(scenario())
    assert len(first.sessions) == 50 and first.next_cursor
    assert len(second.sessions) == 5 and second.next_cursor is None
    assert first.sessions[0].session_id == "s54" and second.sessions[-1].session_id == "s00"


def test_load_session_replays_the_conversation_then_answers(workspace, punie_home):
    append_trace(
        trace(
            "old",
            str(workspace),
            "Fix the view",
            "Fixed it.",
            "2026-03-01T00:00:00",
            snippets=[
                {
                    "code": "print(read_file('app.py'))",
                    "result": {"ok": True, "stdout": "print('hello')\n"},
                }
            ],
            tool_calls=[
                {
                    "tool": "read_file",
                    "arguments": {"path": "app.py"},
                    "ok": True,
                    "result": "print('hello')\n",
                }
            ],
        )
    )
    append_trace(trace("old", str(workspace), "Now test it", "Tests pass.", "2026-03-01T00:05:00"))

    async def scenario():
        async with harness() as h:
            await h.start()
            response = await h.conn.load_session(
                cwd=str(workspace), session_id="old", mcp_servers=[]
            )
            replayed = [u for sid, u in h.client.updates if sid == "old"]
            await wait_until(lambda: h.client.of_kind("available_commands_update"))
            return response, replayed, h.frames

    response, replayed, frames = run(scenario())
    assert response.modes.current_mode_id == "ask"
    kinds = [u.session_update for u in replayed]
    assert kinds == [
        "user_message_chunk",
        "tool_call",
        "tool_call",
        "agent_message_chunk",
        "user_message_chunk",
        "agent_message_chunk",
    ]
    assert replayed[0].content.text == "Fix the view" and replayed[3].content.text == "Fixed it."
    assert (
        replayed[1].status == "completed"
        and "read_file('app.py')" in replayed[1].content[0].content.text
    )
    assert replayed[2].title == "read_file" and replayed[2].raw_input == {"path": "app.py"}
    # The replay precedes the load response; commands follow it.
    load_at = next(i for i, f in enumerate(frames) if f.get("id") == 1 and "result" in f)
    updates_at = [i for i, f in enumerate(frames) if f.get("method") == "session/update"]
    commands_at = next(
        i
        for i in updates_at
        if frames[i]["params"]["update"]["sessionUpdate"] == "available_commands_update"
    )
    assert all(i < load_at for i in updates_at if i != commands_at) and commands_at > load_at


def test_a_loaded_session_keeps_its_id_and_the_model_continues_the_conversation(
    workspace, punie_home
):
    from punie_core.agent.traces import read_traces
    from punie_core.testing.scripted_model import ScriptedModelServer

    async def scenario():
        with ScriptedModelServer(
            [snippet("print(read_file('app.py'))"), {"text": "first"}, {"text": "second"}]
        ) as server:
            async with harness(model=server.model_string) as h:
                await h.start()
                sid = await h.new_session(workspace)
                await h.conn.prompt(session_id=sid, prompt=[text_block("one")])
            async with harness(model=server.model_string) as h:  # a new process: the IDE restarted
                await h.start()
                await h.conn.load_session(cwd=str(workspace), session_id=sid, mcp_servers=[])
                replayed = "".join(u.content.text for u in h.client.of_kind("agent_message_chunk"))
                await h.conn.prompt(session_id=sid, prompt=[text_block("two")])
            return sid, replayed, server.chat_requests

    sid, replayed, requests = run(scenario())
    assert replayed == "first"
    records = [r for r in read_traces() if r["session_id"] == sid]
    assert [r["query"] for r in records] == ["one", "two"]
    # After the restart the model sees the earlier turns again, exactly as first sent.
    sent = requests[-1].body["messages"]
    roles = [m["role"] for m in sent]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert sent[:4] == requests[1].body["messages"]
    assert sent[1]["content"] == "one" and "print('hello')" in sent[3]["content"]
    assert sent[4]["content"] == "first" and sent[5]["content"] == "two"
