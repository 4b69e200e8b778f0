"""Promoting a model-written tool from the browser: the approval shows the source and checks,
and the person's answer (allow or refuse) decides whether it reaches `.punie/tools/`."""

from __future__ import annotations

import json

import pytest
from test_api import wait_for_approval

from tests.toolmaking.scenario import FUNCTION, TESTS, code, make_project

MAKE = f"print(make_tool('count_todos', {FUNCTION!r}, {TESTS!r}, 'Count TODO markers.'))"


@pytest.mark.parametrize("allow", [True, False])
def test_promotion_is_approved_or_refused_in_the_web_ui(agent, allow):
    project = make_project(agent.root / f"tools-{allow}")
    script = [code(MAKE), code("print(promote_tool('count_todos'))"), {"text": "done"}]
    session = agent.session(script, workspace=project)
    outcome = agent.prompt(session, "make it a tool and keep it")
    approval = wait_for_approval(agent)
    assert approval["tool"] == "promote_tool"
    assert approval["title"].startswith("promote_tool(count_todos): keep count_todos(")
    status, answered = agent.api(
        f"/api/sessions/{session.id}/approvals/{approval['call_id']}", {"allow": allow}
    )
    assert status == 200 and answered["allow"] is allow
    assert outcome.result(30).stop_reason == "end_turn"
    manifest = project / ".punie" / "tools" / "manifest.json"
    if allow:
        assert json.loads(manifest.read_text())["tools"]["count_todos"]["active"] == 1
    else:
        assert not manifest.exists()
