"""Every Python example in the code-navigation SKILL.md runs in the Code Mode sandbox."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from code_helpers import SHOP, git, new_repo, write_tree

from punie_core import AutoApprove, Skill, ToolContext, run_sync

SKILL = Skill.from_package("punie_code", "skills/code-navigation")
EXAMPLES = re.findall(r"```python\n(.*?)```", SKILL.body, flags=re.DOTALL)


def test_the_skill_has_examples_for_navigation_refactoring_and_git() -> None:
    joined = "\n".join(EXAMPLES)
    for call in (
        "find_symbol(",
        "references(",
        "symbols(",
        "hover(",
        "callers(",
        "rename_symbol(",
        "git_status(",
        "git_diff(",
    ):
        assert call in joined
    assert "NavUnavailable" in joined and "apply=True" in joined


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_skill_example_runs_in_the_sandbox(index: int, tmp_path: Path, code_toolbox) -> None:
    root = new_repo(tmp_path / "project")
    write_tree(root, SHOP)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "shop")
    context = ToolContext.local(root, permissions=AutoApprove())
    result = run_sync(EXAMPLES[index], toolbox=code_toolbox, context=context)
    assert result.ok, result.for_model()
    assert result.stdout.strip(), "every example prints what it found"
    assert result.tool_calls, "every example calls a tool"
