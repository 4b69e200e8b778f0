"""Traces become mlx-lm datasets: an example per good turn, error-then-fix examples, set splits."""

from __future__ import annotations

import json
from pathlib import Path

from punie_core.flywheel.export import (
    ExportOptions,
    as_blocks,
    export,
    read_jsonl,
    split_of,
    trace_examples,
)
from tests.flywheel.tracegen import error_result, make_trace, ok_result

RUN = "r = run_command('python -m pytest -q')\nprint(r.exit_code)"


def all_records(out: Path) -> list[dict]:
    return [r for path in sorted(out.glob("*.jsonl")) for r in read_jsonl(path)]


def test_a_validated_trace_gives_one_example_per_turn() -> None:
    trace = make_trace([(RUN, ok_result("0"))], answer="All 3 tests pass.")
    records, reason = trace_examples(trace, ExportOptions())
    assert reason == "" and [kind for kind, _ in records] == ["step", "answer"]
    step, answer = (record for _, record in records)
    assert step["tools"][0]["function"]["name"] == "execute_code"
    assert [m["role"] for m in step["messages"]] == ["system", "user", "assistant"]
    assert json.loads(step["messages"][-1]["tool_calls"][0]["function"]["arguments"]) == {
        "code": RUN
    }
    assert [m["role"] for m in answer["messages"]] == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
    ]
    assert answer["messages"][-1]["content"] == "All 3 tests pass."


def test_unvalidated_traces_are_left_out_unless_all() -> None:
    trace = make_trace([(RUN, ok_result("1"))], validated=False)
    assert trace_examples(trace, ExportOptions()) == ([], "not_validated")
    assert len(trace_examples(trace, ExportOptions(include_all=True))[0]) == 2


def test_a_failed_snippet_fixed_later_gives_an_error_then_fix_example() -> None:
    broken = "print(reslt.exit_code)"
    trace = make_trace([(broken, error_result()), (RUN, ok_result("0"))], validated=False)
    records, _ = trace_examples(trace, ExportOptions())
    assert [kind for kind, _ in records] == ["fix"]  # not validated: only the fix is taught
    messages = records[0][1]["messages"]
    assert "NameError" in messages[-2]["content"] and messages[-2]["role"] == "tool"
    assert json.loads(messages[-1]["tool_calls"][0]["function"]["arguments"])["code"] == RUN
    # The failed call is context, never a target.
    validated = make_trace([(broken, error_result()), (RUN, ok_result("0"))])
    kinds = [kind for kind, _ in trace_examples(validated, ExportOptions())[0]]
    assert kinds == ["fix", "answer"]
    assert [k for k, _ in trace_examples(validated, ExportOptions(negatives=False))[0]] == [
        "answer"
    ]


def test_error_then_fix_is_built_when_the_failure_is_only_in_the_snippets() -> None:
    broken = "r = run_command('pytest')\nprint(r.exit_cod)"
    trace = make_trace(
        [
            (broken, error_result("TypeCheckError", "CommandResult has no attribute exit_cod", 2)),
            (RUN, ok_result("0")),
        ],
        in_messages=[False, True],
        validated=False,
    )
    records, _ = trace_examples(trace, ExportOptions())
    assert [kind for kind, _ in records] == ["fix"]
    messages = records[0][1]["messages"]
    assert json.loads(messages[-3]["tool_calls"][0]["function"]["arguments"])["code"] == broken
    assert "exit_cod" in messages[-2]["content"] and "TypeCheckError" in messages[-2]["content"]
    assert messages[-2]["tool_call_id"] == messages[-3]["tool_calls"][0]["id"]
    assert json.loads(messages[-1]["tool_calls"][0]["function"]["arguments"])["code"] == RUN


def test_traces_that_weakened_tests_are_never_exported() -> None:
    deleting = {
        "tool": "run_command",
        "arguments": {"command": "rm tests/test_app.py"},
        "ok": True,
        "result": None,
        "error": None,
        "ms": 1.0,
        "refused": False,
    }
    trace = make_trace(
        [("run_command('rm tests/test_app.py')", ok_result())], tool_calls=[deleting]
    )
    assert trace_examples(trace, ExportOptions(include_all=True)) == ([], "tampered_tests")


def test_chat_format_writes_tool_calls_as_text() -> None:
    trace = make_trace([(RUN, ok_result("0"))])
    records, _ = trace_examples(trace, ExportOptions(format="chat"))
    answer = records[-1][1]
    assert "tools" not in answer
    assert all(set(m) == {"role", "content"} for m in answer["messages"])
    call_text = answer["messages"][2]["content"]
    assert (
        call_text.startswith("<tool_call>\n")
        and json.loads(call_text.split("\n")[1])["arguments"]["code"] == RUN
    )
    assert answer["messages"][3] == {
        "role": "user",
        "content": "<tool_response>\n0\n</tool_response>",
    }


