"""How the web UI shows quality results: test, lint and type reports with links to the lines.

Templates only (Jinja2, rendered by the core with escaping always on); each finding links to
its file and line in the editor (`line_link`, chosen by `PUNIE_EDITOR`). The plugin's page,
`/plugins/quality/`, gathers the newest reports of every session of the agent.
"""

from __future__ import annotations

from importlib import resources
from typing import Any


def _template(name: str) -> str:
    return resources.files("punie_quality").joinpath("templates", name).read_text(encoding="utf-8")


TEST_RESULT = _template("test_result.html")

RUFF_RESULT = _template("ruff_result.html")

TYPECHECK_RESULT = _template("typecheck_result.html")

FORMAT_RESULT = _template("format_result.html")

REPORTS_PAGE = _template("reports_page.html")


def views() -> list[Any]:
    """The quality plugin's views and its reports page."""
    from punie_core import Page, View
    from punie_quality import results

    return [
        View(results.TestResult, TEST_RESULT),
        View(results.RuffResult, RUFF_RESULT),
        View(results.TypeCheckResult, TYPECHECK_RESULT),
        View(results.FormatResult, FORMAT_RESULT),
        Page(
            "Quality reports",
            REPORTS_PAGE,
            nouns=("TestResult", "RuffResult", "TypeCheckResult", "FormatResult"),
        ),
    ]
