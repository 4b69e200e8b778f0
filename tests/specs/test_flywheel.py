"""Specs in the flywheel: traces record the feature and requirements; spec_status validates."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from punie_core import AutoApprove, ToolContext
from punie_core.agent.session import Session
from punie_core.agent.traces import append_trace, read_traces
from punie_core.flywheel.integrity import is_validated, validation_failures
from punie_core.specs.traces import trace_fields
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import run_async
from tests.flywheel.tracegen import make_trace, ok_result
from tests.helpers.cli import run_cli
from tests.specs.projects import spec_kit_project


def status_call(*states: tuple[str, str]) -> dict[str, Any]:
    return {
        "tool": "spec_status",
        "arguments": {"feature": None},
        "ok": True,
        "result": {
            "feature": "001-user-auth",
            "requirements": [{"id": i, "status": s, "tests": []} for i, s in states],
        },
        "error": None,
        "ms": 900.0,
        "refused": False,
    }


def test_trace_fields_name_the_feature_touched_ids_and_spec_status_before_and_after(
    tmp_path: Path,
) -> None:
    root = spec_kit_project(tmp_path / "shop")
    write = {
        "tool": "write_file",
        "arguments": {
            "path": "tests/test_signup.py",
            "content": '@pytest.mark.spec("FR-002")\ndef test_x(): ...',
        },
        "ok": True,
    }
    refused = {
        "tool": "write_file",
        "arguments": {"content": "FR-003"},
        "ok": False,
        "refused": True,
    }
    baseline: dict[str, dict[str, str]] = {}
    calls = [
        status_call(("FR-001", "passing"), ("FR-002", "uncovered")),
        write,
        refused,
        status_call(("FR-001", "failing"), ("FR-002", "passing")),
    ]
    fields = trace_fields(
        root, calls, ["print(spec_show())", "FR-001 and FR-0011 are done"], baseline
    )
    assert fields["feature"] == "001-user-auth"
    assert fields["requirements"] == ["FR-001", "FR-002"]  # FR-003 only in a refused call
    assert fields["spec_status"] == {
        "feature": "001-user-auth",
        "before": {"FR-001": "passing", "FR-002": "uncovered"},
        "after": {"FR-001": "failing", "FR-002": "passing"},
    }
    assert baseline == {"001-user-auth": {"FR-001": "failing", "FR-002": "passing"}}
    # The next prompt compares with the session's last statuses.
    later = trace_fields(
        root, [status_call(("FR-001", "passing"), ("FR-002", "passing"))], [], baseline
    )
    assert later["spec_status"]["before"] == {"FR-001": "failing", "FR-002": "passing"}


def test_a_project_without_specs_records_no_feature(tmp_path: Path) -> None:
    assert trace_fields(tmp_path, [], ["FR-001"], {}) == {
        "feature": None,
        "requirements": [],
        "spec_status": None,
    }


def test_a_trace_that_turns_a_passing_requirement_failing_is_never_validated() -> None:
    trace = make_trace([("print(spec_status())", ok_result("ok"))])
    assert is_validated(trace)
    trace["spec_status"] = {
        "feature": "001-user-auth",
        "before": {"FR-001": "passing", "FR-002": "failing", "FR-003": "uncovered"},
        "after": {"FR-001": "failing", "FR-002": "failing", "FR-003": "failing"},
    }
    assert validation_failures(trace) == ["spec: FR-001 went from passing to failing"]
    assert not is_validated(trace)
    trace["spec_status"]["after"]["FR-001"] = "passing"  # new failures only where none passed
    assert is_validated(trace)
    trace["spec_status"] = {"feature": "x", "before": None, "after": {"FR-001": "failing"}}
    assert is_validated(trace)


def test_punie_traces_export_selects_by_feature(tmp_path: Path) -> None:
    traces = tmp_path / "traces.jsonl"
    for feature in ("001-user-auth", "001-user-auth", "002-search", None):
        trace = make_trace([("print(read_file('a.py'))", ok_result("x = 1"))])
        trace["feature"] = feature
        append_trace(trace, traces)
    env = dict(os.environ, PUNIE_HOME=str(tmp_path / "home"))
    out = tmp_path / "out"
    done = run_cli(
        "traces",
        "export",
        str(traces),
        "--out",
        str(out),
        "--feature",
        "user-auth",
        "--json",
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["traces"] == 4 and report["exported_traces"] == 2
    assert report["skipped"] == {"other_feature": 2}
    done = run_cli(
        "traces",
        "export",
        str(traces),
        "--out",
        str(out),
        "--feature",
        "002",
        "--json",
        env=env,
        timeout=120,
    )
    assert json.loads(done.stdout)["exported_traces"] == 1


def test_a_session_trace_records_the_active_feature_and_the_requirements_it_touched(
    tmp_path: Path, punie_home_for_session: Path
) -> None:
    root = spec_kit_project(tmp_path / "shop")
    code = (
        "s = spec_show()\n"
        "write_file('tests/test_signup.py',"
        " '@pytest.mark.spec(\"FR-002\")\\ndef test_rejects(): ...\\n')\n"
        "print(len(s.requirements), s.open_questions[0][:6])"
    )
    script = [
        {"tool_calls": [{"name": "execute_code", "arguments": {"code": code}}]},
        {"text": "Wrote the test for FR-002."},
    ]
    from punie_core.plugins.loader import load_toolbox

    with ScriptedModelServer(script) as server:
        session = Session(
            cwd=root,
            model=server.model_string,
            toolbox=load_toolbox(entry_points=False),
            context=ToolContext.local(root, permissions=AutoApprove()),
        )

        async def main() -> Any:
            outcome = await session.prompt("Write the test for FR-002")
            await session.aclose()
            return outcome

        outcome = run_async(main())
    assert outcome.stop_reason == "end_turn", outcome.error
    record = next(r for r in read_traces() if r["id"] == outcome.trace_id)
    assert record["snippets"][0]["result"]["stdout"] == "4 FR-004\n"
    assert record["feature"] == "001-user-auth"
    assert record["requirements"] == ["FR-002"]
    assert record["spec_status"] is None
    # The model was shown the project's context index after the toolbox's prompt.
    assert (
        record["system_prompt"]
        .rstrip()
        .endswith(
            "- feature 001-user-auth (spec-kit, specs/001-user-auth): 4 requirements, "
            "1 success criterion, 1/3 tasks done, 1 open question"
        )
    )
