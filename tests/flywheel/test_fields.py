"""Field access is decided from the snippet's AST and the tools' real return types."""

from __future__ import annotations

import pytest

from punie_core.flywheel.fields import ResultTypes, analyze, field_access_rate


@pytest.fixture(scope="module")
def types() -> ResultTypes:
    from punie_core.plugins.loader import load_toolbox

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PUNIE_LOAD_PLUGINS", "")  # the core tools only: stable return types
        return ResultTypes.from_toolbox(load_toolbox())


def test_result_types_come_from_return_annotations(types: ResultTypes) -> None:
    assert types.tools["run_command"].noun == "CommandResult"
    assert types.tools["write_file"].noun == "WriteResult"
    assert "read_file" not in types.tools  # returns str: nothing typed to read
    assert {"exit_code", "output"} <= types.nouns["CommandResult"]


@pytest.mark.parametrize(
    "code",
    [
        "r = run_command('pytest -q')\nprint(r.exit_code)",
        "print(run_command('ls').output)",
        "r = run_command('ls')\nprint(f'{r.exit_code}: done')",
        "r = run_command('ls')\nif r.exit_code != 0:\n    print('failed')",
        "results = [run_command(c) for c in ['a', 'b']]\nfor x in results:\n    print(x.exit_code)",
        "print(getattr(write_file('a.txt', 'x'), 'created'))",
        "r = run_command('ls')\nok = r\nprint(ok.output[:100])",
    ],
)
def test_reading_a_field_of_a_typed_result_counts(types: ResultTypes, code: str) -> None:
    access = analyze(code, types)
    assert access.counts and access.reads_fields


@pytest.mark.parametrize(
    "code",
    [
        "r = run_command('pytest -q')\nprint(r)",
        "print(run_command('ls'))",
        "r = run_command('ls')\nprint(r.exit_code_typo)",  # not a field of CommandResult
        "r = run_command('ls')\nprint(r.model_dump())",  # a method, not a field
        # Keywords are not reads:
        "exit_code = 1\nr = run_command('ls')\nprint(exit_code, 'output')",
    ],
)
def test_printing_a_typed_result_is_not_a_read(types: ResultTypes, code: str) -> None:
    access = analyze(code, types)
    assert access.counts and not access.reads_fields


def test_snippets_without_typed_tools_or_valid_syntax_do_not_count(types: ResultTypes) -> None:
    assert not analyze("print(read_file('a.py').upper())", types).counts
    assert not analyze("def broken(:\n", types).parsed
    reading, counted = field_access_rate(
        ["print(run_command('x').exit_code)", "print(run_command('x'))", "print(1)", "x = ("],
        types,
    )
    assert (reading, counted) == (1, 2)


def test_lists_of_nouns_are_tracked_through_loops_and_indexing() -> None:
    from pydantic import BaseModel

    from punie_core.flywheel.fields import Shape

    types = ResultTypes(
        tools={"ruff_check": Shape("RuffResult"), "findings": Shape("Finding", many=True)},
        nouns={"RuffResult": frozenset({"findings", "ok"}), "Finding": frozenset({"line", "rule"})},
        field_shapes={("RuffResult", "findings"): Shape("Finding", many=True)},
    )
    assert BaseModel  # the shapes stand for Pydantic nouns
    first = analyze("fs = findings()\nprint(fs[0].rule)", types)
    assert first.reads == {("Finding", "rule")}
    loop = analyze("for f in ruff_check().findings:\n    print(f.line)", types)
    assert ("Finding", "line") in loop.reads and ("RuffResult", "findings") in loop.reads
    only_print = analyze("fs = findings()\nprint(fs)\nprint(len(fs))", types)
    assert only_print.counts and not only_print.reads_fields
