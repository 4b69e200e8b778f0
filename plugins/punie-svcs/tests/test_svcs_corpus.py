"""The corpus: every bad project flagged with the right rule and line, no finding on good ones."""

from __future__ import annotations

import os

import pytest
from punie_svcs.rule_ids import RULES
from svcs_corpus import CASES, FIXTURES

from punie_core import check_paths
from punie_core.testing import expected_findings


@pytest.mark.parametrize("case", CASES)
def test_corpus_case_has_exactly_the_expected_findings(case: str, toolbox) -> None:
    root = FIXTURES / case
    report = check_paths([root], toolbox, layers=("syntax", "conventions"))
    found = {(os.path.relpath(f.path, root), f.line, f.rule) for f in report.findings}
    assert found == expected_findings(root)


def test_every_rule_has_a_bad_project() -> None:
    covered = {rule for case in CASES for _, _, rule in expected_findings(FIXTURES / case)}
    assert covered == set(RULES)


def test_a_factory_module_without_svcs_words_is_still_checked(toolbox) -> None:
    """`app/db.py` never mentions svcs; it is checked because app/main.py registers its factory."""
    root = FIXTURES / "bad_SVCS004_cleanup_outside_finally"
    assert "svcs" not in (root / "app/db.py").read_text()
    report = check_paths([root / "app/db.py"], toolbox, layers=("syntax", "conventions"))
    assert [(f.line, f.rule) for f in report.findings] == [(21, "SVCS004")]
