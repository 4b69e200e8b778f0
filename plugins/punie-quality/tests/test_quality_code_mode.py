"""punie-quality's results in Code Mode: `print(result)` shows the result's short text."""

from __future__ import annotations

from pathlib import Path

from quality_helpers import LINT_FILES, write_tree

from punie_core import Toolbox, ToolContext, run_sync


def test_printing_a_ruff_result_shows_its_summary_and_fields_still_read(
    tmp_path: Path, quality_toolbox: Toolbox, caller
) -> None:
    root = write_tree(tmp_path / "lintme", LINT_FILES)
    direct = caller(root)("ruff_check")
    code = (
        "r = ruff_check()\n"
        "print(r)\n"
        "first = r.violations[0]\n"
        "print(first)\n"
        "print(first.file, first.line, first.code, r.violation_count)\n"
        "r"
    )

    result = run_sync(code, toolbox=quality_toolbox, context=ToolContext.local(root))

    assert result.ok, result.error
    first = direct.violations[0]
    assert result.stdout == (
        f"{direct}\n{first}\n{first.file} {first.line} {first.code} {direct.violation_count}\n"
    )
    assert result.stdout.startswith("ruff: 9 violations in 3 files (4 fixable)\n")
    assert result.value == direct.model_dump(mode="json")  # `punie exec --json` stays data
    assert result.for_model() == f"{result.stdout}=> {direct}"
