"""Text tool-call recovery over real HTTP, streamed and not, with a table of real-looking outputs.

Every case is a reply a local model really produces when the server leaves its tool call as
text. Readable ones must become real tool calls that run through the gate; unreadable ones must
give the model a clear retry message, within a bounded number of retries, never a crash.
"""

# ruff: noqa: E501  (the tables hold model outputs verbatim, one per line)

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from punie_core import Tool, hookimpl
from punie_core.agent.recovery import coerce_arguments, looks_like_tool_call, recover_tool_calls
from punie_core.agent.session import Session
from punie_core.plugins.context import ToolContext
from punie_core.plugins.events import TextDelta, ToolCallFinished
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import run_async


def count_lines(
    path: str, limit: int = 10, verbose: bool = False, tags: list[str] | None = None
) -> str:
    """Count the lines of a workspace file.

    Args:
        path: The file.
        limit: Stop counting after this many lines.
        verbose: Say more.
        tags: Labels to echo back.
    """
    from punie_core.plugins.toolbox import workspace_path

    lines = workspace_path(path).read_text().splitlines()[:limit]
    return json.dumps({"lines": len(lines), "limit": limit, "verbose": verbose, "tags": tags})


@hookimpl
def punie_tools() -> Iterator[Tool]:
    yield Tool(count_lines, kind="read")


@pytest.fixture(scope="module")
def toolbox() -> Any:
    from punie_core.plugins.loader import candidate_from_object, load_toolbox, module_from_functions

    plugin = module_from_functions("typed_tools", punie_tools)
    return load_toolbox(entry_points=False, extra=[candidate_from_object(plugin, "typed")])


READ = ("read_file", {"path": "a.txt"})
SNIPPET = "for p in list_files('**/*.txt'):\n    if len(p) > 0 and 1 < 2:\n        print(p)"

