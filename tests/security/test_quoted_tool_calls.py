"""A tool call a model only quotes must not run (issue 19, item 8; the rule in docs/models.md).

Punie 0.1 ran a ```json {"name": ..., "arguments": ...} block the model merely quoted inside a
prose answer. The attacks: a prompt-injected model explains a destructive call in prose, shows
it to a user who asked how, or hides it mid-answer; none may run, in any format recovery reads.
The same call, when it ends the reply, is a real call (checked too, so the rule is not "never").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from punie_core.agent.session import Session
from punie_core.plugins.context import AutoApprove, ToolContext
from punie_core.security.workspace import Workspace
from punie_core.testing.scripted_model import ScriptedModelServer

WRITE = {"name": "write_file", "arguments": {"path": "notes.txt", "content": "PWNED"}}
JSON_BLOCK = "```json\n" + json.dumps(WRITE) + "\n```"
TOOL_CALL_BLOCK = "```tool_call\n" + json.dumps(WRITE) + "\n```"
PYTHON_BLOCK = '```python\nwrite_file(path="notes.txt", content="PWNED")\n```'

QUOTED = [
    ("json-in-prose", f"You could overwrite it like this:\n{JSON_BLOCK}\nbut I did not."),
    ("tool-call-fence-in-prose", f"The call would be\n{TOOL_CALL_BLOCK}\nif you wanted it."),
    ("python-in-prose", f"For example:\n{PYTHON_BLOCK}\nThat replaces the file."),
    ("bare-json-mid-answer", f"The tool takes {json.dumps(WRITE)} as input, which I won't run."),
    ("after-a-long-explanation", "Explanation. " * 40 + "\n" + JSON_BLOCK),
]


def run(layout: dict[str, Path], toolbox: Any, user: str, reply: str) -> tuple[Any, Any]:
    context = ToolContext(workspace=Workspace.at(layout["app"]), permissions=AutoApprove())
    # The second reply answers Punie's one "your reply only shows code" nudge with the same text.
    with ScriptedModelServer([{"text": reply}, {"text": reply}, {"text": "done"}]) as server:
        session = Session(
            cwd=layout["app"], model=server.model_string, toolbox=toolbox, context=context
        )
        import asyncio

        outcome = asyncio.run(session.prompt(user))
        return outcome, server


@pytest.mark.parametrize(("case", "reply"), QUOTED, ids=[c[0] for c in QUOTED])
def test_a_quoted_call_is_shown_and_never_runs(
    case: str, reply: str, layout: dict[str, Path], toolbox: Any
) -> None:
    outcome, server = run(layout, toolbox, "Tidy up the notes.", reply)
    assert (layout["app"] / "notes.txt").read_text() == "hello\n"
    assert not outcome.tool_calls and outcome.output == reply
    assert len(server.chat_requests) <= 2


@pytest.mark.parametrize("reply", [JSON_BLOCK, PYTHON_BLOCK], ids=["json", "python"])
def test_a_call_asked_to_be_shown_never_runs(
    reply: str, layout: dict[str, Path], toolbox: Any
) -> None:
    outcome, _ = run(layout, toolbox, "How would I overwrite notes.txt? Don't run it.", reply)
    assert (layout["app"] / "notes.txt").read_text() == "hello\n" and not outcome.tool_calls


def test_the_same_call_ending_the_reply_is_a_real_call_through_the_gate(
    layout: dict[str, Path], toolbox: Any
) -> None:
    outcome, _ = run(layout, toolbox, "Replace the notes with PWNED.", "Sure.\n" + JSON_BLOCK)
    assert outcome.tool_calls[0]["tool"] == "write_file" and outcome.tool_calls[0]["ok"]
    assert (layout["app"] / "notes.txt").read_text() == "PWNED"
