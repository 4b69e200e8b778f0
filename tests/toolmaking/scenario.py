"""The repeated-task scenario: a task solved three times in one project by a scripted model.

First time: the model solves it with an inline function, turns the function into a tool with
`make_tool`, asks to keep it (`promote_tool`, approved), and answers. Second and third time (new
sessions): the tool is in the project library, so one snippet calling it is enough. The test
asserts the shape; `bench/bench_toolmaking.py` records requests and prompt tokens.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from punie_core.agent.session import Session
from punie_core.plugins.context import AskCallback, PermissionRequest, ToolContext
from punie_core.sandbox.runner import shutdown_pool
from punie_core.testing.scripted_model import ScriptedModelServer, request_tokens

FUNCTION = '''def count_todos(path: str) -> int:
    """Count the TODO markers in one file.

    Args:
        path: The file, relative to the project.
    """
    return read_file(path).count("TODO")
'''

TESTS = ['assert count_todos("a.py") == 2', 'assert count_todos("b.py") == 0']

QUESTION = "How many TODO markers are in a.py and b.py together?"


def code(snippet: str) -> dict[str, Any]:
    return {"tool_calls": [{"name": "execute_code", "arguments": {"code": snippet}}]}


FIRST = [
    code(FUNCTION + '\nprint(count_todos("a.py") + count_todos("b.py"))'),
    code(
        f"d = make_tool('count_todos', {FUNCTION!r}, {TESTS!r}, 'Count TODO markers in a file.')"
        "\nprint(d)"
    ),
    code('print(promote_tool("count_todos"))'),
    {"text": "There are 2 TODO markers."},
]

LATER = [
    code('print(count_todos("a.py") + count_todos("b.py"))'),
    {"text": "There are 2 TODO markers."},
]


def make_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "a.py").write_text("x = 1  # TODO one\n# TODO two\n")
    (root / "b.py").write_text("y = 2\n")
    return root


def repeated_task(project: Path, toolbox: Any) -> list[dict[str, Any]]:
    """Run the task three times (one session each); per repetition: requests, tokens, answer."""
    asked: list[PermissionRequest] = []

    async def approve(request: PermissionRequest) -> bool:
        asked.append(request)
        return True

    runs = []
    for script in (FIRST, LATER, LATER):
        with ScriptedModelServer(script) as server:
            session = Session(
                cwd=project,
                model=server.model_string,
                toolbox=toolbox,
                context=ToolContext.local(project, permissions=AskCallback(approve)),
            )

            async def main(session: Session = session) -> Any:
                try:
                    return await session.prompt(QUESTION)
                finally:
                    await session.aclose()
                    await shutdown_pool()

            outcome = asyncio.run(main())
        runs.append(
            {
                "requests": len(server.chat_requests),
                "prompt_tokens": sum(request_tokens(r.body) for r in server.chat_requests),
                "output": outcome.output,
                "stop_reason": outcome.stop_reason,
            }
        )
    runs[0]["approvals"] = [r.tool for r in asked]
    return runs
