"""The svcs plugin's rule ids, grouped by the verb that reports them (no heavy imports here)."""

from __future__ import annotations

REGISTRY_RULES: dict[str, str] = {
    "SVCS003": "a factory has parameters the container cannot supply (TypeError at get())",
    "SVCS005": "autowire()/aautowire() of a bare generator function (TypeError)",
    "SVCS010": "a requested service type has no registration (ServiceNotFoundError)",
    "SVCS011": "an async factory fetched with the sync get() (TypeError: use aget())",
}

LIFECYCLE_RULES: dict[str, str] = {
    "SVCS004": "a generator factory's cleanup after `yield` is not in try/finally (skipped when "
    "an error reaches it or the container is never closed)",
    "SVCS015": "a global factory depends on a service registered only on containers "
    "(register_local_*): other containers raise ServiceNotFoundError",
    "SVCS020": "a middleware phase is declared but no execute_target_middleware() runs it",
    "SVCS021": "execute_target_middleware() runs a phase no hookable target declares",
}

MIDDLEWARE_RULES: dict[str, str] = {
    "SVCS022": "async middleware in a sync chain (RuntimeError, or a coroutine never awaited)",
    "SVCS023": "two middleware of one chain share a priority (their order is accidental)",
    "SVCS024": "middleware without `priority` (AttributeError when the chain sorts)",
    "SVCS025": "middleware `__call__` does not take (target, props, context) (TypeError)",
    "SVCS026": "a middleware instance instead of a class in a phase map (it is injected)",
}

RULES: dict[str, str] = {**REGISTRY_RULES, **LIFECYCLE_RULES, **MIDDLEWARE_RULES}
"""Every rule id of the svcs plugin, with its one-line description."""

ASSUMED_VERSIONS: dict[str, str] = {"svcs": "26.2.0", "tdom-svcs": "0.1.0"}
"""The newest versions the rules were checked against: assumed when a project names none."""

VERSIONS: dict[str, str] = {
    "SVCS003": "svcs>=23.16",  # the container is passed to a first param annotated Container
    "SVCS004": "svcs>=26.1",  # suppress_context_exit
    "SVCS005": "svcs>=26.1",  # autowire / aautowire
    "SVCS010": "svcs>=23.1",
    "SVCS011": "svcs>=23.3",  # aget()
    "SVCS015": "svcs>=23.21",  # register_local_factory / register_local_value
    **dict.fromkeys(
        ("SVCS020", "SVCS021", "SVCS022", "SVCS023", "SVCS024", "SVCS025", "SVCS026"),
        "tdom-svcs>=0.1",
    ),
}
"""The library versions each rule holds for (`Validator.versions`)."""
