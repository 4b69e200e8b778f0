"""Recovery on replies real small coder models wrote (recorded), and the run-or-show rule.

`tests/fixtures/real_model_outputs.json` holds replies of the packaged Qwen2.5-Coder-1.5B at
temperature 0 to Punie's prompts. Each says what recovery must do with it: run it (as the
Code Mode call given), show it (the user asked to see code, or the call is quoted in prose),
leave it as an answer, or send the model a retry message. The same rule holds for JSON calls
and ```python blocks, tested on both sides; a few cases run end to end over real HTTP.
"""

# ruff: noqa: E501  (model outputs verbatim)

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from punie_core.agent.pydantic_agent import toolbox_schemas
from punie_core.agent.recovery import Callables, asks_to_show_code, recover_tool_calls
from punie_core.agent.session import Session
from punie_core.plugins.loader import load_toolbox
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import run_async

CASES = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "real_model_outputs.json").read_text()
)["cases"]


@pytest.fixture(scope="module")
def full_toolbox() -> Any:
    return load_toolbox()


def code_mode(toolbox: Any, prompt: str) -> Callables:
    return Callables({"execute_code": {}}, toolbox_schemas(toolbox), prompt)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_recorded_replies_are_run_shown_or_retried_as_the_rule_says(
    case: dict[str, Any], full_toolbox: Any
) -> None:
    recovery = recover_tool_calls(case["text"], code_mode(full_toolbox, case["prompt"]))
    expect = case["expect"]
    if "run" in expect:
        assert [(c.name, c.arguments) for c in recovery.calls] == [
            ("execute_code", {"code": expect["run"]})
        ]
        assert recovery.error is None
    elif "retry" in expect:
        assert not recovery.calls and recovery.error and expect["retry"] in recovery.error
        assert "Available tools:" in recovery.error and "ruff_check" in recovery.error
    else:  # shown or answer: the reply stays text, untouched
        assert not recovery.calls and recovery.error is None
        assert recovery.text == case["text"]


RUFF_CALL = '```json\n{\n  "name": "ruff_check",\n  "arguments": {\n    "paths": "app/util.py",\n    "fix": true\n  }\n}\n```'
PYTHON_CALL = '```python\nfor path in list_files(pattern="**/*.py"):\n    print(path, ruff_check(paths=path))\n```'


@pytest.mark.parametrize(
    ("prompt", "text", "runs"),
    [
        # A call that ends the reply runs; with only a short lead-in before it, too.
        ("Fix the ruff findings in app/util.py.", RUFF_CALL, True),
        ("Fix the ruff findings in app/util.py.", "I'll check first.\n" + RUFF_CALL, True),
        ("Lint every file.", PYTHON_CALL, True),
        ("Lint every file.", "Let me lint them:\n" + PYTHON_CALL, True),
        # Quoted: prose after the block, or a long explanation before it.
        ("Fix the ruff findings in app/util.py.", RUFF_CALL + "\nThis would lint the file.", False),
        ("Lint every file.", PYTHON_CALL + "\n\nThis prints each file's findings.", False),
        ("Lint every file.", "x " * 200 + "\n" + PYTHON_CALL, False),
        # The user asked to see code, not to have it run.
        ("How would I write a loop that lints every file?", PYTHON_CALL, False),
        ("Show me an example of calling ruff_check.", RUFF_CALL, False),
        ("Give me the code to lint app/util.py, but don't run it.", RUFF_CALL, False),
        # A python block that calls no tool, or defines the tool it calls, is an answer.
        ("Reverse a string?", "```python\ns[::-1]\n```", False),
        (
            "Lint every file.",
            "```python\ndef ruff_check(paths):\n    return []\nruff_check(paths='x')\n```",
            False,
        ),
    ],
)
def test_the_rule_separating_code_to_run_from_code_shown(
    prompt: str, text: str, runs: bool, full_toolbox: Any
) -> None:
    recovery = recover_tool_calls(text, code_mode(full_toolbox, prompt))
    assert bool(recovery.calls) is runs, recovery
    assert recovery.error is None
    if not runs:
        assert recovery.text == text


def test_asking_to_see_code_is_told_apart_from_asking_for_work() -> None:
    for shown in (
        "How would I write a function that reads a JSON file?",
        "how do I call pytest_run from a snippet",
        "Show me how to use ruff_check",
        "Give me an example of write_file",
        "Write the call but do not run it",
        "Reverse a string (just tell me; do not write files).",
        "Answer without using tools: what is 2+2?",
    ):
        assert asks_to_show_code(shown), shown
    for work in (
        "Run the tests and tell me which one fails.",
        "How many TODO comments are there?",
        "Fix the ruff findings in app/util.py.",
        "Write tests for clamp() in tests/test_mathx.py.",
        "Show the failing test's name.",
    ):
        assert not asks_to_show_code(work), work


