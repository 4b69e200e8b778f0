"""svcs and tdom-svcs convention rules: registry, container lifecycle and middleware chains.

Each rule is a runtime failure of svcs 26.2 (or tdom-svcs's middleware executor) found
before the code runs: the finding names the exception. Rules that need the whole project
(a request in a view, its registration in the app factory) look at every relevant module
but report only in the module being checked.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

import libcst as cst

from punie_core import Finding, LibraryVersion, library_version, rule_applies
from punie_svcs.analysis import (
    AUTOWIRE,
    BUILTIN_TYPES,
    CONTAINER_TYPES,
    CONTEXT_DECORATORS,
    REGISTER_METHODS,
    Class,
    Function,
    ModuleFacts,
    Param,
    Registration,
    dotted,
    last,
    takes_container,
)
from punie_svcs.project import Project, Target, facts_for, import_graph
from punie_svcs.rule_ids import (
    ASSUMED_VERSIONS,
    LIFECYCLE_RULES,
    MIDDLEWARE_RULES,
    REGISTRY_RULES,
    RULES,
    VERSIONS,
)

__all__ = [
    "LIFECYCLE_RULES",
    "MIDDLEWARE_RULES",
    "REGISTRY_RULES",
    "RULES",
    "analyze",
    "check",
    "describe_registration",
    "middleware_members",
]


def _finding(facts: ModuleFacts, node: cst.CSTNode, rule: str, message: str) -> Finding:
    line, column = facts.position(node)
    return Finding(path=facts.path, line=line, column=column, rule=rule, message=message)


def check(path: str, source: str) -> list[Finding]:
    """All svcs findings for one module (the `conventions` layer's `check`).

    Only rules that hold for the project's svcs (or tdom-svcs) version are reported; each
    message ends with the version assumed (`[svcs 26.2.0 (uv.lock)]`).
    """
    try:
        facts = facts_for(path, source)
    except (cst.ParserSyntaxError, cst.CSTValidationError):
        return []  # the syntax gate reports it
    # Facts are shared by path and text (absolute path); findings use the path as given.
    return [replace(f, path=path) for f in analyze(facts, Project(path, current=facts))]


def _library(path: str, rule: str) -> LibraryVersion:
    """The project's version of the library `rule` is about."""
    name = VERSIONS[rule].split(">", 1)[0].split("<", 1)[0].split("=", 1)[0].strip()
    return library_version(path, name, ASSUMED_VERSIONS[name])


def analyze(facts: ModuleFacts, project: Project) -> Iterator[Finding]:
    """Every svcs finding located in `facts`' module that holds for the project's versions
    (messages end with the version assumed)."""
    for finding in _analyze(facts, project):
        library = _library(facts.path, finding.rule)
        if rule_applies(VERSIONS, finding.rule, library):
            yield replace(finding, message=f"{finding.message} [{library.describe()}]")


def _analyze(facts: ModuleFacts, project: Project) -> Iterator[Finding]:
    yield from _registry_rules(facts, project)
    yield from _lifecycle_rules(facts, project)
    yield from _middleware_rules(facts, project)


# ---------------------------------------------------------------------------------------------
# Shared views of the project.


def _registrations(project: Project) -> list[tuple[ModuleFacts, Registration]]:
    return project.memo(
        "registrations",
        lambda: [(facts, r) for facts in project.modules() for r in facts.registrations],
    )


ANY = "*"
"""The key matching every registration (is the code's registry visible at all?)."""

TEST_MODULE = re.compile(r"(^test_.*|.*_test)\.py$")


def _is_test_module(path: str) -> bool:
    return TEST_MODULE.match(os.path.basename(path)) is not None


@dataclass(frozen=True)
class InEffect:
    """The registrations of one type that can be in effect where a service is requested.

    Attributes:
        registrations: The candidates (the last one before the request in its own function,
            every one of an enclosing function, or the shared ones of the application).
        opaque: A registration the rules cannot see may be in effect (`scan()`,
            `@injectable`, a wrapper registering its argument, a non-literal type).
    """

    registrations: list[tuple[ModuleFacts, Registration]]
    opaque: bool


def _opaque_sites(project: Project) -> list[tuple[ModuleFacts, tuple[str, ...], bool]]:
    """Where registrations the rules cannot see happen: (module, scope, in a test)."""
    return project.memo("opaque-sites", lambda: _find_opaque_sites(project))


def _find_opaque_sites(project: Project) -> list[tuple[ModuleFacts, tuple[str, ...], bool]]:
    modules = project.modules()
    forwarders = {name for m in modules for name in m.forwarders} - REGISTER_METHODS
    sites = []
    for m in modules:
        sites += [(m, scope, in_test) for scope, in_test in m.opaque]
        sites += [
            (m, scope, in_test) for name, scope, in_test in m.call_sites if name in forwarders
        ]
        sites += [(m, r.scope, r.in_test) for r in m.registrations if r.opaque]
    return sites


def in_effect(
    project: Project,
    facts: ModuleFacts,
    key: str,
    scope: tuple[str, ...],
    order: int | None,
    in_test: bool,
) -> InEffect:
    """The registrations of `key` that can serve code at `scope` of `facts`.

    Registrations are scoped to the registry the code uses, as far as the code shows it:
    a registration in the same function before the request wins (svcs keeps the last one);
    else those of the enclosing functions (the app-factory pattern); else the application's
    shared ones: module level and non-test functions (fixtures, `create_app()`). A test's
    own registrations never serve another test; code outside tests may be served by any.

    Args:
        order: The request's place in its function (None: anywhere in it counts, as for an
            autowired factory, which runs at `get()` time).
    """
    everything = _registrations(project)
    sites = _opaque_sites(project)
    for depth in range(len(scope), 0, -1):
        prefix = scope[:depth]
        # Everything registered inside this function, nested functions included (a
        # lifespan or app factory defined next to the view).
        here = [
            (f, r)
            for f, r in everything
            if f is facts and r.scope[:depth] == prefix and (r.key == key or key == ANY or r.opaque)
        ]
        hidden = any(m is facts and s[:depth] == prefix for m, s, _ in sites)
        if not here:
            if hidden:
                return InEffect([], True)
            continue
        if depth == len(scope) and order is not None:
            before = [(f, r) for f, r in here if r.scope == scope and r.order < order]
            if before:
                chosen = max(before, key=lambda fr: fr[1].order)  # svcs keeps the last one
                if chosen[1].opaque:
                    return InEffect([], True)
                later = [(f, r) for f, r in here if (f, r) not in before]
                return InEffect([chosen, *[fr for fr in later if not fr[1].opaque]], hidden)
        return InEffect(
            [fr for fr in here if not fr[1].opaque], hidden or any(fr[1].opaque for fr in here)
        )

    graph = project.memo("import-graph", lambda: import_graph(project.root))

    def shared(module: ModuleFacts, registration_in_test: bool) -> bool:
        """Can a registration made in `module` (in a test or not) serve this code?"""
        if in_test and registration_in_test:
            return False  # another test's own registry
        path = module.path
        if module is facts or os.path.basename(path) == "conftest.py":
            return True
        if in_test and _is_test_module(path):
            return False  # another test module's fixtures and helpers
        # Same program: some module imports both (separate scripts sharing only a library
        # each have their own registry).
        return graph.related(path, facts.path)

    candidates = [
        (f, r)
        for f, r in everything
        if (r.key == key or key == ANY)
        and not r.opaque
        and shared(f, r.in_test)
        and not _encloses(f, r, facts, scope)
    ]
    mine = [(f, r) for f, r in candidates if f is facts and not r.scope]
    if mine:
        candidates = mine  # module-level registrations of this module serve its code
    opaque = any(shared(m, in_test_site) for m, _, in_test_site in sites)
    if key == ANY and not candidates:
        # No registration at all: is the registry this code uses even visible?
        makers = [m for m in project.modules() if m.creates_registry and shared(m, False)]
        return InEffect([], opaque or not makers)
    return InEffect(candidates, opaque)


def _encloses(
    owner: ModuleFacts, registration: Registration, facts: ModuleFacts, scope: tuple[str, ...]
) -> bool:
    """True for a registration inside a function enclosing `scope` (already considered)."""
    return owner is facts and bool(registration.scope) and registration.scope[-1] in scope


def _factory_target(
    project: Project, facts: ModuleFacts, registration: Registration
) -> tuple[str, Target | None]:
    """How a registration makes its service, and the def or class behind it.

    The kind is `plain`, `autowire`, `aautowire`, `lambda` or `opaque` (anything else).
    A def decorated with `@svcs.autowire` counts as autowired.
    """
    factory = registration.factory
    if factory is None or registration.kind != "factory":
        return "opaque", None
    if isinstance(factory, cst.Lambda):
        return "lambda", None
    if isinstance(factory, cst.Call):
        callee = last(dotted(factory.func))
        if callee in AUTOWIRE and factory.args:
            return callee, project.resolve_expression(
                facts, factory.args[0].value, registration.scope
            )
        return "opaque", None
    target = project.resolve_expression(facts, factory, registration.scope)
    decorators = (
        target.function.decorators
        if target is not None and target.function is not None
        else (target.klass.decorators if target is not None and target.klass is not None else [])
    )
    wired = [d for d in decorators if d in AUTOWIRE]
    if wired:
        return wired[-1], target
    if (
        any(d not in CONTEXT_DECORATORS for d in decorators)
        and target is not None
        and (target.function is not None)
    ):
        # Another decorator may change the signature (functools.wraps, partial, caching).
        return "opaque", target
    return "plain", target


def _is_async_factory(project: Project, facts: ModuleFacts, registration: Registration) -> bool:
    how, target = _factory_target(project, facts, registration)
    if how == "aautowire":
        return True
    if (
        isinstance(registration.factory, cst.Call)
        and last(dotted(registration.factory.func)) == "auto_async"
    ):
        return True
    if target is not None and target.function is not None and how == "plain":
        return target.function.is_async
    return False


def _required_unsupplied(params: list[Param]) -> list[str]:
    """Parameters svcs will not pass: all required ones after the container parameter."""
    rest = params[1:] if takes_container(params) else params
    return [p.name for p in rest if p.required]


# ---------------------------------------------------------------------------------------------
# Registry rules (validate_service_registry).


def _registry_rules(facts: ModuleFacts, project: Project) -> Iterator[Finding]:
    registrations = _registrations(project)
    injected = {key for m in project.modules() for key in m.injected}

    # SVCS003: factories with parameters the container cannot supply.
    for registration in facts.registrations:
        if registration.kind != "factory":
            continue
        how, target = _factory_target(project, facts, registration)
        node = registration.factory if registration.factory is not None else registration.node
        if how == "lambda" and isinstance(registration.factory, cst.Lambda):
            lambda_params = [
                Param(p.name.value, "positional", None, None if p.default is None else "…", p)
                for p in registration.factory.params.params
            ]
            missing = _required_unsupplied(lambda_params)
            if missing:
                yield _finding(
                    facts,
                    node,
                    "SVCS003",
                    f"the factory for {registration.svc_type} is a lambda taking "
                    f"{', '.join(missing)}: svcs calls factories with no arguments (or only the "
                    "container, to a first parameter named `svcs_container`), so get() raises "
                    "TypeError; name the parameter `svcs_container`",
                )
        elif how == "plain" and target is not None and registration.key not in injected:
            yield from _factory_parameters(facts, node, registration, target)

    # SVCS005 and autowired parameters.
    used = _registered_factories(project, facts)
    for call, argument, _ in facts.autowired:
        scope = facts.scopes.get(id(call), ())
        target = project.resolve_expression(facts, argument, scope)
        if target is None:
            continue
        function = target.function
        shown = last(dotted(call.decorator if isinstance(call, cst.Decorator) else call.func))
        if (
            function is not None
            and function.is_generator
            and not function.wrapped_in_context_manager
        ):
            kind = "async generator" if function.is_async else "generator"
            decorator = "asynccontextmanager" if function.is_async else "contextmanager"
            yield _finding(
                facts,
                call,
                "SVCS005",
                f"{shown}({function.name}): {function.name} is a bare {kind}, "
                f"which svcs refuses (TypeError: its cleanup would be lost); decorate it with "
                f"@contextlib.{decorator}",
            )
        params = (
            function.params
            if function
            else (target.klass.init_params or [] if target.klass else [])
        )
        in_test = any(k.split("#", 1)[0].startswith("test") for k in scope)
        for param in params:
            if param.kind in ("var_positional", "var_keyword"):
                continue
            if param.annotation is None and param.default is None:
                yield _finding(
                    facts,
                    call,
                    "SVCS003",
                    f"autowire cannot supply `{param.name}` of {target.name}: it has no type "
                    "annotation and no default (TypeError)",
                )
                continue
            if param.annotation is None or param.default is not None or not registrations:
                continue
            if id(call) not in used and not (function and function.key in used):
                continue  # never registered here: nothing resolves its parameters
            key = _annotation_key(param.annotation)
            if key is None or not _is_type_key(key) or last(key) in CONTAINER_TYPES:
                continue
            effect = in_effect(project, facts, key, scope, None, in_test)
            if (
                not effect.registrations
                and not effect.opaque
                and _registry_visible(project, facts, scope, None, in_test)
            ):
                yield _finding(
                    facts,
                    call,
                    "SVCS010",
                    f"autowire resolves `{param.name}: {param.annotation}` of {target.name} "
                    f"from the container, but nothing registers {key} where it is used "
                    "(ServiceNotFoundError)",
                )

    # SVCS010 / SVCS011: requests.
    for request in facts.requests:
        for code, key, node in request.types:
            if key in CONTAINER_TYPES or not registrations:
                continue
            effect = in_effect(project, facts, key, request.scope, request.order, request.in_test)
            if not effect.registrations:
                if (
                    not effect.opaque
                    and not request.handled
                    and _registry_visible(
                        project, facts, request.scope, request.order, request.in_test
                    )
                ):
                    yield _finding(
                        facts,
                        node,
                        "SVCS010",
                        f"{request.method}({code}): nothing registers {code} for this "
                        "container (svcs raises ServiceNotFoundError); register a factory or "
                        "value for exactly this type",
                    )
                continue
            if (
                request.method in ("get", "get_abstract")
                and not effect.opaque
                and all(_is_async_factory(project, f, r) for f, r in effect.registrations)
                and not _fetched_async_before(facts, request, key)
            ):
                yield _finding(
                    facts,
                    request.node,
                    "SVCS011",
                    f"{request.method}({code}) but the factory for {code} is async: svcs raises "
                    "TypeError (use `await container.aget(...)`)",
                )


def _registry_visible(
    project: Project, facts: ModuleFacts, scope: tuple[str, ...], order: int | None, in_test: bool
) -> bool:
    """True when the registry serving this code is in view: something registers for it, or a
    module of its program makes it (an empty registry). A fragment whose container comes from
    nowhere (a docs snippet, a library helper) cannot be judged."""
    effect = in_effect(project, facts, ANY, scope, None, in_test)
    return bool(effect.registrations) or not effect.opaque


def _registered_factories(project: Project, facts: ModuleFacts) -> set[object]:
    """Autowire calls used as a registration's factory (by node id) and the keys of defs
    registered as factories, in this module."""
    used: set[object] = set()
    for registration in facts.registrations:
        if registration.factory is None:
            continue
        used.add(id(registration.factory))
        how, target = _factory_target(project, facts, registration)
        if target is not None and target.function is not None:
            used.add(target.function.key)
    return used


def _is_type_key(key: str) -> bool:
    """A key that names a type (`Database`, `int`, `Annotated[...]`), not a variable holding
    one (`special_type` in a parametrized test)."""
    head = key.split("[", 1)[0]
    tail = last(head)
    return tail[:1].isupper() or tail in BUILTIN_TYPES


def _fetched_async_before(facts: ModuleFacts, request, key: str) -> bool:  # noqa: ANN001
    """An earlier `aget()` of the same type in the same function caches it for `get()`."""
    return any(
        other.method in ("aget", "aget_abstract")
        and other.scope == request.scope
        and other.order < request.order
        and any(k == key for _, k, _ in other.types)
        for other in facts.requests
    )


def _annotation_key(annotation: str) -> str | None:
    """The type autowire looks up for an annotation (`InitVar[T]` is unwrapped to `T`);
    None for a string annotation that cannot be read."""
    text = "".join(annotation.split())
    if text[:1] in "\"'":
        return None
    head = text.split("[", 1)[0]
    if last(head) == "InitVar" and text.endswith("]"):
        text = text[len(head) + 1 : -1]
    return text.rsplit(".", 1)[-1] if "[" not in text else text


def _factory_parameters(
    facts: ModuleFacts, node: cst.CSTNode, registration: Registration, target: Target
) -> Iterator[Finding]:
    if target.function is not None:
        params = target.function.params
        missing = _required_unsupplied(params)
        misplaced = [
            p.name
            for p in params[1:]
            if p.name == "svcs_container" or last(p.annotation) in CONTAINER_TYPES
        ]
        if missing:
            hint = (
                f"; the container is passed only to the FIRST parameter (move {misplaced[0]})"
                if misplaced
                else "; take `svcs_container: svcs.Container` and get() them from it, or "
                "register svcs.autowire(...)"
            )
            yield _finding(
                facts,
                node,
                "SVCS003",
                f"factory {target.name} for {registration.svc_type} requires "
                f"{', '.join(missing)}, which svcs never passes (TypeError at get()){hint}",
            )
    elif target.klass is not None:
        klass = target.klass
        if klass.init_params is None:
            return
        missing = _required_unsupplied(klass.init_params)
        if missing:
            yield _finding(
                facts,
                node,
                "SVCS003",
                f"class {klass.name} is registered as the factory for {registration.svc_type} but "
                f"needs {', '.join(missing)} to be built; svcs calls {klass.name}() with no "
                f"arguments (TypeError): register svcs.autowire({klass.name}) or a factory "
                "function",
            )


# ---------------------------------------------------------------------------------------------
# Lifecycle rules (check_state_transitions).


def _lifecycle_rules(facts: ModuleFacts, project: Project) -> Iterator[Finding]:
    registrations = _registrations(project)

    # SVCS004: generator factories whose cleanup is not guarded, registered with
    # suppress_context_exit=False. With the default (True) svcs closes the generator without
    # the exception, so code after `yield` runs anyway.
    factories: dict[str, Function] = {}
    for owner, registration in registrations:
        if registration.keywords.get("suppress_context_exit") != "False":
            continue
        how, target = _factory_target(project, owner, registration)
        if (
            how == "plain"
            and target is not None
            and target.function is not None
            and target.facts.path == facts.path
        ):
            factories[target.function.key] = target.function
    for function in factories.values():
        if function.is_generator and function.unguarded_yield is not None:
            yield _finding(
                facts,
                function.unguarded_yield,
                "SVCS004",
                f"generator factory {function.name} is registered with "
                "suppress_context_exit=False, so an error in the request is thrown into it at "
                "`yield` and the cleanup after it is skipped; put it in `try: yield ... "
                "finally: cleanup` (or a `with` block)",
            )

    # SVCS015: global factories depending on container-local services.
    local_only = _local_only_keys(registrations)
    if local_only:
        for owner, registration in registrations:
            if registration.local:
                continue
            how, target = _factory_target(project, owner, registration)
            if target is None or target.function is None or target.facts.path != facts.path:
                continue
            function = target.function
            container = function.container_param
            for request in function.requests:
                if container is not None and request.receiver != container:
                    continue
                for code, key, node in request.types:
                    if key in local_only:
                        yield _finding(
                            facts,
                            node,
                            "SVCS015",
                            f"global factory {function.name} (for {registration.svc_type}) gets "
                            f"{code}, which is only registered on containers "
                            "(register_local_*): a container without it raises "
                            "ServiceNotFoundError, and one that gets "
                            f"{registration.svc_type} before registering {code} caches the "
                            "wrong result; make the dependency point local -> global",
                        )

    # SVCS020 / SVCS021: middleware phases.
    modules = project.modules()
    executions = [e for m in modules for e in m.executions if e.kind == "target"]
    unknowable = any(e.phase is None for e in executions)
    executed = {e.phase for e in executions if e.phase is not None}
    declared = {entry.phase for m in modules for entry in m.phases}
    if not unknowable:
        for entry in facts.phases:
            if entry.phase not in executed:
                ran = ", ".join(sorted(repr(p) for p in executed)) or "none"
                yield _finding(
                    facts,
                    entry.key_node,
                    "SVCS020",
                    f"phase {entry.phase!r} of {entry.target or 'this target'} is never run: no "
                    f"execute_target_middleware(..., phase={entry.phase!r}) in the project "
                    f"(phases run: {ran}), so its middleware silently never executes",
                )
    if declared:
        for execution in facts.executions:
            if (
                execution.kind == "target"
                and execution.phase is not None
                and execution.phase not in declared
            ):
                known = ", ".join(sorted(repr(p) for p in declared))
                yield _finding(
                    facts,
                    execution.node,
                    "SVCS021",
                    f"execute_target_middleware runs phase {execution.phase!r}, which no hookable "
                    f"target declares (declared: {known}); nothing runs — a typo?",
                )


def _local_only_keys(registrations: list[tuple[ModuleFacts, Registration]]) -> set[str]:
    local = {r.key for _, r in registrations if r.local}
    global_ = {r.key for _, r in registrations if not r.local}
    return local - global_


# ---------------------------------------------------------------------------------------------
# Middleware rules (validate_middleware_chain).


def middleware_members(
    project: Project,
) -> list[tuple[Target, str | None, str | None, cst.CSTNode, ModuleFacts]]:
    """Every middleware class in a chain.

    Each item: (target, phase or None for the global chain, hookable target, the node that
    lists it, the module that lists it).
    """
    members = []
    for facts in project.modules():
        for node, reference in facts.global_middleware:
            target = (
                project.resolve(facts, reference)
                if isinstance(reference, str)
                else project.resolve_expression(facts, reference)
            )
            if target is not None and target.klass is not None:
                members.append((target, None, None, node, facts))
        for entry in facts.phases:
            for element in entry.elements:
                target = project.resolve_expression(facts, element)
                if target is not None and target.klass is not None:
                    members.append((target, entry.phase, entry.target, element, facts))
    return members


def _priority_value(klass: Class) -> object:
    if klass.priority is None:
        return None
    try:
        return ast.literal_eval(klass.priority)
    except (ValueError, SyntaxError):
        return klass.priority  # a name: compare by text


def _middleware_rules(facts: ModuleFacts, project: Project) -> Iterator[Finding]:
    members = middleware_members(project)
    modules = project.modules()
    sync_global = any(e.kind == "sync" for m in modules for e in m.executions)

    # SVCS026: instances in phase maps (listed in this module).
    for entry in facts.phases:
        for element in entry.elements:
            if isinstance(element, cst.Call):
                yield _finding(
                    facts,
                    element,
                    "SVCS026",
                    f"phase {entry.phase!r} lists an instance ({facts.code(element)}); tdom-svcs "
                    "injects middleware with container.inject(cls), so list the class itself",
                )

    reported: set[tuple[str, str]] = set()
    for target, phase, _hookable, _node, _where in members:
        klass = target.klass
        if klass is None or target.facts.path != facts.path:
            continue
        if (klass.name, "shape") not in reported:
            reported.add((klass.name, "shape"))
            # SVCS024: priority.
            if klass.priority is None:
                yield _finding(
                    facts,
                    klass.node.name,
                    "SVCS024",
                    f"middleware {klass.name} has no `priority`: the chain sorts by it "
                    "(AttributeError); add `priority: int = 0` (lower runs first)",
                )
            # SVCS025: __call__(self, target, props, context).
            call = klass.call
            if call is None:
                yield _finding(
                    facts,
                    klass.node.name,
                    "SVCS025",
                    f"middleware {klass.name} has no __call__(self, target, props, context)",
                )
            else:
                positional = [
                    p for p in klass.call_params if p.kind in ("positional_only", "positional")
                ]
                required = [p for p in positional if p.required]
                star = any(p.kind == "var_positional" for p in klass.call_params)
                if len(required) > 3 or (len(positional) < 3 and not star):
                    yield _finding(
                        facts,
                        call.name,
                        "SVCS025",
                        f"{klass.name}.__call__ takes {len(positional)} argument(s) after self; "
                        "tdom-svcs calls it as mw(target, props, context) (TypeError)",
                    )
        # SVCS022: async in a sync chain.
        if klass.call_is_async and klass.call is not None:
            if phase is not None and (klass.name, f"phase:{phase}") not in reported:
                reported.add((klass.name, f"phase:{phase}"))
                yield _finding(
                    facts,
                    klass.call.name,
                    "SVCS022",
                    f"{klass.name}.__call__ is async but phase {phase!r} runs in "
                    "execute_target_middleware, which never awaits it: the coroutine becomes "
                    "the props; make __call__ sync",
                )
            elif phase is None and sync_global and (klass.name, "global") not in reported:
                reported.add((klass.name, "global"))
                yield _finding(
                    facts,
                    klass.call.name,
                    "SVCS022",
                    f"{klass.name}.__call__ is async but the project runs the global chain with "
                    "execute_middleware (sync): RuntimeError; use execute_middleware_async or a "
                    "sync __call__",
                )

    # SVCS023: duplicate priorities within one chain (the global chain, or one phase list).
    # A chain is one registry's global list (the function that registers it) or one hookable
    # target's phase list (the module declaring it): same-named classes or targets elsewhere
    # belong to other chains.
    program = _programs(project, [where.path for _, phase, _, _, where in members if not phase])
    chains: dict[tuple[object, ...], list[tuple[Class, str]]] = {}
    for target, phase, hookable, _node, where in members:
        if target.klass is not None:
            key: tuple[object, ...] = (
                (phase, hookable, where.path) if phase else (None, None, program[where.path])
            )
            chain = chains.setdefault(key, [])
            if all(k.name != target.klass.name or p != target.facts.path for k, p in chain):
                chain.append((target.klass, target.facts.path))
    for (phase, hookable, *_), classes in chains.items():
        by_priority: dict[object, list[tuple[Class, str]]] = {}
        for klass, path in classes:
            value = _priority_value(klass)
            if value is not None:
                by_priority.setdefault(value, []).append((klass, path))
        for value, group in by_priority.items():
            if len(group) < 2:
                continue
            where = f"phase {phase!r} of {hookable}" if phase else "the global chain"
            for klass, path in group:
                if path != facts.path or klass.priority_node is None:
                    continue
                others = ", ".join(k.name for k, p in group if (k.name, p) != (klass.name, path))
                yield _finding(
                    facts,
                    klass.priority_node,
                    "SVCS023",
                    f"{klass.name} has priority {value!r} like {others} in {where}: their order "
                    "then depends on registration order; give each a distinct priority",
                )


def _programs(project: Project, paths: list[str]) -> dict[str, str]:
    """Group modules registering global middleware into programs (one registry each):
    modules of one package directory, or related by imports, share a chain."""
    graph = project.memo("import-graph", lambda: import_graph(project.root))
    parent = {path: path for path in paths}

    def find(path: str) -> str:
        while parent[path] != path:
            parent[path] = parent[parent[path]]
            path = parent[path]
        return path

    unique = sorted(set(paths))
    for index, first in enumerate(unique):
        for second in unique[index + 1 :]:
            if os.path.dirname(first) == os.path.dirname(second) or graph.related(first, second):
                parent[find(first)] = find(second)
    return {path: find(path) for path in paths}


# ---------------------------------------------------------------------------------------------
# Descriptions for the verbs.


def describe_registration(facts: ModuleFacts, project: Project, registration: Registration, root):  # noqa: ANN001, ANN201
    """A `ServiceRegistration` noun for one registration."""
    import os
    from pathlib import Path

    from punie_svcs.nouns import ServiceRegistration

    how, target = _factory_target(project, facts, registration)
    function = target.function if target is not None else None
    container = how in AUTOWIRE
    if function is not None and how == "plain":
        container = takes_container(function.params)
    if how == "lambda" and isinstance(registration.factory, cst.Lambda):
        params = registration.factory.params.params
        container = bool(params) and params[0].name.value == "svcs_container"
    cleanup = "none"
    if function is not None and (function.is_generator or function.wrapped_in_context_manager):
        cleanup = (
            "generator"
            if function.is_generator and not function.wrapped_in_context_manager
            else "context_manager"
        )
    elif function is not None and "ContextManager" in (function.returns or ""):
        cleanup = "context_manager"
    elif "on_registry_close" in registration.keywords:
        cleanup = "on_registry_close"
    lifecycle = (
        "local"
        if registration.local
        else ("value" if registration.kind == "value" else "per_container")
    )
    try:
        shown = Path(os.path.abspath(facts.path)).relative_to(root).as_posix()
    except ValueError:
        shown = facts.path
    return ServiceRegistration(
        service_type=registration.svc_type,
        factory=registration.factory_code,
        kind=registration.kind,
        lifecycle=lifecycle,
        is_async=_is_async_factory(project, facts, registration),
        takes_container=container,
        ping=registration.keywords.get("ping"),
        cleanup=cleanup,
        path=shown,
        line=facts.position(registration.node)[0],
    )
