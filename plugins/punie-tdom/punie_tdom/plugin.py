"""punie-tdom plugin entry module: hook implementations only (heavy imports live in the verbs)."""

from __future__ import annotations

from collections.abc import Iterator

from punie_core import Noun, Page, Skill, Term, Tool, Validator, View, hookimpl


def _check(path: str, source: str) -> list:
    from punie_tdom.rules import check

    return check(path, source)


def _fix(path: str, source: str) -> str:
    from punie_tdom.rules import fix

    return fix(path, source)


@hookimpl
def punie_tools() -> Iterator[Tool]:
    from punie_tdom import verbs

    yield Tool(verbs.list_components, kind="search")
    yield Tool(verbs.validate_component, kind="read")
    yield Tool(verbs.scaffold_component, kind="think")


@hookimpl
def punie_nouns() -> Iterator[Noun]:
    from punie_tdom import nouns

    yield Noun(nouns.Prop)
    yield Noun(nouns.ComponentSpec)
    yield Noun(nouns.ComponentCheck)
    yield Noun(nouns.ComponentScaffold)


@hookimpl
def punie_validators() -> Iterator[Validator]:
    from punie_tdom.gate import applies_to
    from punie_tdom.rule_ids import RULES, VERSIONS

    yield Validator(
        name="tdom_components",
        layer="conventions",
        rules=RULES,
        versions=VERSIONS,
        check=_check,
        fix=_fix,
        applies_to=applies_to,
    )


@hookimpl
def punie_skills() -> Iterator[Skill]:
    yield Skill.from_package("punie_tdom", "skills/tdom-components")


@hookimpl
def punie_vocabulary() -> Iterator[Term]:
    yield Term("component", "callable returning a t-string Template, used as <{Card} />")


@hookimpl
def punie_views() -> Iterator[View | Page]:
    from punie_tdom import views

    yield from views.views()