def test_a_python_block_reply_runs_as_code_mode_end_to_end(
    workspace: Path, full_toolbox: Any
) -> None:
    reply = '```python\nprint(read_file(path="a.txt").upper())\n```'
    with ScriptedModelServer([{"text": reply, "chunks": 4}, {"text": "It says HELLO."}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("What does a.txt say, in capitals?"))
    assert outcome.stop_reason == "end_turn" and outcome.output == "It says HELLO."
    assert outcome.tool_calls[0]["tool"] == "read_file" and outcome.tool_calls[0]["ok"]
    tool_message = server.chat_requests[1].body["messages"][-1]
    assert tool_message["role"] == "tool" and "HELLO" in tool_message["content"]


def test_a_json_call_to_a_plugin_tool_runs_with_keyword_arguments(
    workspace: Path, full_toolbox: Any
) -> None:
    if "ruff_check" not in toolbox_schemas(full_toolbox):
        pytest.skip("punie-quality is not installed")
    (workspace / "app" / "util.py").write_text("import os\n")
    with ScriptedModelServer([{"text": RUFF_CALL}, {"text": "Fixed."}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("Fix the ruff findings in app/util.py."))
    assert outcome.stop_reason == "end_turn", outcome.error
    call = server.chat_requests[1].body["messages"][-2]["tool_calls"][0]["function"]
    assert call["name"] == "execute_code"
    assert json.loads(call["arguments"]) == {"code": "ruff_check(paths='app/util.py', fix=True)"}
    assert outcome.tool_calls[0]["tool"] == "ruff_check"


def test_code_the_user_asked_to_see_is_shown_not_run_end_to_end(
    workspace: Path, full_toolbox: Any
) -> None:
    reply = 'Like this:\n```python\nwrite_file(path="a.txt", content="gone")\n```'
    with ScriptedModelServer([{"text": reply, "chunks": 5}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        seen: list[Any] = []
        session.subscribe(seen.append)
        outcome = run_async(session.prompt("How would I write a.txt from a snippet?"))
    assert outcome.output == reply and not outcome.tool_calls
    assert (workspace / "a.txt").read_text() == "hello\n"
    assert len(server.chat_requests) == 1
    from punie_core.plugins.events import TextDelta

    assert "".join(e.text for e in seen if isinstance(e, TextDelta)) == reply


def test_a_wrong_argument_name_gets_the_tools_stub_once(workspace: Path, full_toolbox: Any) -> None:
    wrong = '```json\n{"name": "read_file", "arguments": {"file_path": "a.txt"}}\n```'
    right = '```json\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n```'
    script = [{"text": wrong}, {"text": right}, {"text": "It says hello."}]
    with ScriptedModelServer(script) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("What is in a.txt?"))
    assert outcome.stop_reason == "end_turn" and outcome.output == "It says hello."
    retry = json.dumps(server.chat_requests[1].body["messages"][-1])
    assert "unknown-argument" in retry and "def read_file(path: str) -> str" in retry


def test_the_same_failing_call_repeated_is_stopped_with_a_reason(
    workspace: Path, full_toolbox: Any
) -> None:
    wrong = '```json\n{"name": "read_file", "arguments": {"file_path": "a.txt"}}\n```'
    with ScriptedModelServer([{"text": wrong}], repeat_last=True) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("What is in a.txt?"))
    assert outcome.stop_reason == "error"
    assert "same failing code 3 times" in outcome.error and "read_file" in outcome.error
    messages = json.dumps(server.chat_requests[-1].body["messages"])
    assert "This is the same code that already failed" in messages
    assert len(server.chat_requests) == 3


def test_direct_mode_reads_a_python_block_of_plain_tool_calls(full_toolbox: Any) -> None:
    schemas = toolbox_schemas(full_toolbox)
    direct = Callables(schemas, {}, "What is in a.txt?")
    recovery = recover_tool_calls('```python\nprint(read_file("a.txt"))\n```', direct)
    assert [(c.name, c.arguments) for c in recovery.calls] == [("read_file", {"path": "a.txt"})]
    looped = "```python\nfor p in list_files():\n    print(read_file(p))\n```"
    assert not recover_tool_calls(looped, direct).calls  # real code needs Code Mode


def nudges_on() -> None:
    """Nudges are on by default only for servers Punie starts; the scripted server is not one."""
    import os

    home = Path(os.environ["PUNIE_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("nudges = true\n")


def test_an_unchecked_answer_about_the_project_is_nudged_once(
    workspace: Path, full_toolbox: Any
) -> None:
    nudges_on()
    script = [
        {"text": "3"},  # a guess, recorded from the 1.5B on "How many lines does ... have?"
        {
            "tool_calls": [
                {"name": "execute_code", "arguments": {"code": "print(read_file(path='a.txt'))"}}
            ]
        },
        {"text": "1"},
    ]
    with ScriptedModelServer(script) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("How many lines does a.txt have?"))
    assert outcome.output == "1" and outcome.tool_calls[0]["tool"] == "read_file"
    assert "You answered without using any tool" in json.dumps(server.chat_requests[1].body)


def test_a_general_question_is_not_nudged(workspace: Path, full_toolbox: Any) -> None:
    nudges_on()
    with ScriptedModelServer([{"text": "Not Found."}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("What does the HTTP status code 404 mean?"))
    assert outcome.output == "Not Found." and len(server.chat_requests) == 1


def test_new_code_shown_instead_of_written_is_nudged_once_then_accepted(
    workspace: Path, full_toolbox: Any
) -> None:
    nudges_on()
    shown = "```python\ndef health():\n    return {'status': 'ok'}\n```"
    with ScriptedModelServer([{"text": shown}, {"text": shown}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("Create app/health.py with a function health()."))
    assert outcome.output == shown and len(server.chat_requests) == 2
    assert "nothing in the project changed" in json.dumps(server.chat_requests[1].body)


def test_an_invented_tool_wrapping_indented_code_runs_that_code(
    workspace: Path, full_toolbox: Any
) -> None:
    # Recorded from the 1.5B (add-health-function): an invented name, the code indented.
    reply = '```json\n{"name": "create_app_health", "arguments": {"code": "\\n    print(read_file(path=\\"a.txt\\"))\\n    "}}\n```'
    with ScriptedModelServer([{"text": reply}, {"text": "It says hello."}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("What does a.txt say?"))
    assert outcome.output == "It says hello." and outcome.tool_calls[0]["tool"] == "read_file"
    assert "hello" in server.chat_requests[1].body["messages"][-1]["content"]


def test_an_invented_tool_with_a_real_tools_arguments_becomes_that_tool(
    full_toolbox: Any,
) -> None:
    text = '{"name": "save_notes", "arguments": {"path": "notes.txt", "content": "hi"}}'
    recovery = recover_tool_calls(text, code_mode(full_toolbox, "Save the notes."))
    assert recovery.calls[0].arguments == {"code": "write_file(path='notes.txt', content='hi')"}
    ambiguous = '{"name": "look", "arguments": {"path": "a.txt"}}'  # read_file? symbols? ...
    assert recover_tool_calls(ambiguous, code_mode(full_toolbox, "Look.")).error


def test_code_mode_says_what_to_use_instead_of_open_or_a_missing_module(
    workspace: Path, full_toolbox: Any
) -> None:
    # (`with open(...) as f: f.read()` runs as read_file: tests/agent/test_idioms.py.)
    bad = 'f = open("a.txt")\nprint(f.read())'
    script = [
        {"tool_calls": [{"name": "execute_code", "arguments": {"code": bad}}]},
        {"tool_calls": [{"name": "execute_code", "arguments": {"code": "import html"}}]},
        {"text": "done"},
    ]
    with ScriptedModelServer(script) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        run_async(session.prompt("What is in a.txt?"))
    first = json.dumps(server.chat_requests[1].body["messages"][-1])
    assert "Files only through the tools: read_file(path=...)" in first
    second = json.dumps(server.chat_requests[2].body["messages"][-1])
    assert "Only json re math" in second


def test_the_same_code_looping_without_progress_is_stopped(
    workspace: Path, full_toolbox: Any
) -> None:
    # Recorded from the 1.5B (dataclass-user): a class definition, run again and again.
    code = "from dataclasses import dataclass\n\n@dataclass\nclass User:\n    name: str"
    call = {"tool_calls": [{"name": "execute_code", "arguments": {"code": code}}]}
    with ScriptedModelServer([call], repeat_last=True) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("Turn User into a dataclass."))
    assert outcome.stop_reason == "error" and "same failing code 3 times" not in outcome.error
    assert "Punie stopped the model" in outcome.error and len(server.chat_requests) == 3
    assert "called no tool, so nothing in the project changed" in json.dumps(
        server.chat_requests[1].body["messages"][-1]
    )


def test_nudges_are_off_for_servers_punie_did_not_start(workspace: Path, full_toolbox: Any) -> None:
    with ScriptedModelServer([{"text": "It has 3 lines."}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=full_toolbox)
        outcome = run_async(session.prompt("How many lines does a.txt have?"))
    assert outcome.output == "It has 3 lines." and len(server.chat_requests) == 1
