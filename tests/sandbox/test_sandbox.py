"""Code Mode: tools as plain functions, typed results both ways, type checking, errors, events."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from punie_core.plugins.context import ToolContext
from punie_core.plugins.events import ToolCallFinished, ToolCallStarted
from punie_core.plugins.toolbox import Toolbox
from punie_core.sandbox.results import CodeResult, Limits, SnippetError, SnippetToolCall
from punie_core.sandbox.runner import Sandbox, execute_code, run_sync, shutdown_pool

from .conftest import Runner, run_many


def test_tools_are_plain_functions_in_loops_and_branches(run: Runner) -> None:
    result = run(
        "found = []\n"
        "for p in list_files('**/*.py'):\n"
        "    if 'TODO' in read_file(p):\n"
        "        found.append(p)\n"
        "print('todo in', found)\n"
        "len(found)"
    )
    assert result.ok, result.error
    assert result.stdout == "todo in ['pkg/views.py']\n"
    assert result.value == 1
    assert [c.tool for c in result.tool_calls] == ["list_files", "read_file", "read_file"]
    assert all(c.ok and c.ms >= 0 for c in result.tool_calls)


def test_noun_results_are_read_by_field_with_nested_lists(run: Runner) -> None:
    result = run(
        "r = check('pkg/views.py')\n"
        "lines = [e.line for e in r.errors]\n"
        "print(r.path, r.error_count, lines, r.errors[0].tags, type(r).__name__)\n"
        "print(isinstance(r, Report), isinstance(r.errors[1], Problem))\n"
        "r"
    )
    assert result.ok, result.error
    assert result.stdout == "pkg/views.py 2 [3, 7] ['F401'] Report\nTrue True\n"
    assert result.value == {
        "path": "pkg/views.py",
        "errors": [
            {"line": 3, "message": "unused import", "tags": ["F401"]},
            {"line": 7, "message": "bad", "tags": []},
        ],
        "error_count": 2,
    }


def test_nouns_built_in_the_sandbox_reach_tools_as_models(run: Runner) -> None:
    result = run(
        "report = Report(path='x.py', errors=[Problem(line=2, message='m')], error_count=1)\n"
        "count_problems(report)"
    )
    assert result.ok, result.error
    assert result.value == 1 + 2


def test_a_tool_result_passed_back_to_a_tool_is_the_same_model(run: Runner) -> None:
    result = run("count_problems(check('a.py'))")
    assert result.ok, result.error
    assert result.value == 2 + 3 + 7


def test_untyped_dicts_and_sandbox_dataclasses_convert_to_the_parameter_noun(run: Runner) -> None:
    result = run(
        "from dataclasses import dataclass\n"
        "@dataclass\n"
        "class P:\n"
        "    line: int\n"
        "    message: str\n"
        "import json\n"
        'data = json.loads(\'{"path": "x", "error_count": 1, \'\n'
        '    \'"errors": [{"line": 4, "message": "m"}]}\')\n'
        "a = count_problems(data)\n"
        "b = echo(P(line=1, message='m'))\n"
        "(a, b)"
    )
    assert result.ok, result.error
    assert result.value == [1 + 4, {"line": 1, "message": "m"}]


def test_a_bad_noun_field_is_a_catchable_type_error_naming_the_field(run: Runner) -> None:
    result = run(
        "import json\n"
        "line = json.loads('\"seven\"')\n"
        "try:\n"
        "    Problem(line=line, message='m')\n"
        "except TypeError as e:\n"
        "    print('caught', e)\n"
    )
    assert result.ok, result.error
    assert result.stdout.startswith("caught Problem(): line: Input should be a valid integer")


def test_assigning_a_noun_field_is_refused_before_running(run: Runner) -> None:
    result = run("r = check('a.py')\nr.error_count = 0\nprint('ran')")
    assert result.error is not None and result.error.type == "TypeCheckError"
    assert "read-only" in result.error.message
    assert result.stdout == "" and result.tool_calls == []


@pytest.mark.parametrize(
    ("kind", "caught_as"),
    [
        ("missing", "FileNotFoundError"),
        ("value", "ValueError"),
        ("lookup", "KeyError"),
        ("custom", "Exception"),
        ("timeout", "TimeoutError"),
        ("permission", "PermissionError"),
    ],
)
def test_tool_exceptions_are_raised_in_the_sandbox_as_builtins(
    run: Runner, kind: str, caught_as: str
) -> None:
    result = run(
        f"try:\n    fail('{kind}')\nexcept {caught_as} as e:\n    print(type(e).__name__, e)\n"
    )
    assert result.ok, result.error
    assert result.stdout.split(" ", 1)[0] == caught_as
    assert result.tool_calls == [
        SnippetToolCall(
            tool="fail", ok=False, ms=result.tool_calls[0].ms, error=result.tool_calls[0].error
        )
    ]
    assert result.tool_calls[0].error is not None


def test_an_uncaught_tool_error_ends_the_snippet_with_type_message_and_line(run: Runner) -> None:
    result = run("x = 1\nprint('before')\nfail('missing')\nprint('after')")
    assert not result.ok
    assert result.stdout == "before\n"
    assert result.error is not None
    assert result.error.model_dump() == {
        "type": "FileNotFoundError",
        "message": "no such file: x.txt",
        "line": 3,
    }
    assert "fail('missing')" in (result.error.traceback or "")
    assert 'File "snippet.py", line 3' in result.for_model()


def test_a_refused_write_says_to_pass_yes(run: Runner, workspace: Path) -> None:
    result = run("write_file('new.txt', 'x')")
    assert result.error is not None and result.error.type == "PermissionError"
    assert "--yes" in result.error.message
    assert not (workspace / "new.txt").exists()


def test_writes_run_with_yes_and_return_the_noun(
    toolbox: Toolbox, yes_context: ToolContext, workspace: Path
) -> None:
    [result] = run_many(
        toolbox, yes_context, ["r = write_file('out/new.txt', 'hi')\n(r.path, r.created)"]
    )
    assert result.ok, result.error
    assert result.value == ["out/new.txt", True]
    assert (workspace / "out" / "new.txt").read_text() == "hi"


def test_a_type_error_never_runs_and_reports_line_column_and_checker_text(
    toolbox: Toolbox, yes_context: ToolContext, workspace: Path
) -> None:
    code = "write_file('should-not-exist.txt', 'x')\nprint('ran')\nn = read_file(42)\n"
    [result] = run_many(toolbox, yes_context, [code])
    assert not (workspace / "should-not-exist.txt").exists()
    assert result.stdout == "" and result.tool_calls == []
    assert result.error is not None
    assert result.error.type == "TypeCheckError" and result.error.line == 3
    assert result.error.message.startswith("snippet.py:3:15: error[invalid-argument-type]")
    assert "Expected `str`" in result.error.message
    assert "did not run" in result.for_model()


def test_unknown_names_and_wrong_attributes_are_type_errors(run: Runner) -> None:
    result = run("r = check('a.py')\nprint(r.warnings)\ndelete_everything()")
    assert result.error is not None and result.error.type == "TypeCheckError"
    assert "unresolved-attribute" in result.error.message
    assert "delete_everything" in result.error.message


def test_a_syntax_error_never_runs(run: Runner) -> None:
    result = run("print('ran')\ndef f(:\n    pass\n")
    assert result.stdout == ""
    assert result.error is not None
    assert (result.error.type, result.error.line) == ("SyntaxError", 2)
    assert "snippet.py:2:" in result.error.message


def test_unsupported_syntax_fails_at_run_time_with_not_implemented(run: Runner) -> None:
    result = run("class A:\n    pass\nclass B(A):\n    pass\n")
    assert result.error is not None
    assert result.error.type == "NotImplementedError"
    assert "inheritance" in result.error.message


def test_runtime_error_line_is_the_innermost_line_of_the_snippet(run: Runner) -> None:
    result = run("def lookup(d):\n    return d['missing']\n\nlookup({})\n")
    assert result.error is not None
    assert (result.error.type, result.error.message, result.error.line) == (
        "KeyError",
        "missing",
        2,
    )


def test_print_is_captured_and_never_reaches_the_process_stdout(
    run: Runner, capfd: pytest.CaptureFixture[str]
) -> None:
    result = run("print('to stdout')\nimport sys\nprint('to stderr', file=sys.stderr)\n'v'")
    assert result.ok, result.error
    assert "to stdout\n" in result.stdout and "to stderr\n" in result.stdout
    out, err = capfd.readouterr()
    assert "to stdout" not in out and "to stdout" not in err
    assert "to stderr" not in out and "to stderr" not in err


def test_every_tool_call_emits_started_and_finished_events(run: Runner, events: list[Any]) -> None:
    result = run(
        "read_file('notes.txt')\n"
        "try:\n    write_file('x.txt', 'y')\nexcept PermissionError:\n    pass\n"
    )
    assert result.ok, result.error
    started = [e for e in events if isinstance(e, ToolCallStarted)]
    finished = [e for e in events if isinstance(e, ToolCallFinished)]
    assert [e.tool for e in started] == ["read_file"]
    assert [(e.tool, e.ok, e.refused) for e in finished] == [
        ("read_file", True, False),
        ("write_file", False, True),
    ]
    assert finished[0].call_id == started[0].call_id
    assert finished[0].result == "hello\n"


def test_values_become_json_or_their_repr(run: Runner) -> None:
    result = run(
        "import datetime\n"
        "from dataclasses import dataclass\n"
        "@dataclass\n"
        "class Pt:\n"
        "    x: int\n"
        "{'bytes': b'ab', 'set': {3, 1, 2}, 'tuple': (1, 'a'), 'date': datetime.date(2024, 5, 1),\n"
        " 'nan': float('nan'), 'big': 2 ** 100, 'none': None, 'pt': Pt(x=1), 'fn': len}"
    )
    assert result.ok, result.error
    value = result.value
    assert value["bytes"] == "b'ab'" and value["set"] == [1, 2, 3] and value["tuple"] == [1, "a"]
    assert value["date"] == "2024-05-01" and value["nan"] == "nan" and value["big"] == 2**100
    assert value["none"] is None and value["pt"] == {"x": 1}
    assert isinstance(value["fn"], str)
    json.dumps(result.model_dump())  # always serialisable


def test_print_shows_a_nouns_own_str_while_fields_and_json_value_stay(
    core_toolbox: Toolbox, yes_context: ToolContext
) -> None:
    # WriteResult defines __str__. Monty renders host objects itself (str() and f-strings
    # show its `Name(field=...)` form); the session's print asks the host for the noun's text.
    [result] = run_many(
        core_toolbox,
        yes_context,
        [
            "r = write_file('new.py', 'x = 1\\n')\n"
            "print(r)\n"
            "print('result:', r, r.size, sep=' | ')\n"
            "print([r])\n"
            "print(r.path, r.created, r.findings, isinstance(r, WriteResult))\n"
            "r"
        ],
    )
    assert result.ok, result.error
    assert result.stdout.splitlines() == [
        "created new.py (6 characters)",
        "result: | created new.py (6 characters) | 6",
        "[WriteResult(path='new.py', size=6, created=True, findings=[], unchanged=False)]",
        "new.py True [] True",
    ]
    assert result.value == {
        "path": "new.py",
        "size": 6,
        "created": True,
        "findings": [],
        "unchanged": False,
    }
    assert result.value_text == "created new.py (6 characters)"
    assert result.for_model().endswith("\n=> created new.py (6 characters)")
    assert "value_text" not in json.loads(result.model_dump_json())
    assert [c.tool for c in result.tool_calls] == ["write_file"]  # the text is no tool call


def test_writing_back_the_same_text_changes_nothing_and_says_so(core_toolbox, yes_context):
    [result] = run_many(
        core_toolbox,
        yes_context,
        ["write_file('same.py', 'x = 1\\n')\nr = write_file('same.py', 'x = 1')\nprint(r)\nr"],
    )
    assert result.ok, result.error
    assert result.stdout.startswith("same.py unchanged: that is the text it already has.")
    assert result.value["unchanged"] is True


def test_a_noun_without_its_own_str_prints_and_returns_as_before(run: Runner) -> None:
    result = run("r = check('a.py')\nprint(r.errors[0])\nprint(str(r.errors[1]), 'x')\nr")
    assert result.ok, result.error
    assert result.stdout == (
        "Problem(line=3, message='unused import', tags=['F401'])\n"
        "Problem(line=7, message='bad', tags=[]) x\n"
    )
    assert result.value_text is None
    assert result.for_model().endswith(
        '=> {"path":"a.py","errors":[{"line":3,"message":'
        '"unused import","tags":["F401"]},{"line":7,"message":'
        '"bad","tags":[]}],"error_count":2}'
    )


def test_print_keeps_its_arguments_and_streams(run: Runner) -> None:
    result = run(
        "import sys\n"
        "print(1, 'a', None, [1], {'a': 2}, (3,), 2.5, True, Report)\n"
        "print()\n"
        "print('e', file=sys.stderr)\n"
        "print('x', 'y', sep='-', end='!')\n"
    )
    assert result.ok, result.error
    assert result.stdout == "1 a None [1] {'a': 2} (3,) 2.5 True <class 'Report'>\n\ne\nx-y!"


def test_snippets_start_fresh_each_run(toolbox: Toolbox, context: ToolContext) -> None:
    first, second, third = run_many(toolbox, context, ["n = 0\nn", "n = 'text'\nn", "print(n)"])
    assert first.value == 0 and second.value == "text"
    assert third.error is not None and third.error.type == "TypeCheckError"
    assert "`n` used when not defined" in third.error.message


def test_runs_of_one_sandbox_may_overlap(toolbox: Toolbox, context: ToolContext) -> None:
    async def main() -> list[CodeResult]:
        sandbox = Sandbox(toolbox)
        try:
            return list(
                await asyncio.gather(*(sandbox.run(f"wait(0.2)\n{i}", context) for i in range(3)))
            )
        finally:
            await shutdown_pool()

    results = asyncio.run(main())
    assert [r.value for r in results] == [0, 1, 2]


def test_a_cancelled_run_raises_and_the_sandbox_keeps_working(
    toolbox: Toolbox, context: ToolContext
) -> None:
    async def main() -> CodeResult:
        sandbox = Sandbox(toolbox)
        try:
            task = asyncio.create_task(sandbox.run("while True:\n    pass", context))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await sandbox.run("1 + 1", context)
        finally:
            await shutdown_pool()

    assert asyncio.run(main()).value == 2


def test_execute_code_shares_a_sandbox_per_toolbox_and_keeps_no_state(
    toolbox: Toolbox, context: ToolContext
) -> None:
    async def main() -> list[CodeResult]:
        try:
            first = await execute_code("secret = 1\nsecret", toolbox=toolbox, context=context)
            second = await execute_code("secret", toolbox=toolbox, context=context)
            return [first, second]
        finally:
            await shutdown_pool()

    first, second = asyncio.run(main())
    assert first.value == 1
    assert second.error is not None and second.error.type == "TypeCheckError"


def test_run_sync_works_from_plain_code(toolbox: Toolbox, context: ToolContext) -> None:
    assert run_sync("6 * 7", toolbox=toolbox, context=context).value == 42


def test_for_model_is_compact_for_each_outcome() -> None:
    ok = CodeResult(ok=True, stdout="a\nb\n", value={"n": 1})
    assert ok.for_model() == 'a\nb\n=> {"n":1}'
    shown = CodeResult(ok=True, value={"n": 1}, value_text="1 thing")
    assert shown.for_model() == "=> 1 thing"
    silent = CodeResult(ok=True)
    assert "print what you need" in silent.for_model()
    typed = CodeResult(
        ok=False,
        error=SnippetError(type="TypeCheckError", message="snippet.py:1:1: error[x] y", line=1),
    )
    assert typed.for_model().startswith("TypeCheckError: the code did not run.")
    assert typed.for_model().endswith("snippet.py:1:1: error[x] y")
    limit = CodeResult(
        ok=False, error=SnippetError(type="ToolCallLimitExceeded", message="m", line=4)
    )
    assert limit.for_model() == "ToolCallLimitExceeded (line 4): m"


def test_code_result_json_has_the_contract_fields(run: Runner) -> None:
    result = run("fail('value')")
    data = json.loads(result.model_dump_json())
    assert set(data) == {"ok", "stdout", "value", "error", "tool_calls", "ms"}
    assert set(data["error"]) == {"type", "message", "line"}
    assert set(data["tool_calls"][0]) == {"tool", "ok", "ms", "error"}


def test_limits_validate_their_values() -> None:
    with pytest.raises(ValueError):
        Limits(wall_seconds=0)
    with pytest.raises(ValueError):
        Limits(max_tool_calls=-1)
    assert Limits().max_output_bytes == 64 * 1024 and Limits().memory_bytes == 128 * 1024 * 1024


def test_many_idle_sandboxes_do_not_starve_the_pool(toolbox: Toolbox, context: ToolContext) -> None:
    from punie_core.sandbox.pool import MAX_SPARES, MAX_WORKERS

    async def main() -> list[CodeResult]:
        try:
            sandboxes = [Sandbox(toolbox) for _ in range(MAX_WORKERS + 4)]
            for sandbox in sandboxes:
                assert (await sandbox.run("1", context)).ok
            spares = sum(1 for s in sandboxes if s._spare is not None)
            assert spares <= MAX_SPARES
            return list(await asyncio.gather(*(s.run("2", context) for s in sandboxes)))
        finally:
            await shutdown_pool()

    assert [r.value for r in asyncio.run(main())] == [2] * (MAX_WORKERS + 4)
