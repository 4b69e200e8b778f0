"""Model-written tools over ACP: promotion is asked in the IDE with the source, and respected."""

from __future__ import annotations

import json

import pytest
from acp_harness import IdeClient, run, scripted_prompt, snippet

from tests.toolmaking.scenario import FUNCTION, TESTS

MAKE = f"print(make_tool('count_todos', {FUNCTION!r}, {TESTS!r}, 'Count TODO markers.'))"


@pytest.mark.parametrize("answer", ["allow_once", "reject_once"])
def test_promotion_is_asked_in_the_ide_with_the_source_and_the_answer_holds(workspace, answer):
    (workspace / "a.py").write_text("# TODO one\n# TODO two\n")
    (workspace / "b.py").write_text("x = 1\n")
    replies = [snippet(MAKE), snippet("print(promote_tool('count_todos'))"), {"text": "done"}]
    turn = run(scripted_prompt(workspace, replies, client=IdeClient(answers=[answer])))
    assert turn.response.stop_reason == "end_turn"
    [(tool_call, options)] = turn.client.permission_requests
    assert tool_call.title.startswith("promote_tool(count_todos): keep count_todos(path: str)")
    assert tool_call.raw_input["source"] == FUNCTION
    assert [c["kind"] for c in tool_call.raw_input["checks"]] == [
        "parse",
        "signature",
        "typecheck",
        "tests",
        "lint",
        "replay",
    ]
    # A tool every later session runs: no "always allow" for it.
    assert [o.kind for o in options] == ["allow_once", "reject_once"]
    manifest = workspace / ".punie" / "tools" / "manifest.json"
    if answer == "allow_once":
        assert json.loads(manifest.read_text())["tools"]["count_todos"]["active"] == 1
    else:
        assert not manifest.exists()