# (case id, assistant text, expected calls [(tool, arguments)])
READABLE: list[tuple[str, str, list[tuple[str, dict[str, Any]]]]] = [
    (
        "qwen3-xml",
        "<tool_call>\n<function=read_file>\n<parameter=path>\na.txt\n</parameter>\n</function>\n</tool_call>",
        [READ],
    ),
    (
        "qwen3-xml-no-closing-tool-call",
        "<tool_call>\n<function=read_file>\n<parameter=path>\na.txt\n</parameter>\n</function>",
        [READ],
    ),
    (
        "qwen3-xml-no-closing-tags",
        "<tool_call>\n<function=read_file>\n<parameter=path>\na.txt\n",
        [READ],
    ),
    (
        "qwen3-xml-unclosed-parameter",
        "<tool_call><function=count_lines><parameter=path>a.txt<parameter=limit>5</function></tool_call>",
        [("count_lines", {"path": "a.txt", "limit": 5})],
    ),
    (
        "qwen3-xml-bare-function",
        "<function=read_file>\n<parameter=path>\na.txt\n</parameter>\n</function>",
        [READ],
    ),
    (
        "qwen3-xml-code-with-angle-brackets",
        f"<tool_call>\n<function=execute_code>\n<parameter=code>\n{SNIPPET}\n</parameter>\n</function>\n</tool_call>",
        [("execute_code", {"code": SNIPPET})],
    ),
    (
        "qwen3-xml-after-prose",
        "I will read the file first.\n\n<tool_call>\n<function=read_file>\n<parameter=path>\na.txt\n</parameter>\n</function>\n</tool_call>",
        [READ],
    ),
    (
        "qwen3-xml-two-calls",
        "<tool_call>\n<function=read_file>\n<parameter=path>\na.txt\n</parameter>\n</function>\n</tool_call>\n<tool_call>\n<function=read_file>\n<parameter=path>\napp/main.py\n</parameter>\n</function>\n</tool_call>",
        [READ, ("read_file", {"path": "app/main.py"})],
    ),
    (
        "qwen3-xml-typed-params",
        '<tool_call>\n<function=count_lines>\n<parameter=path>\na.txt\n</parameter>\n<parameter=limit>\n3\n</parameter>\n<parameter=verbose>\ntrue\n</parameter>\n<parameter=tags>\n["x", "y"]\n</parameter>\n</function>\n</tool_call>',
        [("count_lines", {"path": "a.txt", "limit": 3, "verbose": True, "tags": ["x", "y"]})],
    ),
    (
        "hermes",
        '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n</tool_call>',
        [READ],
    ),
    (
        "hermes-no-closing-tag",
        '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt"}}',
        [READ],
    ),
    (
        "hermes-string-arguments",
        '<tool_call>\n{"name": "read_file", "arguments": "{\\"path\\": \\"a.txt\\"}"}\n</tool_call>',
        [READ],
    ),
    (
        "hermes-parameters-key",
        '<tool_call>{"name": "read_file", "parameters": {"path": "a.txt"}}</tool_call>',
        [READ],
    ),
    (
        "hermes-json-fence-inside",
        '<tool_call>\n```json\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n```\n</tool_call>',
        [READ],
    ),
    (
        "hermes-two-blocks",
        '<tool_call>{"name": "read_file", "arguments": {"path": "a.txt"}}</tool_call>\n<tool_call>{"name": "list_files", "arguments": {}}</tool_call>',
        [READ, ("list_files", {})],
    ),
    (
        "hermes-trailing-comma",
        '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt",},}\n</tool_call>',
        [READ],
    ),
    (
        "hermes-python-literal",
        "<tool_call>{'name': 'read_file', 'arguments': {'path': 'a.txt'}}</tool_call>",
        [READ],
    ),
    (
        "hermes-openai-function-shape",
        '<tool_call>{"type": "function", "function": {"name": "read_file", "arguments": "{\\"path\\": \\"a.txt\\"}"}}</tool_call>',
        [READ],
    ),
    (
        "hermes-string-numbers",
        '<tool_call>{"name": "count_lines", "arguments": {"path": "a.txt", "limit": "2", "verbose": "false"}}</tool_call>',
        [("count_lines", {"path": "a.txt", "limit": 2, "verbose": False})],
    ),
    (
        "hermes-pipe-tags",
        '<|tool_call|>{"name": "read_file", "arguments": {"path": "a.txt"}}<|tool_call|>',
        [READ],
    ),
    ("untagged-json", '{"name": "read_file", "arguments": {"path": "a.txt"}}', [READ]),
    (
        "untagged-json-string-arguments",
        '{"name": "read_file", "arguments": "{\\"path\\": \\"a.txt\\"}"}',
        [READ],
    ),
    (
        "untagged-json-fence-after-prose",
        'Let me look.\n```json\n{"name": "read_file", "arguments": {"path": "a.txt"}}\n```',
        [READ],
    ),
    (
        "untagged-json-list",
        '[{"name": "read_file", "arguments": {"path": "a.txt"}}, {"name": "list_files", "arguments": {"pattern": "*.txt"}}]',
        [READ, ("list_files", {"pattern": "*.txt"})],
    ),
    (
        "untagged-json-after-prose",
        'I need the file. {"name": "read_file", "arguments": {"path": "a.txt"}}',
        [READ],
    ),
    (
        "untagged-code-call",
        '{"name": "execute_code", "arguments": {"code": "print(1 + 1)"}}',
        [("execute_code", {"code": "print(1 + 1)"})],
    ),
]

PLAIN_TEXT = [
    ("json-answer", '{"answer": 42, "name": "not a tool"}'),
    ("prose", "The file a.txt says hello."),
    ("code-fence-prose", "Use this:\n```python\nprint('hi')\n```"),
]

# (case id, assistant text, what the retry message must say)
MALFORMED = [
    (
        "hermes-unterminated-json",
        '<tool_call>\n{"name": "read_file", "arguments": {"path": "a.txt"\n</tool_call>',
        "could not be parsed",
    ),
    ("hermes-empty-block", "<tool_call>\n</tool_call>", "empty <tool_call> block"),
    (
        "hermes-no-name",
        '<tool_call>{"arguments": {"path": "a.txt"}}</tool_call>',
        'without a "name"',
    ),
    (
        "hermes-arguments-not-json",
        '<tool_call>{"name": "read_file", "arguments": "path=a.txt"}</tool_call>',
        "not a JSON object",
    ),
    ("hermes-not-an-object", "<tool_call>[1, 2]</tool_call>", "not a JSON object with name"),
    (
        "untagged-broken-json",
        '{"name": "read_file", "arguments": {"path": }',
        "could not be parsed",
    ),
    (
        "invented-tool-untagged",
        '{"name": "summon_demons", "arguments": {}}',
        "no tool is named summon_demons",
    ),
    (
        "qwen3-xml-no-function",
        "<tool_call>\n<function read_file>\n</tool_call>",
        "could not be read",
    ),
]


