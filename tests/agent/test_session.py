"""Sessions over real HTTP: Code Mode, retries, history, events, states, cancellation, errors."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from punie_core.agent.session import Session
from punie_core.plugins.context import AskCallback, AutoApprove, ToolContext
from punie_core.plugins.events import (
    PromptFinished,
    PromptStarted,
    SnippetFinished,
    SnippetStarted,
    StateChanged,
    TextDelta,
    ThinkingDelta,
    ToolCallFinished,
    ToolCallStarted,
    UsageUpdate,
)
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import run_async


def code(snippet: str) -> dict[str, Any]:
    return {"tool_calls": [{"name": "execute_code", "arguments": {"code": snippet}}]}


def prompt_once(
    script: list[Any], workspace: Path, toolbox: Any, text: str = "go", **kwargs: Any
) -> tuple[Any, list[object], ScriptedModelServer, Session]:
    events: list[object] = []
    with ScriptedModelServer(script) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=toolbox, **kwargs)
        session.subscribe(events.append)

        async def main() -> Any:
            try:
                return await session.prompt(text)
            finally:
                await session.aclose()

        outcome = run_async(main())
    return outcome, events, server, session


def test_code_mode_runs_a_snippet_through_the_gate_and_answers(
    workspace: Path, core_toolbox: Any
) -> None:
    script = [
        {"reasoning": "Read it.", **code("text = read_file('a.txt')\nprint(text.upper())")},
        {"text": "It says HELLO."},
    ]
    outcome, events, server, session = prompt_once(
        script, workspace, core_toolbox, "What is in a.txt?"
    )
    assert outcome.stop_reason == "end_turn" and outcome.output == "It says HELLO."
    assert outcome.requests == 2
    assert outcome.usage["input_tokens"] > 0 and outcome.usage["output_tokens"] > 0
    assert [c["tool"] for c in outcome.tool_calls] == ["read_file"]
    assert (
        outcome.tool_calls[0]["arguments"] == {"path": "a.txt"}
        and outcome.tool_calls[0]["result"] == "hello\n"
    )
    # The model saw the snippet's output as the tool result.
    tool_message = server.chat_requests[1].body["messages"][-1]
    assert tool_message["role"] == "tool" and "HELLO" in tool_message["content"]
    kinds = [type(e) for e in events]
    assert kinds[0] is PromptStarted and kinds[-1] is PromptFinished
    for kind in (
        ThinkingDelta,
        SnippetStarted,
        ToolCallStarted,
        ToolCallFinished,
        SnippetFinished,
        TextDelta,
        UsageUpdate,
    ):
        assert kind in kinds, kind
    assert kinds.index(SnippetStarted) < kinds.index(ToolCallStarted) < kinds.index(SnippetFinished)
    states = [e.state for e in events if isinstance(e, StateChanged)]
    assert states == ["thinking", "running_tool", "thinking", "finished"]
    assert session.state == "finished" and session.title == "What is in a.txt?"
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "It says HELLO."


def test_the_first_request_carries_the_prompt_and_tools(workspace: Path, core_toolbox: Any) -> None:
    _, _, server, _ = prompt_once([{"text": "hi"}], workspace, core_toolbox)
    body = server.chat_requests[0].body
    assert body["messages"][0] == {"role": "system", "content": core_toolbox.prompt.strip()}
    # Code Mode sends one tool definition; every toolbox tool is reached through it.
    assert [t["function"]["name"] for t in body["tools"]] == ["execute_code"]
    # Local servers get the conservative switches: no strict, max_tokens, merged system messages.
    assert all("strict" not in t["function"] for t in body["tools"])
    assert body["stream"] is True


def test_a_snippet_that_fails_its_type_check_is_retried_with_the_sandbox_text(
    workspace: Path, core_toolbox: Any
) -> None:
    script = [code("read_file(123)"), code("print(read_file('a.txt'))"), {"text": "done"}]
    outcome, _, server, _ = prompt_once(script, workspace, core_toolbox)
    assert outcome.stop_reason == "end_turn" and outcome.requests == 3
    retry = server.chat_requests[1].body["messages"][-1]
    assert retry["role"] == "tool"
    assert "TypeCheckError" in retry["content"] and "read_file" in retry["content"]
    assert "did not run" in retry["content"]


def test_a_runtime_error_goes_back_as_the_result_without_retry(
    workspace: Path, core_toolbox: Any
) -> None:
    script = [code("read_file('missing.txt')"), {"text": "no such file"}]
    outcome, _, server, _ = prompt_once(script, workspace, core_toolbox)
    assert outcome.stop_reason == "end_turn"
    result = server.chat_requests[1].body["messages"][-1]["content"]
    assert "FileNotFoundError" in result
    assert outcome.tool_calls[0]["ok"] is False


def test_history_carries_over_between_prompts(workspace: Path, core_toolbox: Any) -> None:
    script = [code("x = 41"), {"text": "stored"}, code("print(41 + 1)"), {"text": "42"}]
    with ScriptedModelServer(script) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=core_toolbox)

        async def main() -> tuple[Any, Any]:
            first = await session.prompt("remember 41")
            second = await session.prompt("add one")
            await session.aclose()
            return first, second

        first, second = run_async(main())
    assert (first.output, second.output) == ("stored", "42")
    messages = server.chat_requests[2].body["messages"]
    contents = [m.get("content") for m in messages]
    assert "remember 41" in contents and "stored" in contents and contents[-1] == "add one"
    assert server.chat_requests[3].body["messages"][-1]["content"] == "42"


def test_writes_are_refused_without_permission_and_the_model_is_told(
    workspace: Path, core_toolbox: Any
) -> None:
    script = [code("write_file('new.py', 'x = 1\\n')"), {"text": "could not write"}]
    outcome, _, server, _ = prompt_once(script, workspace, core_toolbox)
    assert not (workspace / "new.py").exists()
    call = outcome.tool_calls[0]
    assert (
        call["tool"] == "write_file"
        and call["refused"] is True
        and call["arguments"]["path"] == "new.py"
    )
    assert "permission refused" in server.chat_requests[1].body["messages"][-1]["content"]


def test_an_approval_shows_waiting_approval_and_the_write_happens(
    workspace: Path, core_toolbox: Any
) -> None:
    asked: list[str] = []

    async def ask(request: Any) -> bool:
        asked.append(request.title)
        return True

    context = ToolContext.local(workspace)
    context.permissions = AskCallback(ask)
    script = [
        {
            "tool_calls": [
                {"name": "write_file", "arguments": {"path": "new.py", "content": "x = 1\n"}}
            ]
        },
        {"text": "written"},
    ]
    outcome, events, _, _ = prompt_once(script, workspace, core_toolbox, context=context)
    assert outcome.stop_reason == "end_turn" and asked == ["write_file(new.py)"]
    assert (workspace / "new.py").read_text() == "x = 1\n"
    states = [e.state for e in events if isinstance(e, StateChanged)]
    assert "waiting_approval" in states
    assert states.index("waiting_approval") > states.index("thinking")


def test_cancel_stops_a_hanging_model_request_promptly(workspace: Path, core_toolbox: Any) -> None:
    with ScriptedModelServer([{"hang": True}, {"text": "after cancel"}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=core_toolbox)

        async def main() -> tuple[Any, float, Any]:
            task = asyncio.create_task(session.prompt("wait forever"))
            while not server.chat_requests:  # the request reached the server
                await asyncio.sleep(0.01)
            started = time.perf_counter()
            session.cancel()
            outcome = await task
            elapsed = time.perf_counter() - started
            again = await session.prompt("and now?")
            return outcome, elapsed, again

        outcome, elapsed, again = run_async(main())
    assert outcome.stop_reason == "cancelled" and elapsed < 2.0
    assert session.state == "finished"
    assert again.output == "after cancel"
    assert server.chat_requests[1].body["messages"][-1]["content"] == "and now?"


def test_cancel_stops_a_running_snippet_promptly(workspace: Path, core_toolbox: Any) -> None:
    with ScriptedModelServer([code("while True:\n    pass")]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=core_toolbox)
        started_events: list[object] = []
        session.subscribe(
            lambda e: started_events.append(e) if isinstance(e, SnippetStarted) else None
        )

        async def main() -> tuple[Any, float]:
            task = asyncio.create_task(session.prompt("loop"))
            while not started_events:
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.2)  # let the loop actually spin in the sandbox
            started = time.perf_counter()
            session.cancel()
            outcome = await task
            await session.aclose()
            return outcome, time.perf_counter() - started

        outcome, elapsed = run_async(main())
    assert outcome.stop_reason == "cancelled" and elapsed < 2.0
    assert session.state == "idle"


def test_server_errors_end_the_prompt_with_a_clear_error(
    workspace: Path, core_toolbox: Any
) -> None:
    outcome, _, _, session = prompt_once(
        [{"status": 400, "error": "context length exceeded"}], workspace, core_toolbox
    )
    assert outcome.stop_reason == "error"
    assert "HTTP 400" in outcome.error and "context length exceeded" in outcome.error
    assert session.state == "failed"


def test_a_named_server_that_does_not_answer_says_what_to_start(
    workspace: Path, core_toolbox: Any
) -> None:
    with ScriptedModelServer([]) as server:
        url = server.base_url
    session = Session(cwd=workspace, model=f"local:{url}", toolbox=core_toolbox)
    outcome = run_async(session.prompt("hello"))
    assert outcome.stop_reason == "error"
    assert f"no model server answers at {url}" in outcome.error and "mlx_lm.server" in outcome.error


def test_the_request_limit_ends_a_runaway_prompt(workspace: Path, core_toolbox: Any) -> None:
    script = [code(f"print({i})") for i in range(10)]
    outcome, _, server, _ = prompt_once(script, workspace, core_toolbox, request_limit=3)
    assert outcome.stop_reason == "max_turn_requests" and outcome.requests == 3
    assert len(server.chat_requests) == 3 and "request_limit" in outcome.error


def test_direct_mode_offers_every_tool_and_no_code_mode(workspace: Path, core_toolbox: Any) -> None:
    script = [
        {"tool_calls": [{"name": "list_files", "arguments": {"pattern": "**/*.py"}}]},
        {"text": "one file"},
    ]
    outcome, _, server, _ = prompt_once(script, workspace, core_toolbox, mode="direct")
    names = {t["function"]["name"] for t in server.chat_requests[0].body["tools"]}
    assert "execute_code" not in names and "list_files" in names
    assert json.loads(server.chat_requests[1].body["messages"][-1]["content"]) == ["app/main.py"]
    assert outcome.output == "one file"


def test_a_failing_subscriber_does_not_break_the_prompt(workspace: Path, core_toolbox: Any) -> None:
    with ScriptedModelServer([{"text": "fine"}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=core_toolbox)

        def broken(event: object) -> None:
            raise RuntimeError("frontend bug")

        seen: list[object] = []
        unsubscribe = session.subscribe(broken)
        session.subscribe(seen.append)
        outcome = run_async(session.prompt("hi"))
        unsubscribe()
    assert outcome.output == "fine" and any(isinstance(e, PromptFinished) for e in seen)


def test_a_second_prompt_while_one_runs_is_refused(workspace: Path, core_toolbox: Any) -> None:
    with ScriptedModelServer([{"hang": True}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=core_toolbox)

        async def main() -> str:
            task = asyncio.create_task(session.prompt("one"))
            while not server.chat_requests:
                await asyncio.sleep(0.01)
            try:
                await session.prompt("two")
            except RuntimeError as exc:
                return str(exc)
            finally:
                session.cancel()
                await task
            return "no error"

        message = run_async(main())
    assert "already running a prompt" in message


def test_auto_approve_still_refuses_sensitive_files(workspace: Path, core_toolbox: Any) -> None:
    context = ToolContext(
        workspace=ToolContext.local(workspace).workspace, permissions=AutoApprove()
    )
    script = [code("write_file('conftest.py', 'x = 1\\n')"), {"text": "no"}]
    outcome, _, _, _ = prompt_once(script, workspace, core_toolbox, context=context)
    assert not (workspace / "conftest.py").exists()
    assert outcome.tool_calls[0]["refused"] is True
