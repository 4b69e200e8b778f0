"""Model-written tools: the checks, drafts in the next snippet, the library, promotion, trust."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from punie_core.plugins.context import AskCallback, PermissionRequest, ToolContext
from punie_core.plugins.loader import load_toolbox
from punie_core.plugins.toolbox import Toolbox
from punie_core.sandbox.results import CodeResult
from punie_core.sandbox.runner import Sandbox, shutdown_pool
from punie_core.toolmaking.library import Library
from punie_core.toolmaking.shelf import ToolShelf

COUNT_TODOS = '''
def count_todos(path: str) -> int:
    """Count the TODO markers in one file.

    Args:
        path: The file, relative to the project.
    """
    return read_file(path).count("TODO")
'''

TESTS = [
    'assert count_todos("a.py") == 2',
    'assert count_todos("b.py") == 0',
]


@pytest.fixture(scope="module")
def core_toolbox() -> Toolbox:
    return load_toolbox(entry_points=False, strict=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "a.py").write_text("x = 1  # TODO one\n# TODO two\n")
    (root / "b.py").write_text("y = 2\n")
    return root


def run_snippets(toolbox: Toolbox, context: ToolContext, *snippets: str) -> list[CodeResult]:
    """Run snippets one after another in one session's sandbox (as the agent does)."""

    async def main() -> list[CodeResult]:
        sandbox = Sandbox(toolbox)
        try:
            return [await sandbox.run(code, context) for code in snippets]
        finally:
            await sandbox.aclose()
            await shutdown_pool()

    return asyncio.run(main())


def make_call(name: str, source: str, tests: list[str], description: str = "Count TODOs.") -> str:
    return (
        f"d = make_tool({name!r}, {source!r}, {tests!r}, {description!r})\n"
        "print(d.ok, [(c.kind, c.ok) for c in d.checks])\n"
        "d"
    )


def draft_of(result: CodeResult) -> dict[str, Any]:
    assert result.error is None, result.error
    return result.value


def test_a_checked_draft_is_callable_from_the_next_snippet(core_toolbox, project):
    shelf = ToolShelf(project, session_id="s1", model="m")
    toolbox = shelf.extend(core_toolbox)
    context = ToolContext.local(project)
    made, used = run_snippets(
        toolbox, context, make_call("count_todos", COUNT_TODOS, TESTS), 'count_todos("a.py")'
    )
    draft = draft_of(made)
    assert draft["ok"], draft["checks"]
    assert [c["kind"] for c in draft["checks"]] == [
        "parse",
        "signature",
        "typecheck",
        "tests",
        "lint",
        "replay",
    ]
    assert draft["signature"] == "count_todos(path: str) -> int"
    assert draft["version"] == 1 and len(draft["sha256"]) == 64
    assert used.error is None and used.value == 2
    assert shelf.take_trace_record() == {
        "made_tools": [
            {"name": "count_todos", "version": 1, "sha256": draft["sha256"], "ok": True}
        ],
        "made_tool_calls": {"count_todos": {"calls": 1, "failures": 0}},
    }
    # The draft waits in the project for promotion; the library itself is still empty.
    assert [e.status for e in Library(project).entries()] == ["draft"]


