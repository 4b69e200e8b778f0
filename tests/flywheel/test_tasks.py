"""The eval task set: enough tasks, well formed, and checks that fail when the work is not done."""

from __future__ import annotations

from pathlib import Path

import pytest

from punie_core.flywheel.checks import CHECKS, Evidence, run_check
from punie_core.flywheel.tasks import TaskError, default_tasks_dir, load_task, load_tasks

TASKS = load_tasks(default_tasks_dir())


def test_the_task_set_is_large_and_mixed() -> None:
    assert len(TASKS) >= 25
    assert len({t.id for t in TASKS}) == len(TASKS)
    direct = [t for t in TASKS if t.expects == "direct"]
    assert len(direct) >= 5 and len(TASKS) - len(direct) >= 20
    kinds = {kind for t in TASKS for kind, _ in t.checks}
    assert kinds == set(CHECKS)  # every kind of check is used by some task
    for task in TASKS:
        assert task.reference, f"{task.id} has no reference solution"
        assert any(p.is_file() for p in task.project.rglob("*")), f"{task.id} has an empty fixture"
        if task.expects == "direct":
            assert ("tools_used", {"expected": False}) in task.checks


@pytest.mark.slow
@pytest.mark.parametrize("task", TASKS, ids=[t.id for t in TASKS])
def test_checks_fail_when_nothing_was_done(task, tmp_path: Path) -> None:
    """On the untouched fixture, with no answer and no snippets, some check must fail."""
    import shutil

    project = tmp_path / "project"
    shutil.copytree(task.project, project)
    evidence = Evidence(project=project, fixture=task.project)
    results = [run_check(kind, spec, evidence) for kind, spec in task.checks]
    assert not all(r.ok for r in results), f"{task.id}: its checks pass without any work"
    assert not any(r.detail.startswith("check error") for r in results), results


def write_task(folder: Path, text: str, project: bool = True) -> Path:
    folder.mkdir(parents=True)
    (folder / "task.yaml").write_text(text)
    if project:
        (folder / "project").mkdir()
        (folder / "project" / "README.md").write_text("x\n")
    return folder


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("prompt: ''\nchecks: [{answer: {matches: x}}]\n", "prompt"),
        ("prompt: hi\nexpects: maybe\nchecks: [{answer: {}}]\n", "expects"),
        ("prompt: hi\nchecks: [{smell: {}}]\n", "unknown kind 'smell'"),
        ("prompt: hi\nchecks: []\n", "at least one check"),
        ("prompt: hi\nchecks: [{answer: {}}]\nreference: [{shell: ls}]\n", "reference"),
        ("prompt: hi\nchecks: [{answer: {}}]\ncolour: blue\n", "unknown keys"),
        ("prompt: [unclosed\n", "not valid YAML"),
    ],
)
def test_malformed_tasks_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    folder = write_task(tmp_path / "bad", text)
    with pytest.raises(TaskError, match=message):
        load_task(folder)


def test_a_task_needs_its_project_fixture(tmp_path: Path) -> None:
    folder = write_task(tmp_path / "bare", "prompt: hi\nchecks: [{answer: {}}]\n", project=False)
    with pytest.raises(TaskError, match="project"):
        load_task(folder)


def test_tasks_can_be_selected_by_id_or_tag() -> None:
    root = default_tasks_dir()
    assert [t.id for t in load_tasks(root, ["fix-calc-bug"])] == ["fix-calc-bug"]
    assert {t.expects for t in load_tasks(root, ["direct"])} == {"direct"}
    with pytest.raises(TaskError, match="no task id or tag"):
        load_tasks(root, ["no-such-task"])


def test_checks_judge_files_answers_and_field_reads(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def health():\n    return 1\n")
    evidence = Evidence(
        project=tmp_path,
        fixture=tmp_path,
        output="The answer is 42.",
        snippets=["print(1)"],
        reads={("run_command", "CommandResult", "exit_code")},
    )
    assert run_check(
        "file", {"path": "app.py", "defines": ["health"], "contains": "return 1"}, evidence
    ).ok
    assert not run_check("file", {"path": "app.py", "not_contains": "return"}, evidence).ok
    assert not run_check("file", {"path": "../outside.py"}, evidence).ok  # confined to the project
    assert run_check("answer", {"matches": r"\b42\b"}, evidence).ok
    assert run_check("field_read", {"tool": "run_command", "field": "exit_code"}, evidence).ok
    assert not run_check("field_read", {"field": "output"}, evidence).ok
    assert run_check("tools_used", {"expected": True}, evidence).ok
    assert run_check("command", {"run": "{python} -c 'print(7)'", "output": "7"}, evidence).ok
    broken = run_check("answer", {"matches": "("}, evidence)
    assert not broken.ok and broken.detail.startswith("check error")
