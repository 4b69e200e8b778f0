"""Auto-fixes: the result passes the syntax gate, the fixed rules are gone, behaviour is kept."""

from __future__ import annotations

import pytest
from punie_tdom.rules import fix
from tdom_corpus import CASES
from tstrings import intended_html, load, strict_html

from punie_core import check_paths, read_source, syntax_findings

FIXABLE_CASES = [
    "bad_TDOM009_not_template",
    "bad_TDOM010_html_in_template",
    "bad_TDOM011_html_of_str",
    "bad_TDOM012_fstring_in_template",
]


@pytest.mark.parametrize("case", CASES)
def test_fix_output_passes_the_syntax_gate_and_is_idempotent(case: str, toolbox, copy_case) -> None:
    root = copy_case(case)
    before = check_paths([root], toolbox, layers=("syntax", "conventions"))
    after = check_paths([root], toolbox, fix=True, layers=("syntax", "conventions"))
    fixable = [f for f in before.findings if f.fixable]
    assert after.fixed == len(fixable)
    assert not [f for f in after.findings if f.fixable]
    assert {(f.path, f.rule) for f in after.findings if not f.fixable} <= {
        (f.path, f.rule) for f in before.findings
    }
    for path in root.rglob("*.py"):
        source = read_source(str(path))
        assert syntax_findings(str(path), source) == []
        assert fix(str(path), source) == source  # nothing left to fix: idempotent
    if case not in FIXABLE_CASES:
        assert after.fixed == 0


def test_every_fixable_case_is_exercised() -> None:
    names = {c for c in CASES}
    assert set(FIXABLE_CASES) <= names


CALLS = {
    "bad_TDOM010_html_in_template": [
        ("app/views.py", "row", {"name": "Ada", "email": "ada@x.org"})
    ],
    "bad_TDOM011_html_of_str": [
        ("app/views.py", "hello", {"name": "Ada"}),
        ("app/views.py", "banner", {"text": "Sale"}),
        ("app/views.py", "static", {}),
    ],
    "bad_TDOM012_fstring_in_template": [
        ("app/components.py", "Menu", {"items": ["Home", "Blog"], "active": "Blog"}),
        ("app/components.py", "Price", {"cents": 1250}),
    ],
    "bad_TDOM009_not_template": [("app/components.py", "Greeting", {"name": "Ada"})],
}


def _output(module, function: str, kwargs: dict, html) -> str:
    result = getattr(module, function)(**kwargs)
    return result if isinstance(result, str) else html(result)


@pytest.mark.parametrize("case", sorted(CALLS))
def test_fixed_code_renders_what_the_original_meant(case: str, copy_case, toolbox) -> None:
    """Before: tdom raises, escapes the markup, or gets a str from a component. After: the
    same text, as a Template tdom renders as markup."""
    root = copy_case(case)
    originals = {rel: (root / rel).read_text() for rel, _, _ in CALLS[case]}
    check_paths([root], toolbox, fix=True, layers=("syntax", "conventions"))
    for rel, function, kwargs in CALLS[case]:
        original = originals[rel]
        fixed = (root / rel).read_text()
        assert fixed != original
        intended = _output(
            load(original, "original", intended_html), function, kwargs, intended_html
        )
        rendered = _output(load(fixed, "fixed", strict_html), function, kwargs, strict_html)
        assert rendered == intended
        try:
            module = load(original, "strict", strict_html)
            raw = getattr(module, function)(**kwargs)
        except TypeError:
            continue  # html() of a str: the TypeError the rule names
        if isinstance(raw, str) and not function[0].isupper():
            assert raw != intended, "the original already rendered correctly"  # escaped markup
        else:
            # A component returning a str (tdom: TypeError) or a Template with escaped markup.
            assert isinstance(raw, str) or strict_html(raw) != intended


def test_fixes_keep_interpolations_and_format_specs(tmp_path) -> None:
    source = (
        "from tdom import html\n\n\n"
        "def price(amount: float, width: int) -> str:\n"
        "    return html(f\"<b>{amount!r:>{width}}</b>{'x'}{{literal}}\")\n"
    )
    path = tmp_path / "m.py"
    path.write_text(source)
    fixed = fix(str(path), source)
    assert "html(t\"<b>{amount!r:>{width}}</b>{'x'}{{literal}}\")" in fixed
    intended = load(source, "a", intended_html).price(3.5, 6)
    assert load(fixed, "b", strict_html).price(3.5, 6) == intended == "<b>   3.5</b>x{literal}"


def test_mixed_concatenation_is_fixed_without_a_syntax_error(tmp_path) -> None:
    source = 'from tdom import html\n\nx = html(f"<b>{1}</b>" "<i>{not a field}</i>" rf"\\d{2}")\n'
    fixed = fix(str(tmp_path / "m.py"), source)
    assert (
        fixed
        == 'from tdom import html\n\nx = html(t"<b>{1}</b>" t"<i>{{not a field}}</i>" rt"\\d{2}")\n'
    )
    assert syntax_findings("m.py", fixed) == []


def test_unfixable_findings_are_reported_as_not_fixable(tmp_path) -> None:
    from punie_tdom.rules import check

    source = (
        "from tdom_svcs import html\n\n\n"
        "def f(x: str, c: object) -> str:\n"
        "    return html(t\"<p>{html(t'<b>{x}</b>', container=c)}</p>\", container=c)\n"
    )
    findings = check(str(tmp_path / "m.py"), source)
    assert [(f.rule, f.fixable) for f in findings] == [("TDOM010", False)]
    assert fix(str(tmp_path / "m.py"), source) == source
