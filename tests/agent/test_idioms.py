"""open() idioms and tool imports small models write, rewritten to the tools before running."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from punie_core.agent.idioms import rewrite_idioms
from punie_core.agent.pydantic_agent import toolbox_schemas
from punie_core.agent.recovery import Callables, recover_tool_calls
from punie_core.agent.session import Session
from punie_core.plugins.context import AutoApprove, ToolContext
from punie_core.plugins.loader import load_toolbox
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import run_async

TOOLS = {"read_file", "write_file", "list_files"}


def test_a_with_open_write_becomes_one_write_file() -> None:
    code = (
        "import json\n"
        "config = {'host': '127.0.0.1', 'port': 8000}\n"
        "with open('config.json', 'w') as f:\n"
        "    json.dump(config, f, indent=2)\n"
        "    f.write('\\n')\n"
    )
    rewritten = rewrite_idioms(code, TOOLS)
    assert rewritten.writes == ["config.json"] and "open(" not in rewritten.code
    assert "write_file(path='config.json', content=''.join(_written))" in rewritten.code
    assert "json.dumps(config, indent=2)" in rewritten.code


def test_reads_through_open_become_read_file() -> None:
    code = (
        "with open('app/models.py') as f:\n"
        "    lines = f.readlines()\n"
        "print(len(lines), open('a.txt').read())\n"
        "with open('b.txt', 'r') as handle:\n"
        "    for line in handle:\n"
        "        print(line)\n"
    )
    rewritten = rewrite_idioms(code, TOOLS)
    assert rewritten.reads == ["app/models.py", "a.txt", "b.txt"] and not rewritten.writes
    assert "open(" not in rewritten.code
    assert "read_file(path='app/models.py').splitlines(keepends=True)" in rewritten.code


def test_imports_of_the_tools_are_dropped_and_other_imports_kept() -> None:
    code = "from tools import read_file, write_file\nimport tools\nimport json\nfrom app import x\n"
    rewritten = rewrite_idioms(code, TOOLS)
    assert rewritten.changed
    assert rewritten.code == "import json\nfrom app import x\n"


@pytest.mark.parametrize(
    "code",
    [
        "with open('a') as f:\n    f.seek(0)\n    print(f.read())\n",  # another use of the handle
        "with open('a', 'rb') as f:\n    data = f.read()\n",  # binary
        "f = open('a')\nprint(f.read())\n",  # a handle kept in a variable
        "print(1\n",  # does not parse
    ],
)
def test_other_uses_of_open_are_left_for_the_type_check_to_report(code: str) -> None:
    rewritten = rewrite_idioms(code, TOOLS)
    assert not rewritten.changed and rewritten.code == code


def test_a_block_that_writes_through_open_runs_only_for_a_file_the_user_named() -> None:
    schemas = toolbox_schemas(load_toolbox())
    block = "```python\nwith open('config.json', 'w') as f:\n    f.write('{}')\n```"
    asked = Callables({"execute_code": {}}, schemas, "Create config.json with an empty object.")
    assert recover_tool_calls(block, asked).calls
    question = Callables({"execute_code": {}}, schemas, "What is a good way to save settings?")
    assert not recover_tool_calls(block, question).calls


def test_open_in_a_snippet_writes_through_the_gate(workspace: Path) -> None:
    toolbox: Any = load_toolbox()
    code = "with open('note.txt', 'w') as f:\n    f.write('hi\\n')\nprint(open('note.txt').read())"
    script = [
        {"tool_calls": [{"name": "execute_code", "arguments": {"code": code}}]},
        {"text": "Wrote it."},
    ]
    context = ToolContext(
        workspace=ToolContext.local(workspace).workspace, permissions=AutoApprove()
    )
    with ScriptedModelServer(script) as server:
        session = Session(
            cwd=workspace, model=server.model_string, toolbox=toolbox, context=context
        )
        outcome = run_async(session.prompt("Write hi to note.txt"))
    assert (workspace / "note.txt").read_text() == "hi\n"
    assert [call["tool"] for call in outcome.tool_calls] == ["write_file", "read_file"]
    assert "hi" in server.chat_requests[1].body["messages"][-1]["content"]
