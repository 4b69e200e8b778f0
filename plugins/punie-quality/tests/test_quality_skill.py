"""Every Python example in the quality-triad SKILL.md runs in the Code Mode sandbox."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from quality_helpers import LINT_FILES, TEST_FILES, TYPE_FILES, Caller, write_tree

from punie_core import AskCallback, Skill, ToolContext

SKILL = Skill.from_package("punie_quality", "skills/quality-triad")
EXAMPLES = re.findall(r"```python\n(.*?)```", SKILL.body, flags=re.DOTALL)


def sample_project(root: Path) -> Path:
    """A project with lint, type and test problems all at once (but no syntax errors)."""
    files = {**TYPE_FILES, **LINT_FILES, **TEST_FILES}
    files = {k: v for k, v in files.items() if not k.endswith("broken.py")}
    files["pyproject.toml"] = LINT_FILES["pyproject.toml"]
    files["src/ugly.py"] = "x=1\n"
    return write_tree(root, files)


def run_in_sandbox(code: str, root: Path, toolbox) -> tuple[str, list[str]]:
    """Run `code` through `execute_code`; return its stdout and the tools it called."""
    sandbox = pytest.importorskip("punie_core.sandbox.runner")
    caller = Caller(toolbox, root)
    context = ToolContext.local(root)
    context.permissions = AskCallback(caller._ask)
    result = sandbox.run_sync(code, toolbox=toolbox, context=context)
    assert result.ok, result.for_model()
    return result.stdout, [call.tool for call in result.tool_calls]


def test_the_skill_has_examples_for_every_tool():
    assert len(EXAMPLES) >= 6
    joined = "\n".join(EXAMPLES)
    for tool in ("ruff_check(", "typecheck(", "pytest_run(", "ruff_format("):
        assert tool in joined
    for field in (
        "result.errors",
        "result.violations",
        "result.tests",
        "collection_errors",
        ".outcome",
    ):
        assert field in joined


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_skill_example_runs_in_the_sandbox(index, tmp_path, quality_toolbox):
    project = sample_project(tmp_path / "project")
    stdout, tools = run_in_sandbox(EXAMPLES[index], project, quality_toolbox)
    assert stdout.strip(), "every example prints what it found"
    assert tools, "every example calls a quality tool"
    assert "Traceback" not in stdout


def test_field_access_example_prints_real_locations(tmp_path, quality_toolbox):
    project = sample_project(tmp_path / "project")
    [example] = [e for e in EXAMPLES if "by_file" in e]
    stdout, tools = run_in_sandbox(example, project, quality_toolbox)
    assert tools == ["typecheck"]
    assert "src/typeme/errors.py has 3 type errors" in stdout
    assert "  line 13: [invalid-argument-type]" in stdout


def test_decide_next_step_example_follows_the_order(tmp_path, quality_toolbox):
    project = sample_project(tmp_path / "project")
    [example] = [e for e in EXAMPLES if "step =" in e]
    stdout, _ = run_in_sandbox(example, project, quality_toolbox)
    assert stdout.startswith("type error at src/lintme/core.py:7: Name `undefined_name`")
    (project / "tests" / "test_broken_import.py").write_text("import not_installed_anywhere\n")
    stdout, _ = run_in_sandbox(example, project, quality_toolbox)
    assert stdout.startswith("test file tests/test_broken_import.py cannot import")


def test_examples_are_valid_python():
    for example in EXAMPLES:
        compile(example, "<SKILL.md>", "exec")


def test_asyncio_is_left_clean():
    # run_sync closes its loop; a later asyncio.run in the same process must still work.
    assert asyncio.run(asyncio.sleep(0, result=1)) == 1
