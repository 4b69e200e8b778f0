"""The svcs verbs through the toolbox gate and in Code Mode (real Monty sandbox)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from svcs_corpus import FIXTURES

from punie_core import ToolContext, using_context


def call(toolbox, root: Path, name: str, *args, **kwargs):
    async def run():
        with using_context(ToolContext.local(root)):
            return await toolbox.call(name, args, kwargs)

    return asyncio.run(run())


def test_list_services_describes_each_registration(toolbox) -> None:
    root = FIXTURES / "good_api"
    services = {s.service_type: s for s in call(toolbox, root, "list_services", "app")}
    assert set(services) == {
        "Settings",
        "Pool",
        "Connection",
        "UserRepository",
        "Cache",
        "CurrentUser",
        "Greeter",
    }
    assert services["Settings"].lifecycle == "value" and services["Settings"].kind == "value"
    connection = services["Connection"]
    assert (connection.lifecycle, connection.cleanup, connection.takes_container) == (
        "per_container",
        "generator",
        True,
    )
    assert connection.ping == 'lambda conn: conn.query("select 1")'
    assert services["Pool"].cleanup == "on_registry_close"
    assert services["Cache"].is_async and not services["Pool"].is_async
    assert services["UserRepository"].factory == "svcs.autowire(UserRepository)"
    assert services["CurrentUser"].lifecycle == "local"
    assert (services["Connection"].path, services["Connection"].line) == ("app/registry.py", 13)


def test_validators_split_the_rules_by_lifecycle(toolbox) -> None:
    root = FIXTURES / "bad_SVCS015_local_dependency"
    assert call(toolbox, root, "validate_service_registry", ".") == []
    transitions = call(toolbox, root, "check_state_transitions", ".")
    assert [(d.path, d.line, d.rule) for d in transitions] == [("app/audit.py", 20, "SVCS015")]
    registry = call(
        toolbox, FIXTURES / "bad_SVCS011_async_factory_get", "validate_service_registry"
    )
    assert [d.rule for d in registry] == ["SVCS011"]


def test_middleware_listing_and_chain_validation(toolbox) -> None:
    root = FIXTURES / "good_middleware"
    specs = call(toolbox, root, "list_middleware", ".")
    assert [(m.name, m.priority, m.phase, m.target, m.is_async) for m in specs] == [
        ("LogProps", -10, None, None, False),
        ("Defaults", 0, None, None, True),
        ("AltText", 10, "rendering", "Photo", False),
    ]
    assert call(toolbox, root, "validate_middleware_chain", ".") == []
    bad = call(toolbox, FIXTURES / "bad_SVCS023_duplicate_priority", "validate_middleware_chain")
    assert [(d.path, d.rule) for d in bad] == [
        ("site/middleware.py", "SVCS023"),
        ("site/more.py", "SVCS023"),
    ]


def test_code_mode_snippet_audits_services(toolbox) -> None:
    from punie_core import run_sync

    code = (
        'for r in list_services("app"):\n'
        "    if r.cleanup != 'none':\n"
        "        print(r.service_type, r.cleanup)\n"
        'problems = validate_service_registry(".") + check_state_transitions(".")\n'
        "[p.rule for p in problems]"
    )
    result = run_sync(code, toolbox=toolbox, context=ToolContext.local(FIXTURES / "good_api"))
    assert result.ok, result.error
    assert result.stdout.splitlines() == ["Pool on_registry_close", "Connection generator"]
    assert result.value == []
