"""Every example in the domain skills is checked: good ones pass, bad ones show their rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from punie_core.validation.pipeline import validate_source

SKILL_ROOTS = [
    Path(__file__).parents[2] / "plugins/punie-tdom/punie_tdom/skills",
    Path(__file__).parents[2] / "plugins/punie-svcs/punie_svcs/skills",
]

BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
MARK = re.compile(r"#\s*<-\s*([A-Z]+[0-9]{3})")


def examples() -> list[tuple[str, str]]:
    found = []
    for root in SKILL_ROOTS:
        for document in sorted(root.rglob("*.md")):
            text = document.read_text(encoding="utf-8")
            for index, match in enumerate(BLOCK.finditer(text)):
                name = f"{document.relative_to(root)}#{index + 1}"
                found.append((name, match.group(1)))
    return found


EXAMPLES = examples()


def test_every_skill_has_examples() -> None:
    assert len(EXAMPLES) >= 30
    heads = {code.splitlines()[0] for _, code in EXAMPLES}
    assert all(h == "# good" or h.startswith("# bad: ") for h in heads), heads


@pytest.mark.parametrize(("name", "code"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_skill_example(name: str, code: str, tmp_path: Path, toolbox) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'example'\n")
    path = tmp_path / "example.py"
    path.write_text(code, encoding="utf-8")
    findings = validate_source(str(path), code, toolbox)
    head = code.splitlines()[0]
    if head == "# good":
        assert findings == [], [f"{f.line}: {f.rule} {f.message}" for f in findings]
        return
    rule = head.removeprefix("# bad: ").split()[0]
    assert rule in {f.rule for f in findings}, (rule, [(f.line, f.rule) for f in findings])
    for number, line in enumerate(code.splitlines(), start=1):
        for marked in MARK.findall(line):
            assert (number, marked) in {(f.line, f.rule) for f in findings}, (
                number,
                marked,
                [(f.line, f.rule) for f in findings],
            )
