"""`punie eval` usage errors found before any task runs, and result files that are not results."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from punie_core.cli import main


@pytest.mark.parametrize("kind", ["a folder", "under a file"])
def test_an_unwritable_out_is_refused_before_the_run(tmp_path: Path, capsys, kind: str) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    out = tmp_path if kind == "a folder" else blocker / "results.json"
    started = time.monotonic()
    assert main(["eval", "--reference", "--only", "count-lines", "--out", str(out)]) == 2
    assert time.monotonic() - started < 5  # nothing ran
    assert f"punie eval: --out {out}:" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content",
    [[1], {"tasks": 3}, {"tasks": [1], "summary": {}}, {"tasks": [{"id": "x"}]}],
    ids=["a list", "tasks not a list", "tasks not objects", "no model"],
)
def test_compare_refuses_files_that_are_not_results(tmp_path: Path, capsys, content) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(content))
    assert main(["eval", "--compare", str(bad), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("punie eval --compare: cannot read the result files: ")
