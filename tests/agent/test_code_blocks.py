"""The `blocks` tool format: the model writes ```python blocks, no tool definition is sent."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai.messages import (
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from punie_core.agent.blocks import OUTPUT_PREFIX, RETRY
from punie_core.agent.code_blocks import (
    as_text_messages,
    opens_with_code,
    with_prefill,
)
from punie_core.agent.session import Session
from punie_core.plugins.context import AutoApprove, ToolContext
from punie_core.plugins.loader import load_toolbox
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import run_async


@pytest.fixture(scope="module")
def full_toolbox() -> Any:
    return load_toolbox()


def use_tool_format(value: str) -> None:
    """Set `tool_format` in the test's config (the scripted server is not one Punie starts)."""
    home = Path(os.environ["PUNIE_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f'tool_format = "{value}"\n')


def approving_session(workspace: Path, server: ScriptedModelServer, toolbox: Any) -> Session:
    """A session on the scripted server that approves writes (`--yes`)."""
    context = ToolContext(
        workspace=ToolContext.local(workspace).workspace, permissions=AutoApprove()
    )
    return Session(cwd=workspace, model=server.model_string, toolbox=toolbox, context=context)


def test_calls_and_results_are_shown_back_as_blocks_and_output() -> None:
    code = 'print(read_file(path="a.txt"))'
    messages = [
        ModelRequest(parts=[UserPromptPart(content="What is in a.txt?")]),
        ModelResponse(
            parts=[
                TextPart(content="Let me look."),
                ToolCallPart("execute_code", {"code": code}, tool_call_id="c1"),
            ]
        ),
        ModelRequest(parts=[ToolReturnPart("execute_code", "hello", tool_call_id="c1")]),
        ModelResponse(parts=[ToolCallPart("execute_code", {"code": "x("}, tool_call_id="c2")]),
        ModelRequest(
            parts=[
                ToolReturnPart(
                    "execute_code", "SyntaxError: ...", tool_call_id="c2", outcome="retried"
                )
            ]
        ),
    ]
    shown = as_text_messages(messages)
    assert [p.content for p in shown[1].parts] == [f"Let me look.\n```python\n{code}\n```"]
    assert shown[2].parts[0] == UserPromptPart(
        content=OUTPUT_PREFIX + "hello", timestamp=shown[2].parts[0].timestamp
    )
    assert isinstance(shown[4].parts[0], UserPromptPart)
    assert shown[4].parts[0].content == OUTPUT_PREFIX + "SyntaxError: ..." + RETRY
    assert messages[1].parts[1].tool_name == "execute_code"  # the run's own history is unchanged


def test_a_block_runs_and_the_model_sees_it_as_it_wrote_it(
    workspace: Path, full_toolbox: Any
) -> None:
    use_tool_format("blocks")
    # llama.cpp continues the prefilled block and echoes it: the reply is the whole block.
    reply = '```python\nprint(read_file(path="a.txt").upper())\n```'
    with ScriptedModelServer([{"text": reply, "chunks": 4}, {"text": "It says HELLO."}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("What does the text file say, in capitals?"))
    assert outcome.stop_reason == "end_turn" and outcome.output == "It says HELLO."
    assert outcome.tool_calls[0]["tool"] == "read_file" and outcome.tool_calls[0]["ok"]
    first, second = (request.body for request in server.chat_requests)
    assert not first.get("tools") and not second.get("tools")
    assert "reply with a ```python block" in first["messages"][0]["content"]
    assert first["messages"][-1] == {"role": "assistant", "content": "```python\n"}
    assistant, output = second["messages"][-2:]
    assert assistant == {"role": "assistant", "content": reply}
    assert output["role"] == "user" and output["content"].startswith("Output:\nHELLO")


def test_a_failing_block_is_retried_as_text_the_model_can_read(
    workspace: Path, full_toolbox: Any
) -> None:
    use_tool_format("blocks")
    bad = '```python\nprint(read_file(file_path="a.txt"))\n```'
    good = '```python\nprint(read_file(path="a.txt"))\n```'
    script = [{"text": bad}, {"text": good}, {"text": "It says hello."}]
    with ScriptedModelServer(script) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("What is in a.txt?"))
    assert outcome.output == "It says hello."
    retry = server.chat_requests[1].body["messages"][-1]
    assert retry["role"] == "user" and "unknown-argument" in retry["content"]
    assert "def read_file(path: str) -> str" in retry["content"]
    assert "tool_calls" not in json.dumps(server.chat_requests[2].body["messages"])


def test_the_tools_format_still_sends_execute_code(workspace: Path, full_toolbox: Any) -> None:
    use_tool_format("tools")
    with ScriptedModelServer([{"text": "ok"}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        run_async(session.prompt("Hi"))
    tools = server.chat_requests[0].body["tools"]
    assert [t["function"]["name"] for t in tools] == ["execute_code"]


def test_a_reply_about_the_project_is_started_as_a_block() -> None:
    def asked(text: str) -> list[Any]:
        return [ModelRequest(parts=[UserPromptPart(content=text)])]

    assert opens_with_code(asked("How many tests fail in this project?"))
    assert opens_with_code(asked("Fix the type error in app/stats.py."))
    assert not opens_with_code(asked("What does the HTTP status code 404 mean?"))
    assert not opens_with_code(asked("How would I write a test for app/x.py? Don't run it."))
    after_a_tool = [
        *asked("How many tests fail?"),
        ModelResponse(parts=[ToolCallPart("execute_code", {"code": "x"}, tool_call_id="c")]),
        ModelRequest(parts=[ToolReturnPart("execute_code", "2", tool_call_id="c")]),
    ]
    assert not opens_with_code(after_a_tool)


def test_the_prefill_is_added_only_where_the_server_did_not_echo_it() -> None:
    def text_of(reply: str) -> str:
        return with_prefill(ModelResponse(parts=[TextPart(content=reply)])).parts[0].content

    echoed = '```python\nprint(read_file(path="a.txt"))\n```'
    assert text_of(echoed) == echoed
    assert text_of('print(read_file(path="a.txt"))\n```') == echoed
    assert text_of("25") == "25"  # a server that ignored the prefill answered afresh


def test_the_files_a_request_names_are_read_before_the_models_first_reply(
    workspace: Path, full_toolbox: Any
) -> None:
    use_tool_format("blocks")
    (workspace / "app" / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    fix = (
        '```python\nwrite_file(path="app/calc.py", '
        'content="def add(a, b):\\n    return a + b\\n")\n```'
    )
    with ScriptedModelServer([{"text": fix}, {"text": "Fixed add()."}]) as server:
        session = approving_session(workspace, server, full_toolbox)
        outcome = run_async(session.prompt("Fix the bug in app/calc.py (and see missing.py)."))
    assert outcome.output == "Fixed add()."
    assert [call["tool"] for call in outcome.tool_calls] == ["read_file", "write_file"]
    # The model sees the file attached to the user's message (and no prefill: it may answer
    # from it); the trace and the events show the read.
    first = server.chat_requests[0].body["messages"]
    assert [m["role"] for m in first] == ["system", "user"]
    assert first[-1]["content"] == (
        "Fix the bug in app/calc.py (and see missing.py)."
        "\n\nThe files it names, as they are now:\n"
        "--- app/calc.py (2 lines) ---\ndef add(a, b):\n    return a - b"
    )
    assert outcome.requests == 2  # Punie's own look is no model request
    assert (workspace / "app" / "calc.py").read_text().endswith("a + b\n")


def test_a_fix_shown_as_code_for_a_file_punie_showed_is_applied_to_it(
    workspace: Path, full_toolbox: Any
) -> None:
    use_tool_format("blocks")
    (workspace / "app" / "calc.py").write_text("def add(a, b):\n    return a - b\n\n\nX = 1\n")
    shown = "The bug:\n```python\ndef add(a, b):\n    return a + b\n```"
    with ScriptedModelServer([{"text": shown}, {"text": "Fixed add()."}]) as server:
        session = approving_session(workspace, server, full_toolbox)
        outcome = run_async(session.prompt("Fix add() in app/calc.py."))
    assert outcome.output == "Fixed add()."
    assert (workspace / "app" / "calc.py").read_text() == (
        "def add(a, b):\n    return a + b\n\n\nX = 1\n"
    )
    assert [call["tool"] for call in outcome.tool_calls] == ["read_file", "write_file"]
    # The model reads its reply back as it wrote it, then what Punie did with it.
    reply, output = server.chat_requests[1].body["messages"][-2:]
    assert reply == {"role": "assistant", "content": shown}
    assert output["content"].startswith(
        "Output:\nPunie applied your code to the file: updated app/calc.py"
    )


def test_shown_code_is_not_applied_when_the_user_only_asked_a_question(
    workspace: Path, full_toolbox: Any
) -> None:
    use_tool_format("blocks")
    (workspace / "app" / "calc.py").write_text("def add(a, b):\n    return a - b\n")
    shown = "It should be:\n```python\ndef add(a, b):\n    return a + b\n```"
    with ScriptedModelServer([{"text": shown}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("What is wrong with add() in app/calc.py?"))
    assert outcome.output == shown
    assert (workspace / "app" / "calc.py").read_text().endswith("a - b\n")


def test_the_examples_file_copied_from_the_prompt_is_refused_with_a_reason(
    workspace: Path, full_toolbox: Any
) -> None:
    from punie_core.plugins.prompt import BLOCKS_INTRO, EXAMPLE_PATH

    assert EXAMPLE_PATH in BLOCKS_INTRO
    use_tool_format("blocks")
    copied = f'```python\nprint(read_file(path="{EXAMPLE_PATH}"))\n```'
    right = '```python\nprint(read_file(path="a.txt"))\n```'
    script = [{"text": copied}, {"text": right}, {"text": "It says hello."}]
    with ScriptedModelServer(script) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("What does the text file say?"))
    assert outcome.output == "It says hello."
    assert [call["tool"] for call in outcome.tool_calls] == ["read_file"]
    retry = server.chat_requests[1].body["messages"][-1]["content"]
    assert "is the example in your instructions" in retry
