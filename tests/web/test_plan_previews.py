"""A permission request that writes several files (a refactoring plan) shows every file's diff."""

from __future__ import annotations

from pathlib import Path

from punie_core.security.workspace import Workspace
from punie_core.web.diffs import edit_preview


def test_a_multi_file_request_previews_the_diff_of_each_file(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def total(): ...\n")
    (tmp_path / "b.py").write_text("from a import total\n")
    preview = edit_preview(
        Workspace.at(tmp_path),
        {"diffs": "(shown as the edits below)"},
        ("a.py",),
        {"a.py": "def grand(): ...\n", "b.py": "from a import grand\n"},
    )
    assert preview is not None
    assert preview["path"] == "a.py, b.py" and not preview["truncated"]
    assert "-def total(): ..." in preview["diff"] and "+def grand(): ..." in preview["diff"]
    assert "-from a import total" in preview["diff"] and "+from a import grand" in preview["diff"]
    assert "+++ b/b.py" in preview["diff"]