def test_blocks_format_writes_calls_as_python_blocks_and_results_as_output() -> None:
    trace = make_trace([(RUN, ok_result("0"))])
    records, _ = trace_examples(trace, ExportOptions(format="blocks"))
    messages = records[-1][1]["messages"]
    assert all(set(m) == {"role", "content"} for m in messages)
    assert messages[2] == {"role": "assistant", "content": f"```python\n{RUN}\n```"}
    assert messages[3] == {"role": "user", "content": "Output:\n0"}


def test_object_arguments_for_templates_that_want_a_mapping() -> None:
    records, _ = trace_examples(make_trace([(RUN, ok_result())]), ExportOptions(arguments="object"))
    assert records[0][1]["messages"][-1]["tool_calls"][0]["function"]["arguments"] == {"code": RUN}


def test_split_is_deterministic_by_seed_and_keeps_traces_whole(tmp_path: Path) -> None:
    traces = [make_trace([(RUN, ok_result())], trace_id=f"t{i}") for i in range(200)]
    first = export(iter(traces), tmp_path / "a", ExportOptions(seed=1))
    again = export(iter(traces), tmp_path / "b", ExportOptions(seed=1))
    other = export(iter(traces), tmp_path / "c", ExportOptions(seed=2))
    for name in ("train", "valid", "test"):
        assert (tmp_path / "a" / f"{name}.jsonl").read_bytes() == (
            tmp_path / "b" / f"{name}.jsonl"
        ).read_bytes()
    assert first.examples == again.examples and first.examples != other.examples
    assert sum(first.examples.values()) == 400
    assert (
        120 < first.examples["train"] / 2 < 200
        and first.examples["valid"]
        and first.examples["test"]
    )
    assert {split_of(f"t{i}", 1) for i in range(200)} == {"train", "valid", "test"}
    manifest = json.loads((tmp_path / "a" / "export.json").read_text())
    assert manifest["exported_traces"] == 200 and manifest["kinds"] == {"answer": 200, "step": 200}
    assert not list((tmp_path / "a").glob(".*.tmp"))


def test_export_from_the_command_line(tmp_path: Path, capsys) -> None:
    from punie_core.agent.traces import append_trace, traces_dir
    from punie_core.cli import main

    for i in range(30):
        append_trace(make_trace([(RUN, ok_result("0"))], trace_id=f"cli{i}", validated=i % 3 != 0))
    with open(traces_dir() / "torn.jsonl", "w") as handle:
        handle.write('{"schema": 1, "id": "torn"')  # a crash mid-write
    out = tmp_path / "data"
    assert main(["traces", "export", "--format", "tools", "--out", str(out), "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "read 30 traces, exported 20" in printed and "not_validated 10" in printed
    assert len(all_records(out)) == 40
    assert main(["traces", "stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["traces"] == 30 and stats["validation"]["validated"] == 20
    assert stats["field_access"]["rate"] == 1.0 and stats["tools"] == {}
    assert main(["traces", "show", "cli"]) == 1  # ambiguous: every id starts so
    capsys.readouterr()
    assert main(["traces", "show", "cli29"]) == 0
    shown = capsys.readouterr().out
    assert "execute_code" in shown and "r.exit_code" in shown and "validated: yes" in shown


def test_empty_export_is_a_clear_error(tmp_path: Path, capsys) -> None:
    from punie_core.cli import main

    assert main(["traces", "export", "--out", str(tmp_path / "none")]) == 1
    assert "no training examples" in capsys.readouterr().err


def test_an_empty_split_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "data"
    out.mkdir()
    (out / "test.jsonl").write_text('{"stale": true}\n')  # from an older export
    trace = make_trace([(RUN, ok_result())], trace_id="only-one")
    report = export(iter([trace]), out, ExportOptions(seed=0))
    split = split_of("only-one", 0)
    assert sorted(p.name for p in out.glob("*.jsonl")) == [f"{split}.jsonl"]
    assert report.files == {split: str(out / f"{split}.jsonl")}


def test_blocks_format_attaches_punies_first_look_to_the_users_message() -> None:
    look = {"name": "execute_code", "arguments": json.dumps({"code": "print(read_file('a.py'))"})}
    messages = [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Fix a.py"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "look_1", "function": look}]},
        {"role": "tool", "tool_call_id": "look_1", "content": "x = 1"},
        {"role": "assistant", "content": "Done."},
    ]
    assert as_blocks(messages) == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "Fix a.py\n\nThe files it names, as they are now:\nx = 1"},
        {"role": "assistant", "content": "Done."},
    ]