def run_case(
    replies: list[Any], toolbox: Any, workspace: Path, *, stream: bool, mode: str = "direct"
) -> tuple[Any, list[object], ScriptedModelServer, BaseException | None]:
    """Run the real agent against the scripted server; streamed or not."""
    from punie_core.agent.pydantic_agent import RunDeps, create_pydantic_agent
    from punie_core.models.connection import connect

    events: list[object] = []
    with ScriptedModelServer(replies) as server:

        async def main() -> tuple[Any, BaseException | None]:
            connection = await connect(server.model_string)
            agent = create_pydantic_agent(connection.model, toolbox=toolbox, mode=mode)  # type: ignore[arg-type]
            context = ToolContext.local(workspace, emit=events.append)
            deps = RunDeps(session_id="test", context=context, toolbox=toolbox)

            async def handler(ctx: Any, stream_events: Any) -> None:
                async for _ in stream_events:
                    pass

            extra = {"event_stream_handler": handler} if stream else {}
            try:
                result = await agent.run("go", deps=deps, **extra)
            except Exception as exc:
                return None, exc
            return result.output, None

        output, error = run_async(main())
    return output, events, server, error


def finished_calls(events: list[object]) -> list[ToolCallFinished]:
    return [e for e in events if isinstance(e, ToolCallFinished)]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in READABLE], ids=[c[0] for c in READABLE]
)
def test_text_tool_calls_are_recovered_and_run(
    text: str,
    expected: list[tuple[str, dict[str, Any]]],
    stream: bool,
    toolbox: Any,
    workspace: Path,
) -> None:
    mode = "code" if any(name == "execute_code" for name, _ in expected) else "direct"
    output, events, server, error = run_case(
        [{"text": text}, {"text": "done"}], toolbox, workspace, stream=stream, mode=mode
    )
    assert error is None and output == "done"
    # The recovered calls went back to the server as real tool calls, with results.
    assistant = server.chat_requests[1].body["messages"][-1 - len(expected)]
    sent = [
        (c["function"]["name"], json.loads(c["function"]["arguments"]))
        for c in assistant["tool_calls"]
    ]
    assert sent == expected
    results = [m for m in server.chat_requests[1].body["messages"] if m["role"] == "tool"]
    assert len(results) == len(expected)
    if mode == "direct":
        calls = finished_calls(events)
        assert sorted(c.tool for c in calls) == sorted(name for name, _ in expected)
        assert all(c.ok for c in calls), [c.error for c in calls]
        if expected[0] == READ:
            assert next(c for c in calls if c.tool == "read_file").result == "hello\n"
    else:
        assert "a.txt" in results[0]["content"] or "2" in results[0]["content"]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize("text", [c[1] for c in PLAIN_TEXT], ids=[c[0] for c in PLAIN_TEXT])
def test_plain_text_is_an_answer_not_a_tool_call(
    text: str, stream: bool, toolbox: Any, workspace: Path
) -> None:
    output, events, server, error = run_case([{"text": text}], toolbox, workspace, stream=stream)
    assert error is None and output == text
    assert len(server.chat_requests) == 1 and not finished_calls(events)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize(
    ("text", "says"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_malformed_tool_calls_get_a_clear_retry_message(
    text: str, says: str, stream: bool, toolbox: Any, workspace: Path
) -> None:
    output, events, server, error = run_case(
        [{"text": text}, {"text": "sorry, plain answer"}], toolbox, workspace, stream=stream
    )
    assert error is None and output == "sorry, plain answer"
    retry = server.chat_requests[1].body["messages"][-1]
    assert retry["role"] == "user"
    assert says in retry["content"] and "Available tools:" in retry["content"]
    assert not finished_calls(events)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
def test_finish_reason_tool_calls_without_a_call_is_retried(
    stream: bool, toolbox: Any, workspace: Path
) -> None:
    replies = [{"text": "", "finish_reason": "tool_calls"}, {"text": "ok"}]
    output, _, server, error = run_case(replies, toolbox, workspace, stream=stream)
    assert error is None and output == "ok"
    assert "no tool call arrived" in server.chat_requests[1].body["messages"][-1]["content"]


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "streamed"])
@pytest.mark.parametrize(
    "reply",
    [{"text": "<tool_call>{broken</tool_call>"}, {"text": "", "finish_reason": "tool_calls"}],
    ids=["malformed", "empty-tool-calls"],
)
def test_endless_bad_replies_end_after_a_bounded_number_of_retries(
    reply: dict[str, Any], stream: bool, toolbox: Any, workspace: Path
) -> None:
    with ScriptedModelServer([reply], repeat_last=True) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=toolbox, mode="direct")
        outcome = run_async(session.prompt("go"))
    assert outcome.stop_reason == "error" and "unusable replies" in outcome.error
    assert 2 <= len(server.chat_requests) <= 6


