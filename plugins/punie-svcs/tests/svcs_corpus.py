"""The svcs corpus: small projects under fixtures/, each with an optional expected.txt."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def corpus_cases() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())


def expected(case: Path) -> set[tuple[str, int, str]]:
    """`expected.txt`: one `path:line RULE` per finding (none for good cases)."""
    file = case / "expected.txt"
    if not file.exists():
        return set()
    found = set()
    for line in file.read_text().splitlines():
        where, rule = line.split()
        path, number = where.rsplit(":", 1)
        found.add((path, int(number), rule))
    return found
