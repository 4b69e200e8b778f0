"""The svcs corpus: small projects under fixtures/, each with an optional expected.txt."""

from __future__ import annotations

from pathlib import Path

from punie_core.testing import corpus_cases

FIXTURES = Path(__file__).parent / "fixtures"
CASES = corpus_cases(FIXTURES)
