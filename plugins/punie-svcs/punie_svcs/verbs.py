"""The svcs verbs: tools the model calls from Code Mode (`for s in list_services("src"): ...`)."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterator
from pathlib import Path

from punie_core import Diagnostic
from punie_svcs.nouns import MiddlewareSpec, ServiceRegistration


def _workspace_root() -> Path:
    from punie_core import tool_context

    return tool_context().workspace.root


def _relative(root: Path, path: str) -> str:
    try:
        return Path(os.path.abspath(path)).relative_to(root).as_posix()
    except ValueError:
        return path


def _modules(path: str) -> Iterator[tuple[object, object]]:
    """(facts, project) for every relevant module under a workspace path."""
    from punie_core import iter_source_files, project_root, read_source, workspace_path
    from punie_svcs.gate import applies_to
    from punie_svcs.project import Project, facts_for_file

    projects: dict[Path, Project] = {}
    for file in iter_source_files([workspace_path(path)]):
        try:
            if not applies_to(file, read_source(file)):
                continue
        except (OSError, UnicodeDecodeError):
            continue
        facts = facts_for_file(file)
        if facts is None:
            continue
        root = project_root(file)
        project = projects.setdefault(root, Project(file))
        yield facts, project


def _diagnostics(path: str, rules: dict[str, str]) -> list[Diagnostic]:
    from punie_svcs.rules import analyze

    root = _workspace_root()
    found = []
    for facts, project in _modules(path):
        for finding in analyze(facts, project):  # type: ignore[arg-type]
            if finding.rule in rules:
                diagnostic = Diagnostic.from_finding(finding)
                found.append(diagnostic.model_copy(update={"path": _relative(root, finding.path)}))
    return sorted(found, key=lambda d: (d.path, d.line, d.column, d.rule))


def list_services(path: str = ".") -> list[ServiceRegistration]:
    """The project's svcs service registrations.

    Args:
        path: A workspace directory or file to search, for example `src` or `app/services.py`.
    """
    from punie_svcs.rules import describe_registration

    root = _workspace_root()
    found = []
    for facts, project in _modules(path):
        for registration in facts.registrations:  # type: ignore[attr-defined]
            found.append(describe_registration(facts, project, registration, root))  # type: ignore[arg-type]
    return sorted(found, key=lambda r: (r.path, r.line))


def list_middleware(path: str = ".") -> list[MiddlewareSpec]:
    """The project's tdom-svcs middleware and phases.

    Args:
        path: A workspace directory or file whose project's middleware to list.
    """
    from punie_svcs.rules import middleware_members

    root = _workspace_root()
    specs: dict[tuple[str, str | None, str | None], MiddlewareSpec] = {}
    for _facts, project in _modules(path):
        for target, phase, hookable, _node, _where in middleware_members(project):  # type: ignore[arg-type]
            klass = target.klass
            key = (f"{target.facts.path}::{klass.name}", phase, hookable)
            if key in specs:
                continue
            try:
                priority = int(ast.literal_eval(klass.priority)) if klass.priority else None
            except (ValueError, SyntaxError, TypeError):
                priority = None
            specs[key] = MiddlewareSpec(
                name=klass.name,
                priority=priority,
                phase=phase,
                target=hookable,
                is_async=klass.call_is_async,
                path=_relative(root, target.facts.path),
                line=target.facts.position(klass.node.name)[0],
            )
    return sorted(
        specs.values(), key=lambda s: (s.phase or "", s.target or "", s.priority or 0, s.name)
    )


def validate_service_registry(path: str = ".") -> list[Diagnostic]:
    """Check svcs registrations against requests.

    Reports missing services, async factories fetched with get(), factories with parameters
    the container cannot supply, and autowire mistakes.

    Args:
        path: A workspace directory or file to check.
    """
    from punie_svcs.rule_ids import REGISTRY_RULES

    return _diagnostics(path, REGISTRY_RULES)


def validate_middleware_chain(path: str = ".") -> list[Diagnostic]:
    """Check tdom-svcs middleware chains.

    Reports missing or duplicate priorities, wrong __call__ signatures, async middleware in
    sync chains and instances in phase maps.

    Args:
        path: A workspace directory or file to check.
    """
    from punie_svcs.rule_ids import MIDDLEWARE_RULES

    return _diagnostics(path, MIDDLEWARE_RULES)


def check_state_transitions(path: str = ".") -> list[Diagnostic]:
    """Check service and middleware lifecycles.

    Reports phases declared but never run (or run but never declared), global factories
    depending on container-local registrations, and generator cleanup outside try/finally.

    Args:
        path: A workspace directory or file to check.
    """
    from punie_svcs.rule_ids import LIFECYCLE_RULES

    return _diagnostics(path, LIFECYCLE_RULES)
