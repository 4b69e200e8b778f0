"""Plans the model states in its text become `PlanUpdate` events (no extra prompt tokens)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from punie_core.agent.plans import plan_entries
from punie_core.agent.session import Session
from punie_core.plugins.events import PlanUpdate
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import run_async


def entries(*items: tuple[str, str]) -> list[dict[str, str]]:
    return [{"content": c, "priority": "medium", "status": s} for c, s in items]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "I'll fix it.\n\n**Plan:**\n1. Read `views.py`\n2. Fix the view\n   (keep the URL)\n"
            "3) Run the tests\n\nStarting now.",
            entries(
                ("Read `views.py`", "pending"),
                ("Fix the view", "pending"),
                ("Run the tests", "pending"),
            ),
        ),
        (
            "## Plan\n- [x] Read the view\n- [~] Write the test\n- [ ] Run it",
            entries(
                ("Read the view", "completed"),
                ("Write the test", "in_progress"),
                ("Run it", "pending"),
            ),
        ),
        (
            "Here is my plan for the fix:\n\n1. [x] Look\n\n2. Change",
            entries(("Look", "completed"), ("Change", "pending")),
        ),
        (
            "Plan:\n1. old\n\nUpdated plan:\n1. [x] old\n2. new",
            entries(("old", "completed"), ("new", "pending")),
        ),
        ("Planning is hard:\n1. a", None),
        ("The plan is simple.\n1. a", None),
        ("Plan:\nJust answer.", None),
        ("1. a\n2. b", None),
        ("No list here.", None),
    ],
)
def test_plan_entries_reads_a_plan_heading_and_its_list(text: str, expected: Any) -> None:
    assert plan_entries(text) == expected


def test_a_stated_plan_reaches_subscribers_once_per_change(
    workspace: Path, core_toolbox: Any
) -> None:
    plan = "Plan:\n1. Read a.txt\n2. Answer"
    script = [
        {"text": plan, "tool_calls": [{"name": "read_file", "arguments": {"path": "a.txt"}}]},
        {"text": plan, "tool_calls": [{"name": "list_files", "arguments": {}}]},  # unchanged
        {"text": "Plan:\n1. [x] Read a.txt\n2. [x] Answer\n\nIt says hello."},
    ]
    events: list[object] = []
    with ScriptedModelServer(script) as server:
        session = Session(cwd=workspace, model=server.model_string, toolbox=core_toolbox)
        session.subscribe(events.append)

        async def main() -> Any:
            try:
                return await session.prompt("What is in a.txt?")
            finally:
                await session.aclose()

        outcome = run_async(main())
        first_request = server.chat_requests[0].body
    assert outcome.stop_reason == "end_turn"
    plans = [e.entries for e in events if isinstance(e, PlanUpdate)]
    assert plans == [
        entries(("Read a.txt", "pending"), ("Answer", "pending")),
        entries(("Read a.txt", "completed"), ("Answer", "completed")),
    ]
    # Detection costs no prompt tokens: nothing about plans is sent to the model.
    assert "plan" not in json.dumps(first_request["messages"][-1]).lower()