REJECTIONS = {
    "a lying return annotation": (
        COUNT_TODOS.replace("-> int", "-> str"),
        TESTS,
        "typecheck",
        "invalid-return-type",
    ),
    "an infinite loop": (
        COUNT_TODOS.replace("    return", "    while True:\n        pass\n    return"),
        TESTS,
        "tests",
        "TimeoutError",
    ),
    "a disallowed import": (
        "import os\n" + COUNT_TODOS,
        TESTS,
        "signature",
        "import of 'os' is not allowed",
    ),
    "a call to an unknown tool": (
        COUNT_TODOS.replace("read_file(path)", "fetch_file(path)"),
        TESTS,
        "signature",
        "fetch_file() is not a tool",
    ),
    "a failing test": (
        COUNT_TODOS,
        ['assert count_todos("a.py") == 3', TESTS[1]],
        "tests",
        "test 1",
    ),
    "fewer than two tests": (COUNT_TODOS, TESTS[:1], "tests", "at least 2 tests"),
    "a missing Args entry": (
        COUNT_TODOS.replace("    Args:\n        path: The file, relative to the project.\n", ""),
        TESTS,
        "signature",
        "no `Args:` entry for path",
    ),
    "syntax that does not parse": (
        "def count_todos(path: str)\n    return 1\n",
        TESTS,
        "parse",
        "line 1",
    ),
    "an unused import": ("import json\n" + COUNT_TODOS, TESTS, "lint", "F401"),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_a_draft_breaking_a_rule_is_rejected_naming_the_check(core_toolbox, project, case):
    source, tests, check, message = REJECTIONS[case]
    shelf = ToolShelf(project)
    toolbox = shelf.extend(core_toolbox)
    (made,) = run_snippets(
        toolbox, ToolContext.local(project), make_call("count_todos", source, tests)
    )
    draft = draft_of(made)
    assert not draft["ok"]
    failed = [c for c in draft["checks"] if not c["ok"]]
    assert failed[0]["kind"] == check, draft["checks"]
    assert message in failed[0]["message"]
    assert shelf.revision == 0  # nothing joined the toolbox


@pytest.mark.parametrize("name", ["read_file", "print", "make_tool"])
def test_a_made_tool_can_never_shadow_a_core_tool_or_builtin(core_toolbox, project, name):
    source = COUNT_TODOS.replace("count_todos", name)
    tests = [t.replace("count_todos", name) for t in TESTS]
    (made,) = run_snippets(
        ToolShelf(project).extend(core_toolbox),
        ToolContext.local(project),
        make_call(name, source, tests),
    )
    draft = draft_of(made)
    assert [c["kind"] for c in draft["checks"] if not c["ok"]] == ["signature"]


def test_a_made_tool_cannot_write_without_the_gate(core_toolbox, project):
    """Its tool calls pass the gate: without approval the write is refused inside the test."""
    source = '''
def stamp(path: str) -> str:
    """Write a stamp file.

    Args:
        path: Where to write.
    """
    write_file(path, "stamped")
    return path
'''
    tests = ['assert stamp("s.txt") == "s.txt"', 'assert stamp("t.txt") == "t.txt"']
    (made,) = run_snippets(
        ToolShelf(project).extend(core_toolbox),
        ToolContext.local(project),  # no --yes: writes are refused
        make_call("stamp", source, tests),
    )
    draft = draft_of(made)
    (failed,) = [c for c in draft["checks"] if not c["ok"]]
    assert failed["kind"] == "tests" and "PermissionError" in failed["message"]
    assert not (project / "s.txt").exists()


def test_replay_compares_with_the_snippet_that_motivated_the_tool(core_toolbox, project):
    shelf = ToolShelf(project)
    toolbox = shelf.extend(core_toolbox)
    motivating = COUNT_TODOS + '\nprint(count_todos("a.py"))\n'
    changed = COUNT_TODOS.replace('.count("TODO")', '.count("TODO") * 2')
    tests = ['assert count_todos("a.py") == 4', 'assert count_todos("b.py") == 0']
    first, made = run_snippets(
        toolbox, ToolContext.local(project), motivating, make_call("count_todos", changed, tests)
    )
    assert first.stdout == "2\n"
    draft = draft_of(made)
    replay = draft["checks"][-1]
    assert replay["kind"] == "replay" and not replay["ok"]
    assert "'4'" in replay["message"] and "'2'" in replay["message"]


def promote(toolbox: Toolbox, project: Path, answer: bool) -> tuple[list[CodeResult], list[Any]]:
    asked: list[PermissionRequest] = []

    async def ask(request: PermissionRequest) -> bool:
        asked.append(request)
        return answer

    context = ToolContext.local(project, permissions=AskCallback(ask))
    results = run_snippets(
        toolbox,
        context,
        make_call("count_todos", COUNT_TODOS, TESTS),
        'promote_tool("count_todos")',
    )
    return results, asked


def test_promotion_asks_explicitly_and_a_refusal_keeps_the_library_empty(core_toolbox, project):
    (_, promoted), asked = promote(ToolShelf(project).extend(core_toolbox), project, False)
    assert promoted.error is not None and promoted.error.type == "PermissionError"
    (request,) = asked
    assert request.sensitive and request.kind == "edit"
    assert request.arguments["source"] == COUNT_TODOS
    assert [c["kind"] for c in request.arguments["checks"]][-1] == "replay"
    assert not (project / ".punie" / "tools" / "manifest.json").exists()


def test_a_promoted_tool_serves_a_new_session_and_counts_its_calls(core_toolbox, project):
    (_, promoted), _ = promote(ToolShelf(project, model="qwen").extend(core_toolbox), project, True)
    assert promoted.error is None and promoted.value["status"] == "library"
    library = project / ".punie" / "tools"
    assert (library / "count_todos" / "v1.py").read_text() == COUNT_TODOS
    assert json.loads((library / "count_todos" / "v1.tests.json").read_text()) == TESTS
    manifest = json.loads((library / "manifest.json").read_text())
    assert manifest["tools"]["count_todos"]["versions"]["1"]["model"] == "qwen"

    later = ToolShelf(project).extend(core_toolbox)  # a new session in the same project
    assert "count_todos" in later.prompt and "def count_todos(path: str) -> int" in later.stubs
    (used,) = run_snippets(later, ToolContext.local(project), 'count_todos("a.py")')
    assert used.value == 2
    (entry,) = Library(project).entries()
    assert (entry.status, entry.calls, entry.failures) == ("library", 1, 0)


def test_a_tampered_library_file_is_refused_with_a_clear_message(core_toolbox, project):
    promote(ToolShelf(project).extend(core_toolbox), project, True)
    path = project / ".punie" / "tools" / "count_todos" / "v1.py"
    path.write_text(COUNT_TODOS.replace("TODO", "FIXME"))
    shelf = ToolShelf(project)
    toolbox = shelf.extend(core_toolbox)
    assert "count_todos" not in {t.name for t in toolbox.tools}
    (refused,) = shelf.refused
    assert "does not match its recorded sha256" in refused
    assert [e.status for e in Library(project).entries()] == ["tampered"]


def test_the_prompt_is_byte_stable_until_the_library_changes(core_toolbox, project):
    before = ToolShelf(project).extend(core_toolbox).prompt
    assert ToolShelf(project).extend(core_toolbox).prompt == before
    promote(ToolShelf(project).extend(core_toolbox), project, True)
    after = ToolShelf(project).extend(core_toolbox).prompt
    assert after != before and "count_todos" in after
    assert ToolShelf(project).extend(core_toolbox).prompt == after
