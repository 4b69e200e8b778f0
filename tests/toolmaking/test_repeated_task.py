"""A task repeated three times: made into a tool once, then reused with fewer requests, tokens."""

from __future__ import annotations

import json

from punie_core.agent.traces import read_traces
from punie_core.flywheel.stats import compute
from punie_core.plugins.loader import load_toolbox
from tests.toolmaking.scenario import make_project, repeated_task


def test_a_repeated_task_is_solved_by_making_a_tool_then_calling_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PUNIE_HOME", str(tmp_path / "home"))
    project = make_project(tmp_path / "proj")
    first, second, third = repeated_task(project, load_toolbox(entry_points=False))
    assert [r["stop_reason"] for r in (first, second, third)] == ["end_turn"] * 3
    assert first["approvals"] == ["promote_tool"]
    assert first["requests"] == 4 and second["requests"] == third["requests"] == 2
    assert third["prompt_tokens"] <= first["prompt_tokens"] / 2
    manifest = json.loads((project / ".punie" / "tools" / "manifest.json").read_text())
    assert manifest["tools"]["count_todos"]["calls"] == 4  # two calls in each later session

    stats = compute(read_traces()).as_dict()
    assert stats["made_tools"] == {
        "count_todos": {"made": 1, "rejected": 0, "calls": 4, "sessions": 2, "failures": 0}
    }
