"""punie-quality's hook implementations: the quality triad's tools, nouns, skill, validators, terms.

Kept import-light (the verbs and their dependencies load inside the hooks), so `punie plugins`
stays fast.

Tool kinds, which decide permission at the toolbox gate:

- `ruff_check`, `ruff_format`, `typecheck` are `read`: by default they only read files (ruff
  and ty are Punie's own pinned analysers and never run project code). Their modifying
  variants, `ruff_check(fix=True)` and `ruff_format(check=False)`, ask the same permission
  policy themselves, for exactly the files they are about to rewrite, before writing. A
  per-call question keeps the everyday check free of prompts without a second set of tools.
- `pytest_run` is `execute`: running tests runs the project's code (conftest.py, fixtures).
"""

from __future__ import annotations

from collections.abc import Iterator

from punie_core import Noun, Page, Skill, Term, Tool, Validator, View, hookimpl


@hookimpl
def punie_tools() -> Iterator[Tool]:
    from punie_quality import pytest_tool, ruff_tool, ty_tool

    yield Tool(ruff_tool.ruff_check, kind="read", timeout=ruff_tool.RUFF_TIMEOUT * 3 + 10)
    yield Tool(ruff_tool.ruff_format, kind="read", timeout=ruff_tool.RUFF_TIMEOUT * 3 + 10)
    yield Tool(ty_tool.typecheck, kind="read", timeout=ty_tool.TY_TIMEOUT + 10)
    yield Tool(pytest_tool.pytest_run, kind="execute", timeout=pytest_tool.MAX_TIMEOUT + 20)


@hookimpl
def punie_nouns() -> Iterator[Noun]:
    from punie_quality import results

    for model in (
        results.CollectionError,
        results.FormatResult,
        results.RuffResult,
        results.TestCase,
        results.TestResult,
        results.TypeCheckResult,
        results.TypeDiagnostic,
        results.Violation,
    ):
        yield Noun(model)


@hookimpl
def punie_skills() -> Iterator[Skill]:
    yield Skill.from_package("punie_quality", "skills/quality-triad")


@hookimpl
def punie_validators() -> Iterator[Validator]:
    from punie_quality import validators as v

    yield Validator(
        name="ruff_syntax",
        layer="syntax",
        rules=v.RUFF_SYNTAX_RULES,
        check=v.ruff_syntax_check,
        batch=v.ruff_syntax_batch,
        applies_to=v.is_python,
    )
    yield Validator(
        name="ruff_lint",
        layer="conventions",
        rules=v.ruff_lint_rules(),
        check=v.ruff_lint_check,
        batch=v.ruff_lint_batch,
        fix=v.ruff_lint_fix,
        applies_to=v.is_python,
    )
    yield Validator(
        name="ty_types",
        layer="types",
        rules=v.TY_RULES,
        batch=v.ty_batch,
        applies_to=v.is_python,
    )


@hookimpl
def punie_vocabulary() -> Iterator[Term]:
    yield Term("violation", "a ruff finding (result.violations)")
    yield Term("diagnostic", "a ty finding (result.errors: errors only)")
    yield Term("nodeid", "a test's id, FILE::TEST_NAME as pytest reports it; rerun it via paths")


@hookimpl
def punie_views() -> Iterator[View | Page]:
    from punie_quality import views

    yield from views.views()
