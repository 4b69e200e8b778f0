"""punie-svcs plugin entry module: hook implementations only (heavy imports live in the verbs)."""

from __future__ import annotations

from collections.abc import Iterator

from punie_core import Noun, Page, Skill, Term, Tool, Validator, View, hookimpl


def _check(path: str, source: str) -> list:
    from punie_svcs.rules import check

    return check(path, source)


@hookimpl
def punie_tools() -> Iterator[Tool]:
    from punie_svcs import verbs

    yield Tool(verbs.list_services, kind="search")
    yield Tool(verbs.list_middleware, kind="search")
    yield Tool(verbs.validate_service_registry, kind="read")
    yield Tool(verbs.validate_middleware_chain, kind="read")
    yield Tool(verbs.check_state_transitions, kind="read")


@hookimpl
def punie_nouns() -> Iterator[Noun]:
    from punie_svcs import nouns

    yield Noun(nouns.ServiceRegistration)
    yield Noun(nouns.MiddlewareSpec)


@hookimpl
def punie_validators() -> Iterator[Validator]:
    from punie_svcs.gate import applies_to
    from punie_svcs.rule_ids import RULES, VERSIONS

    yield Validator(
        name="svcs_services",
        layer="conventions",
        rules=RULES,
        versions=VERSIONS,
        check=_check,
        applies_to=applies_to,
    )


@hookimpl
def punie_skills() -> Iterator[Skill]:
    yield Skill.from_package("punie_svcs", "skills/svcs-services")


@hookimpl
def punie_vocabulary() -> Iterator[Term]:
    yield Term("registration", "register_factory(T, f): how svcs makes service T")


@hookimpl
def punie_views() -> Iterator[View | Page]:
    from punie_svcs import views

    yield from views.views()
