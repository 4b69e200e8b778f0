"""Prompt turns over ACP: tool calls reported, permissions by mode, IDE files and terminals."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from acp import text_block
from acp.schema import EmbeddedResourceContentBlock, TextResourceContents
from acp_harness import IdeClient, capabilities, harness, run, scripted_prompt, snippet, wait_until

from punie_core.plugins import events


def test_a_snippet_reports_every_tool_call_and_streams_the_answer(workspace):
    code = "text = read_file('app.py')\nwrite_file('copy.py', text.upper())\nprint('copied')"
    turn = run(scripted_prompt(workspace, [snippet(code), {"text": "Copied app.py."}]))
    assert turn.response.stop_reason == "end_turn"
    calls = turn.tool_calls()
    titles = [c.title for c in calls]
    assert titles == ["Run Python (Code Mode)", "read_file(app.py)", "write_file(copy.py)"]
    assert [c.kind for c in calls] == ["execute", "read", "edit"]
    for call in calls:
        statuses = [u.status for u in turn.updates_for(call.tool_call_id)]
        assert statuses[-1] == "completed", (call.title, statuses)
    read, write = calls[1], calls[2]
    assert "in_progress" in [u.status for u in turn.updates_for(read.tool_call_id)]
    [diff] = [c for c in write.content if c.type == "diff"]
    assert (
        diff.path == str(workspace / "copy.py")
        and diff.new_text == "PRINT('HELLO')\n"
        and diff.old_text is None
    )
    assert write.locations[0].path == str(workspace / "copy.py")
    code_call = calls[0]
    assert "read_file('app.py')" in code_call.content[0].content.text
    done = turn.updates_for(code_call.tool_call_id)[-1]
    assert "copied" in done.content[0].content.text
    text = "".join(u.content.text for u in turn.client.of_kind("agent_message_chunk"))
    assert text == "Copied app.py."
    assert turn.client.of_kind("usage_update") and all(
        u.used > 0 for u in turn.client.of_kind("usage_update")
    )
    assert (workspace / "copy.py").read_text() == "PRINT('HELLO')\n"


def test_the_pending_call_and_its_diff_come_before_the_permission_request(workspace):
    (workspace / "copy.py").write_text("old\n")
    turn = run(
        scripted_prompt(workspace, [snippet("write_file('copy.py', 'new\\n')"), {"text": "ok"}])
    )
    [(tool_call, options)] = turn.client.permission_requests
    assert tool_call.title == "write_file(copy.py)" and tool_call.kind == "edit"
    assert [o.kind for o in options] == ["allow_once", "allow_always", "reject_once"]
    frames = turn.frames
    asked = next(i for i, f in enumerate(frames) if f.get("method") == "session/request_permission")
    shown = next(
        i
        for i, f in enumerate(frames)
        if f.get("method") == "session/update"
        and f["params"]["update"].get("toolCallId") == tool_call.tool_call_id
    )
    assert shown < asked
    update = frames[shown]["params"]["update"]
    assert update["status"] == "pending"
    assert update["content"][0] == {
        "type": "diff",
        "path": str(workspace / "copy.py"),
        "oldText": "old\n",
        "newText": "new\n",
    }


def test_a_rejected_write_fails_and_changes_nothing(workspace):
    client = IdeClient(answers=["reject_once"])
    turn = run(
        scripted_prompt(
            workspace,
            [snippet("write_file('new.py', 'x = 1\\n')"), {"text": "Refused."}],
            client=client,
        )
    )
    assert turn.response.stop_reason == "end_turn"
    write = next(c for c in turn.tool_calls() if c.kind == "edit")
    last = turn.updates_for(write.tool_call_id)[-1]
    assert last.status == "failed" and "permission refused" in last.content[0].content.text
    assert not (workspace / "new.py").exists()
    assert client.writes == []


def test_a_cancelled_permission_request_counts_as_a_refusal(workspace):
    client = IdeClient(answers=["cancelled"])
    turn = run(
        scripted_prompt(
            workspace, [snippet("write_file('new.py', 'x')"), {"text": "ok"}], client=client
        )
    )
    assert not (workspace / "new.py").exists()
    assert (
        turn.final_status(next(c for c in turn.tool_calls() if c.kind == "edit").tool_call_id)
        == "failed"
    )


def test_allow_always_is_remembered_for_the_rest_of_the_session(workspace):
    client = IdeClient(answers=["allow_always"])
    code = "write_file('a.py', 'a = 1\\n')\nwrite_file('b.py', 'b = 2\\n')"
    turn = run(scripted_prompt(workspace, [snippet(code), {"text": "ok"}], client=client))
    assert len(client.permission_requests) == 1
    assert (workspace / "a.py").read_text() == "a = 1\n" and (
        workspace / "b.py"
    ).read_text() == "b = 2\n"
    assert [turn.final_status(c.tool_call_id) for c in turn.tool_calls()] == ["completed"] * 3


def test_accept_edits_mode_writes_without_asking_but_asks_before_commands(workspace):
    client = IdeClient(answers=["reject_once"])
    code = "write_file('a.py', 'a = 1\\n')\nrun_command('echo hi > ran.txt')"
    turn = run(
        scripted_prompt(
            workspace,
            [snippet(code), {"text": "ok"}],
            client=client,
            mode="accept-edits",
            caps=capabilities(fs=True, terminal=False),
        )
    )
    assert [t.title for t, _ in client.permission_requests] == ["run_command(echo hi > ran.txt)"]
    assert (workspace / "a.py").read_text() == "a = 1\n"
    assert not (workspace / "ran.txt").exists()
    assert turn.response.stop_reason == "end_turn"


def test_read_only_mode_refuses_changes_without_asking(workspace):
    client = IdeClient()
    code = "print(read_file('app.py'))\nwrite_file('a.py', 'x')"
    turn = run(
        scripted_prompt(workspace, [snippet(code), {"text": "ok"}], client=client, mode="read-only")
    )
    assert client.permission_requests == []
    assert not (workspace / "a.py").exists()
    write = next(c for c in turn.tool_calls() if c.kind == "edit")
    last = turn.updates_for(write.tool_call_id)[-1]
    assert last.status == "failed" and "read-only" in last.content[0].content.text
    read = next(c for c in turn.tool_calls() if c.kind == "read")
    assert turn.final_status(read.tool_call_id) == "completed"


def test_sensitive_files_are_always_asked_and_never_allowed_always(workspace):
    client = IdeClient(answers=["allow_once"])
    turn = run(
        scripted_prompt(
            workspace,
            [snippet("write_file('conftest.py', 'x = 1\\n')"), {"text": "ok"}],
            client=client,
            mode="accept-edits",
        )
    )
    [(tool_call, options)] = client.permission_requests
    assert [o.kind for o in options] == ["allow_once", "reject_once"]
    assert (workspace / "conftest.py").read_text() == "x = 1\n"
    assert turn.response.stop_reason == "end_turn"


def test_reads_see_unsaved_editor_buffers_and_writes_reach_the_editor_and_the_disk(workspace):
    app = str(workspace / "app.py")
    client = IdeClient(buffers={app: "print('unsaved edit')\n"}, save_writes=False)
    code = "write_file('copy.py', read_file('app.py'))"
    run(scripted_prompt(workspace, [snippet(code), {"text": "ok"}], client=client))
    assert client.reads == [app]
    assert client.writes == [(str(workspace / "copy.py"), "print('unsaved edit')\n")]
    # The editor did not save, yet local tools (ruff, pytest) must see the change on disk.
    assert (workspace / "copy.py").read_text() == "print('unsaved edit')\n"
    assert (workspace / "app.py").read_text() == "print('hello')\n"


def test_commands_run_in_an_ide_terminal_shown_in_the_tool_call(workspace):
    client = IdeClient()
    code = "r = run_command('echo from-terminal; exit 3')\nprint(r.output.strip(), r.exit_code)"
    turn = run(
        scripted_prompt(
            workspace,
            [snippet(code), {"text": "ok"}],
            client=client,
            caps=capabilities(fs=True, terminal=True),
        )
    )
    assert client.terminal_calls[0] == "create /bin/sh -c echo from-terminal; exit 3"
    assert client.terminal_calls[-1] == "release term-0"
    command = next(
        c for c in turn.tool_calls() if c.kind == "execute" and c.title.startswith("run_command")
    )
    contents = [c for u in turn.updates_for(command.tool_call_id) for c in (u.content or [])]
    assert any(c.type == "terminal" and c.terminal_id == "term-0" for c in contents)
    assert turn.final_status(command.tool_call_id) == "completed"
    code_call = turn.tool_calls()[0]
    assert "from-terminal 3" in turn.updates_for(code_call.tool_call_id)[-1].content[0].content.text


def test_without_client_capabilities_tools_run_locally_inside_the_workspace(workspace):
    client = IdeClient()
    code = (
        "write_file('local.txt', 'on disk\\n')\n"
        "r = run_command('cat local.txt')\n"
        "print(r.output.strip())\n"
        "try:\n"
        "    write_file('../escape.txt', 'no')\n"
        "except Exception as e:\n"
        "    print('refused:', e)\n"
    )
    turn = run(
        scripted_prompt(
            workspace,
            [snippet(code), {"text": "ok"}],
            client=client,
            caps=capabilities(fs=False, terminal=False),
        )
    )
    assert client.reads == [] and client.writes == [] and client.terminal_calls == []
    assert (workspace / "local.txt").read_text() == "on disk\n"
    assert not (workspace.parent / "escape.txt").exists()
    result = turn.updates_for(turn.tool_calls()[0].tool_call_id)[-1].content[0].content.text
    assert "on disk" in result and "refused:" in result and "outside the workspace" in result


def test_cancel_stops_a_running_local_command_and_the_prompt_ends_cancelled(workspace):
    from punie_core.testing.scripted_model import ScriptedModelServer

    pid_file = workspace / "child.pid"
    replies = [snippet("run_command('echo $$ > child.pid; exec sleep 60')"), {"text": "after"}]

    async def scenario():
        with ScriptedModelServer(replies) as server:
            async with harness(model=server.model_string) as h:
                await h.start(capabilities(fs=True, terminal=False))
                sid = await h.new_session(workspace)
                pending = asyncio.ensure_future(
                    h.conn.prompt(session_id=sid, prompt=[text_block("go")])
                )
                while not (pid_file.exists() and pid_file.read_text().strip()):
                    await asyncio.sleep(0.02)
                pid = int(pid_file.read_text())
                await h.conn.cancel(session_id=sid)
                response = await asyncio.wait_for(pending, 10)
                again = await h.conn.prompt(session_id=sid, prompt=[text_block("still there?")])
                return response, again, pid, h.client

    response, again, pid, client = run(scenario())
    assert response.stop_reason == "cancelled"
    assert again.stop_reason == "end_turn"
    assert not _alive(pid)
    # Nothing is left shown as running.
    shown = {c.tool_call_id for c in client.of_kind("tool_call")}
    finals = {}
    for _, u in client.updates:
        if getattr(u, "status", None):
            finals[u.tool_call_id] = u.status
    assert {finals[i] for i in shown} <= {"completed", "failed"}


def test_cancel_while_the_model_streams_ends_the_prompt_promptly(workspace):
    from punie_core.testing.scripted_model import ScriptedModelServer

    replies = [{"text": "word " * 200, "chunks": 100, "chunk_delay": 0.2}]

    async def scenario():
        with ScriptedModelServer(replies) as server:
            async with harness(model=server.model_string) as h:
                await h.start()
                sid = await h.new_session(workspace)
                pending = asyncio.ensure_future(
                    h.conn.prompt(session_id=sid, prompt=[text_block("talk")])
                )
                while not h.client.of_kind("agent_message_chunk"):
                    await asyncio.sleep(0.02)
                loop = asyncio.get_running_loop()
                started = loop.time()
                await h.conn.cancel(session_id=sid)
                response = await asyncio.wait_for(pending, 10)
                return response, loop.time() - started

    response, seconds = run(scenario())
    assert response.stop_reason == "cancelled"
    assert seconds < 3


def test_a_model_error_is_a_json_rpc_error_with_the_reason_shown(workspace):
    turn = run(scripted_prompt(workspace, [{"status": 500, "error": "model exploded"}]))
    assert turn.response is None and turn.error is not None
    assert turn.error.code == -32603 and "500" in json.dumps(turn.error.data)
    text = "".join(u.content.text for u in turn.client.of_kind("agent_message_chunk"))
    assert "could not finish" in text


def test_embedded_context_reaches_the_model(workspace):
    resource = EmbeddedResourceContentBlock(
        type="resource",
        resource=TextResourceContents(uri=f"file://{workspace}/app.py", text="SECRET_MARKER = 1\n"),
    )
    turn = run(
        scripted_prompt(workspace, [{"text": "seen"}], [text_block("explain this file"), resource])
    )
    [chat] = [r for r in turn.requests if r.path.endswith("/chat/completions")]
    body = json.dumps(chat.body)
    assert "explain this file" in body and "SECRET_MARKER = 1" in body


def test_thinking_streams_as_thought_chunks(workspace):
    turn = run(scripted_prompt(workspace, [{"reasoning": "Let me think.", "text": "Answer."}]))
    thoughts = "".join(u.content.text for u in turn.client.of_kind("agent_thought_chunk"))
    assert thoughts == "Let me think."


def test_plan_events_become_plan_updates(workspace):
    async def scenario():
        async with harness() as h:
            await h.start()
            sid = await h.new_session(workspace)
            reporter = h.agent().sessions[sid].reporter
            reporter.handle(
                events.PlanUpdate(
                    sid,
                    [
                        {"content": "Read the view", "status": "completed", "priority": "high"},
                        {"content": "Write the test", "status": "in_progress"},
                    ],
                )
            )
            await reporter.flush()
            await wait_until(lambda: h.client.of_kind("plan"))
            return h.client

    client = run(scenario())
    [plan] = client.of_kind("plan")
    assert [(e.content, e.status, e.priority) for e in plan.entries] == [
        ("Read the view", "completed", "high"),
        ("Write the test", "in_progress", "medium"),
    ]


def test_a_plan_the_model_states_reaches_the_client_as_a_plan_update(workspace):
    stated = "Plan:\n1. [x] Read app.py\n2. Change the greeting\n\nReading done."
    turn = run(scripted_prompt(workspace, [{"text": stated}]))
    [plan] = turn.client.of_kind("plan")
    assert [(e.content, e.status, e.priority) for e in plan.entries] == [
        ("Read app.py", "completed", "medium"),
        ("Change the greeting", "pending", "medium"),
    ]
    # The answer still streams as text, plan included.
    text = "".join(u.content.text for u in turn.client.of_kind("agent_message_chunk"))
    assert text == stated


def test_a_second_prompt_while_one_runs_is_refused(workspace):
    from acp import RequestError

    from punie_core.testing.scripted_model import ScriptedModelServer

    async def scenario():
        with ScriptedModelServer(
            [{"text": "slow " * 50, "chunks": 50, "chunk_delay": 0.1}]
        ) as server:
            async with harness(model=server.model_string) as h:
                await h.start()
                sid = await h.new_session(workspace)
                first = asyncio.ensure_future(
                    h.conn.prompt(session_id=sid, prompt=[text_block("one")])
                )
                while not h.client.of_kind("agent_message_chunk"):
                    await asyncio.sleep(0.02)
                try:
                    await h.conn.prompt(session_id=sid, prompt=[text_block("two")])
                    error = None
                except RequestError as exc:
                    error = exc
                await h.conn.cancel(session_id=sid)
                return error, await first

    error, first = run(scenario())
    assert error is not None and error.code == -32600
    assert first.stop_reason == "cancelled"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie of an exited child still answers kill(0): check its state.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_cancel_kills_and_releases_a_command_running_in_an_ide_terminal(workspace):
    from punie_core.testing.scripted_model import ScriptedModelServer

    pid_file = workspace / "child.pid"
    replies = [snippet("run_command('echo $$ > child.pid; exec sleep 60')"), {"text": "after"}]

    async def scenario():
        with ScriptedModelServer(replies) as server:
            async with harness(model=server.model_string) as h:
                await h.start(capabilities(fs=True, terminal=True))
                sid = await h.new_session(workspace)
                prompt = h.conn.prompt(session_id=sid, prompt=[text_block("go")])
                pending = asyncio.ensure_future(prompt)
                await wait_until(lambda: pid_file.exists() and pid_file.read_text().strip())
                pid = int(pid_file.read_text())
                await h.conn.cancel(session_id=sid)
                response = await asyncio.wait_for(pending, 10)
                await wait_until(lambda: "release term-0" in h.client.terminal_calls)
                return response, pid, h.client.terminal_calls

    response, pid, calls = run(scenario())
    assert response.stop_reason == "cancelled"
    assert calls[-2:] == ["kill term-0", "release term-0"]
    assert not _alive(pid)