def test_an_unknown_tool_in_a_tagged_call_is_reported_to_the_model(
    toolbox: Any, workspace: Path
) -> None:
    replies = [
        {"text": '<tool_call>{"name": "summon_demons", "arguments": {}}</tool_call>'},
        {"text": "ok"},
    ]
    output, _, server, error = run_case(replies, toolbox, workspace, stream=True)
    assert error is None and output == "ok"
    told = json.dumps(server.chat_requests[1].body["messages"][-1])
    assert "summon_demons" in told and "read_file" in told


def test_structured_calls_with_string_arguments_are_coerced(toolbox: Any, workspace: Path) -> None:
    replies = [
        {
            "tool_calls": [
                {
                    "name": "count_lines",
                    "arguments": {"path": "a.txt", "limit": "1", "tags": '["a"]'},
                }
            ]
        },
        {"text": "done"},
    ]
    _, events, _, error = run_case(replies, toolbox, workspace, stream=True)
    assert error is None
    result = json.loads(finished_calls(events)[0].result)
    assert result == {"lines": 1, "limit": 1, "verbose": False, "tags": ["a"]}


def test_the_live_view_shows_the_call_not_its_markup(toolbox: Any, workspace: Path) -> None:
    text = "Reading now.\n<tool_call>\n<function=read_file>\n<parameter=path>\na.txt\n</parameter>\n</function>\n</tool_call>"
    with ScriptedModelServer([{"text": text, "chunks": 7}, {"text": "It says hello."}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=toolbox, mode="direct")
        seen: list[object] = []
        session.subscribe(seen.append)
        outcome = run_async(session.prompt("go"))
    shown = "".join(e.text for e in seen if isinstance(e, TextDelta))
    assert "<tool_call>" not in shown and "<function" not in shown
    assert "Reading now." in shown and shown.endswith("It says hello.")
    assert outcome.tool_calls[0]["tool"] == "read_file" and outcome.tool_calls[0]["ok"]


def test_recover_finds_nothing_in_plain_text() -> None:
    recovery = recover_tool_calls("Just an answer.", {"read_file": {}})
    assert recovery.calls == [] and recovery.error is None and recovery.text == "Just an answer."


def test_looks_like_tool_call_holds_back_only_markup_openings() -> None:
    assert looks_like_tool_call("  <tool")
    assert looks_like_tool_call("<function=read")
    assert looks_like_tool_call('{"name"')
    assert not looks_like_tool_call("The answer")


@pytest.mark.parametrize(
    ("value", "schema", "expected"),
    [
        ("3", {"type": "integer"}, 3),
        ("-2", {"type": "number"}, -2),
        ("2.5", {"type": "number"}, 2.5),
        ("true", {"type": "boolean"}, True),
        ("False", {"type": "boolean"}, False),
        ('["a", "b"]', {"type": "array", "items": {"type": "string"}}, ["a", "b"]),
        ('{"k": 1}', {"type": "object"}, {"k": 1}),
        ("null", {"anyOf": [{"type": "integer"}, {"type": "null"}]}, None),
        ("7", {"anyOf": [{"type": "integer"}, {"type": "null"}]}, 7),
        ("seven", {"type": "integer"}, "seven"),
        ("3", {"type": "string"}, "3"),
        (3, {"type": "string"}, "3"),
        ("[1,", {"type": "array"}, "[1,"),
    ],
)
def test_coerce_arguments_converts_only_lossless_strings(
    value: Any, schema: dict[str, Any], expected: Any
) -> None:
    assert coerce_arguments({"x": value}, {"type": "object", "properties": {"x": schema}}) == {
        "x": expected
    }


def test_an_answer_that_looks_like_json_is_shown_when_it_ends(
    toolbox: Any, workspace: Path
) -> None:
    answer = '{"files": ["a.txt"], "count": 1}'
    with ScriptedModelServer([{"text": answer, "chunks": 5}]) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=toolbox, mode="direct")
        seen: list[object] = []
        session.subscribe(seen.append)
        outcome = run_async(session.prompt("go"))
    assert "".join(e.text for e in seen if isinstance(e, TextDelta)) == answer == outcome.output
