"""`punie eval` runs tasks through the real agent, sandbox and HTTP, scoring by running checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from punie_core.cli import main
from punie_core.testing.scripted_model import ScriptedModelServer

# One task per kind of check: tests_pass/unchanged/field_read, command/validator_clean,
# file, answer/field_read on run_command, and a direct answer.
SUBSET = [
    "fix-calc-bug",
    "ruff-unused-imports",
    "create-gitignore",
    "report-exit-code",
    "direct-http-404",
]


def only(ids: list[str]) -> list[str]:
    return [arg for task_id in ids for arg in ("--only", task_id)]


@pytest.mark.slow
def test_reference_solutions_pass_through_the_real_agent(tmp_path: Path, capsys) -> None:
    out = tmp_path / "reference.json"
    assert main(["eval", "--reference", *only(SUBSET), "--out", str(out)]) == 0
    table = capsys.readouterr().out
    results = json.loads(out.read_text())
    assert [t["id"] for t in results["tasks"]] == sorted(SUBSET)
    failed = {t["id"]: t["checks"] for t in results["tasks"] if not t["passed"]}
    assert failed == {}
    summary = results["summary"]
    assert summary["pass_rate"] == 1.0 and summary["discrimination"]["accuracy"] == 1.0
    assert summary["field_access_rate"] == 1.0  # every reference snippet reads typed fields
    by_id = {t["id"]: t for t in results["tasks"]}
    assert (
        by_id["direct-http-404"]["used_tools"] is False
        and by_id["direct-http-404"]["requests"] == 1
    )
    assert by_id["fix-calc-bug"]["requests"] == 2 and by_id["fix-calc-bug"]["input_tokens"] > 1000
    assert "pass rate                100.0% (5/5)" in table and "fix-calc-bug" in table


@pytest.mark.slow
def test_wrong_answers_fail_and_discrimination_is_measured(tmp_path: Path, capsys) -> None:
    def script(body: dict, index: int) -> dict:
        prompt = next(m["content"] for m in body["messages"] if m["role"] == "user")
        answered = any(m["role"] == "assistant" for m in body["messages"])
        if "404" in prompt and not answered:  # a direct question answered through a tool
            return {
                "tool_calls": [
                    {"name": "execute_code", "arguments": {"code": "print('Not Found')"}}
                ]
            }
        return {"text": "404 means Not Found." if "404" in prompt else "Looks fine to me."}

    with ScriptedModelServer(script) as server:
        out = tmp_path / "wrong.json"
        code = main(
            [
                "eval",
                "--model",
                server.model_string,
                *only(["fix-calc-bug", "direct-http-404"]),
                "--out",
                str(out),
            ]
        )
    assert code == 0
    results = json.loads(out.read_text())
    by_id = {t["id"]: t for t in results["tasks"]}
    calc, direct = by_id["fix-calc-bug"], by_id["direct-http-404"]
    assert not calc["passed"] and not calc["used_tools"]
    assert {c["kind"]: c["ok"] for c in calc["checks"]} == {
        "tests_pass": False,
        "unchanged": True,
        "field_read": False,
    }
    assert not direct["passed"] and direct["used_tools"]
    assert [c["kind"] for c in direct["checks"] if not c["ok"]] == ["tools_used"]
    summary = results["summary"]
    assert summary["pass_rate"] == 0.0
    assert summary["discrimination"] == {
        "accuracy": 0.0,
        "tools_when_needed": 0.0,
        "direct_when_enough": 0.0,
    }
    assert summary["field_access_rate"] is None  # no snippet called a typed tool

    reference = tmp_path / "reference.json"
    assert (
        main(
            [
                "eval",
                "--reference",
                *only(["fix-calc-bug", "direct-http-404"]),
                "--out",
                str(reference),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["eval", "--compare", str(reference), str(out)]) == 0
    comparison = capsys.readouterr().out
    assert "A: reference" in comparison and f"B: {server.model_string}" in comparison
    assert (
        "fix-calc-bug" in comparison
        and "pass (tools)" in comparison
        and "FAIL (direct)" in comparison
    )


def test_bad_task_folders_and_result_files_are_clear_errors(tmp_path: Path, capsys) -> None:
    assert main(["eval", "--reference", "--tasks", str(tmp_path / "none")]) == 2
    assert "no tasks folder" in capsys.readouterr().err
    (tmp_path / "a.json").write_text("{not json")
    assert main(["eval", "--compare", str(tmp_path / "a.json"), str(tmp_path / "a.json")]) == 2
    assert "cannot read the result files" in capsys.readouterr().err
