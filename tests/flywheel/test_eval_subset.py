"""`punie eval --tasks a,b` runs a subset, `--task-timeout` bounds each task, progress on stderr."""

from __future__ import annotations

import json
from pathlib import Path

from punie_core.cli import main


def test_a_subset_of_tasks_runs_with_progress_and_a_time_limit(tmp_path: Path, capsys) -> None:
    out = tmp_path / "subset.json"
    argv = ["eval", "--reference", "--tasks", "count-todos,count-lines", "--task-timeout", "60"]
    assert main([*argv, "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert sorted(t["id"] for t in results["tasks"]) == ["count-lines", "count-todos"]
    err = capsys.readouterr().err
    assert "[1/2] count-lines: running ..." in err
    assert "[2/2] count-todos: pass (" in err and "2/2 passed so far" in err


def test_tasks_still_accepts_a_folder(tmp_path: Path, capsys) -> None:
    tasks = Path(__file__).resolve().parents[2] / "evals" / "tasks"
    out = tmp_path / "one.json"
    argv = ["eval", "--reference", "--tasks", str(tasks), "--only", "count-todos"]
    assert main([*argv, "--out", str(out)]) == 0
    assert [t["id"] for t in json.loads(out.read_text())["tasks"]] == ["count-todos"]


def test_a_bad_time_limit_or_subset_is_a_usage_error(tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "x.json")
    assert main(["eval", "--reference", "--task-timeout", "0", "--out", out]) == 2
    assert "--task-timeout must be a positive" in capsys.readouterr().err
    assert main(["eval", "--reference", "--tasks", "no-such-task", "--out", out]) == 2
    assert "no task id or tag matches no-such-task" in capsys.readouterr().err


def test_a_long_subset_is_never_mistaken_for_a_folder(tmp_path: Path, capsys) -> None:
    tasks = sorted(
        p.name for p in (Path(__file__).resolve().parents[2] / "evals" / "tasks").iterdir()
    )
    out = tmp_path / "many.json"
    assert main(["eval", "--reference", "--tasks", ",".join(tasks[:12]), "--out", str(out)]) == 0
    assert len(json.loads(out.read_text())["tasks"]) == 12
