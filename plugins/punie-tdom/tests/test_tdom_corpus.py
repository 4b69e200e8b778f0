"""The corpus: every bad project flagged with the right rule and line, no finding on good ones."""

from __future__ import annotations

import os

import pytest
from punie_tdom.rule_ids import RULES
from tdom_corpus import CASES, FIXTURES

from punie_core import check_paths
from punie_core.testing import expected_findings


@pytest.mark.parametrize("case", CASES)
def test_corpus_case_has_exactly_the_expected_findings(case: str, toolbox) -> None:
    root = FIXTURES / case
    report = check_paths([root], toolbox, layers=("syntax", "conventions"))
    found = {(os.path.relpath(f.path, root), f.line, f.rule) for f in report.findings}
    assert found == expected_findings(root)
    assert all(f.plugin in ("tdom", "core") for f in report.findings)


def test_every_rule_has_a_bad_project() -> None:
    covered = {rule for case in CASES for _, _, rule in expected_findings(FIXTURES / case)}
    assert covered == set(RULES)


def test_good_projects_exist_and_use_components() -> None:
    good = [c for c in CASES if c.startswith("good_")]
    assert len(good) >= 2
    for case in good:
        text = "".join(p.read_text() for p in (FIXTURES / case).rglob("*.py"))
        assert "<{" in text and "children" in text
