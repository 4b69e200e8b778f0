"""Plugin discovery and isolation: load each plugin alone, exclude broken ones whole, merge others.

The loop is ours, not pluggy's `load_setuptools_entrypoints`, because a plugin that fails
must never take the others (or Punie) down. Every phase is guarded per plugin, and each phase
runs for every plugin before the next one starts:

    load (import) -> validate + register -> collect (each hook, each record)
    -> conflicts (names claimed twice) -> render (stubs, with every renderer registered)

A failure at any phase excludes that plugin as a whole and is reported once with its
distribution. `PUNIE_STRICT_PLUGINS=1` re-raises instead (for plugin authors and tests).
"""

from __future__ import annotations

import builtins
import contextlib
import difflib
import inspect
import os
import sys
import types
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, entry_points
from importlib.metadata import version as distribution_version
from typing import Any

import pluggy
from pydantic import BaseModel

from punie_core.builtin import plugin as core_plugin
from punie_core.plugins import stubs
from punie_core.plugins.hookspecs import COLLECTION_HOOKS, PROJECT, PunieSpecs
from punie_core.plugins.isolation import (
    counting_interrupts,
    import_timeout,
    plugin_output,
    real_interrupt,
    with_deadline,
)
from punie_core.plugins.records import (
    LAYERS,
    Noun,
    Page,
    PluginInfo,
    PluginUnavailable,
    Record,
    RecordError,
    Skill,
    Status,
    Term,
    Tool,
    Validator,
    View,
    stamp,
)
from punie_core.plugins.stubs import HEADER_NAMES, check_stub, nouns_used_by
from punie_core.plugins.toolbox import Toolbox

ENTRY_POINT_GROUP = "punie"
CORE_PLUGIN = "core"
CORE_DISTRIBUTION = "punie"
RENDERER_NAME = "core-renderer"

RECORD_TYPES: dict[str, type | tuple[type, ...]] = {
    "punie_tools": Tool,
    "punie_nouns": Noun,
    "punie_skills": Skill,
    "punie_validators": Validator,
    "punie_vocabulary": Term,
    "punie_views": (View, Page),
}

KNOWN_HOOKS: frozenset[str] = frozenset(n for n in dir(PunieSpecs) if n.startswith("punie_"))

SANDBOX_BUILTINS: frozenset[str] = frozenset(n for n in dir(builtins) if not n.startswith("_"))
"""Names a plugin's tool or noun may not take: Python's builtins, a superset of the builtins
Monty gives every snippet (`print`, `len`, `range`, the exception types, ...; the test suite
checks Monty's own list is covered). A tool named `print` would break every snippet."""


class PluginError(RuntimeError):
    """A plugin failed (raised in strict mode; otherwise recorded on its `PluginInfo`)."""


@dataclass(frozen=True)
class Candidate:
    """A plugin to load: an entry point, or an object registered directly (tests, built-ins)."""

    name: str
    distribution: str
    version: str
    load: Any  # () -> plugin object
    builtin: bool = False


@dataclass
class _Loaded:
    """A plugin in the middle of loading: its report, its object and the nouns it only uses."""

    info: PluginInfo
    plugin: Any
    used_nouns: set[type] = field(default_factory=set)


def env_list(name: str) -> list[str] | None:
    """A comma-separated environment variable as a list; None when unset."""
    value = os.environ.get(name)
    if value is None:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


def strict_from_env() -> bool:
    """True when `PUNIE_STRICT_PLUGINS` asks to re-raise plugin failures."""
    return os.environ.get("PUNIE_STRICT_PLUGINS", "").lower() in {"1", "true", "yes", "on"}


def core_candidate() -> Candidate:
    """The built-in core plugin (files, commands, skills, help)."""
    try:
        core_version = distribution_version(CORE_DISTRIBUTION)
    except PackageNotFoundError:
        core_version = "0+unknown"

    def load() -> Any:
        return core_plugin

    return Candidate(CORE_PLUGIN, CORE_DISTRIBUTION, core_version, load, builtin=True)


def entry_point_candidates(distribution: str | None = None) -> list[Candidate]:
    """Every entry point in the group `punie` (of one distribution if given), sorted.

    Args:
        distribution: Only this distribution's entry points (`punie-tdom` or `punie_tdom`).
    """
    wanted = _normalize(distribution) if distribution else None
    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        dist_name = dist.name if dist else "?"
        if wanted is not None and _normalize(dist_name) != wanted:
            continue
        found.append(
            Candidate(
                name=ep.name,
                distribution=dist_name,
                version=dist.version if dist else "?",
                load=ep.load,
            )
        )
    # The same distribution seen twice on sys.path (editable + installed) is one plugin.
    unique = {(c.name, _normalize(c.distribution)): c for c in found}
    return sorted(unique.values(), key=lambda c: (c.name, c.distribution))


def _normalize(distribution: str) -> str:
    return distribution.lower().replace("_", "-").replace(".", "-")


def _matches(candidate: Candidate, names: Iterable[str]) -> bool:
    """True when a plugin name or distribution name is listed."""
    dist = _normalize(candidate.distribution)
    return any(item == candidate.name or _normalize(item) == dist for item in names)


def new_manager() -> pluggy.PluginManager:
    """A plugin manager with Punie's hookspecs and the core's default stub renderer."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(PunieSpecs)
    manager.register(stubs.DefaultRenderer(), name=RENDERER_NAME)
    return manager


def load_toolbox(
    *,
    entry_points: bool = True,
    extra: Iterable[Candidate] = (),
    strict: bool | None = None,
    builtins: bool = True,
) -> Toolbox:
    """Discover, load, validate and merge every plugin into a `Toolbox`.

    Args:
        entry_points: Load plugins from the entry-point group `punie` (subject to
            `PUNIE_LOAD_PLUGINS` and `PUNIE_DISABLE_PLUGINS`).
        extra: More plugins to load (tests register plugins this way).
        strict: Re-raise the first plugin failure; defaults to `PUNIE_STRICT_PLUGINS`.
        builtins: Include the core plugin (Punie's own tools). Only tests turn it off.

    Returns:
        The merged toolbox; `toolbox.plugins` reports every plugin, healthy or not.
    """
    strict = strict_from_env() if strict is None else strict
    manager = new_manager()

    candidates = ([core_candidate()] if builtins else []) + list(extra)
    if entry_points:
        candidates += entry_point_candidates()
    allow = env_list("PUNIE_LOAD_PLUGINS")
    block = env_list("PUNIE_DISABLE_PLUGINS") or []

    infos: list[PluginInfo] = []
    loaded: list[_Loaded] = []
    by_name: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_name.setdefault(candidate.name, []).append(candidate)

    # Phase 1: load and register, one plugin at a time.
    for candidate in candidates:
        info = PluginInfo(
            candidate.name, candidate.distribution, candidate.version, builtin=candidate.builtin
        )
        infos.append(info)
        if not candidate.builtin and _matches(candidate, block):
            _skip(info, "disabled by PUNIE_DISABLE_PLUGINS")
            continue
        if not candidate.builtin and allow is not None and not _matches(candidate, allow):
            _skip(info, "not listed in PUNIE_LOAD_PLUGINS")
            continue
        rivals = [c for c in by_name[candidate.name] if c is not candidate]
        if rivals and not candidate.builtin:
            dists = ", ".join(sorted(c.distribution for c in [candidate, *rivals]))
            _fail(
                info,
                "conflict",
                f"plugin name {candidate.name!r} is provided by {dists}",
                strict,
                status="conflict",
            )
            continue
        plugin = _load_and_register(manager, candidate, info, strict)
        if plugin is not None:
            loaded.append(_Loaded(info, plugin))

    # Phase 2: collect every plugin's records.
    for item in loaded:
        _collect_all(manager, item, strict)
    active = [item for item in loaded if item.info.status == "active"]

    # Phase 3: names claimed by more than one plugin.
    _resolve_conflicts(manager, active, strict)
    active = [item for item in active if item.info.status == "active"]
    _drop_borrowed_nouns(active)

    # Phase 4: render every stub with every renderer in place.
    stub_texts = _render_all(manager, active, strict)
    active = [item for item in active if item.info.status == "active"]
    return _merge(manager, [item.info for item in active], infos, stub_texts)


def _skip(info: PluginInfo, reason: str) -> None:
    info.status = "skipped"
    info.error = reason


def _fail(
    info: PluginInfo,
    phase: str,
    error: str,
    strict: bool,
    status: Status = "failed",
    cause: BaseException | None = None,
) -> None:
    if info.builtin:
        # The core cannot be excluded: a broken core is a bug to surface, not to hide.
        raise PluginError(f"core plugin {phase}: {error}") from cause
    info.status = status
    info.phase = phase
    info.error = f"{phase}: {' '.join(error.split())}"
    info.records = {}
    if strict:
        raise PluginError(f"plugin {info.name!r} ({info.distribution}) {info.error}") from cause


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@contextlib.contextmanager
def _plugin_code() -> Generator[None]:
    """Run plugin code with its prints sent to stderr (stdout may be the ACP channel), counting
    real Ctrl-Cs so a plugin's own `KeyboardInterrupt` can be told from the person's."""
    with plugin_output(), counting_interrupts():
        yield


def _contained(exc: BaseException) -> bool:
    """True for a failure that excludes the plugin; False for a real Ctrl-C (re-raise it)."""
    return not real_interrupt(exc)


def _load_and_register(
    manager: pluggy.PluginManager, candidate: Candidate, info: PluginInfo, strict: bool
) -> Any:
    """Import a plugin, check its hook implementations and register it; None when it failed."""
    try:
        with _plugin_code():
            if info.builtin:
                plugin = candidate.load()
            else:
                # A plugin whose import hangs is excluded after the deadline, not waited on.
                plugin = with_deadline(candidate.load, import_timeout(), candidate.name)
    except PluginUnavailable as exc:
        _skip(info, str(exc) or "declined to load")
        return None
    except BaseException as exc:  # SystemExit, a plugin's KeyboardInterrupt, ...
        if not _contained(exc):
            raise
        _fail(info, "load", _describe(exc), strict, cause=exc)
        return None

    try:
        problem = _hookimpl_problem(manager, plugin)
    except Exception as exc:
        problem, cause = _describe(exc), exc
    else:
        cause = None
    if problem:
        _fail(info, "validate", problem, strict, cause=cause)
        return None
    try:
        manager.register(plugin, name=candidate.name)
    except Exception as exc:  # pluggy.PluginValidationError, ValueError for duplicates
        with contextlib.suppress(Exception):
            if manager.get_plugin(candidate.name) is not None:
                manager.unregister(name=candidate.name)
        _fail(info, "validate", _describe(exc), strict, cause=exc)
        return None
    defaulted = [
        f"{caller.name}({', '.join(impl.kwargnames)})"
        for caller in manager.get_hookcallers(plugin) or []
        for impl in caller.get_hookimpls()
        if impl.plugin is plugin and impl.kwargnames
    ]
    if defaulted:
        manager.unregister(plugin)
        _fail(
            info,
            "validate",
            "hook implementations must not have parameters with defaults (pluggy never "
            f"passes them): {', '.join(sorted(defaulted))}",
            strict,
        )
        return None
    info.hooks = sorted(
        caller.name
        for caller in manager.get_hookcallers(plugin) or []
        if caller.name in KNOWN_HOOKS
    )
    return plugin


def _hookimpl_problem(manager: pluggy.PluginManager, plugin: Any) -> str | None:
    """Why the plugin's hook implementations cannot be registered, checked before pluggy sees them.

    Pluggy accepts an implementation of an unknown hook and fails only later, for everyone,
    at `check_pending()`; here it is this plugin's own error, with a did-you-mean.
    """
    for attr in sorted(dir(plugin)):
        opts = manager.parse_hookimpl_opts(plugin, attr)
        if opts is None:
            continue
        hook_name = opts.get("specname") or attr
        if hook_name not in KNOWN_HOOKS:
            close = difflib.get_close_matches(hook_name, sorted(KNOWN_HOOKS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return f"unknown hook {hook_name!r}{hint}"
        if hook_name in COLLECTION_HOOKS and (opts.get("wrapper") or opts.get("hookwrapper")):
            return f"{hook_name} is a collection hook and cannot be a wrapper"
    return None


def _collect_all(manager: pluggy.PluginManager, item: _Loaded, strict: bool) -> None:
    """Call each collection hook of one plugin; any error drops the whole plugin."""
    info = item.info
    try:
        with _plugin_code():
            for hook_name in COLLECTION_HOOKS:
                kind = hook_name.removeprefix("punie_")
                info.records[kind] = list(
                    _collect(manager, item.plugin, hook_name, info.name, info.distribution)
                )
        _check_unique(info)
        _add_used_nouns(item)
    except BaseException as exc:  # SystemExit from a hook is that plugin's failure
        if not _contained(exc):
            raise
        manager.unregister(item.plugin)
        _fail(info, "collect", _describe(exc), strict, cause=exc)


def _collect(
    manager: pluggy.PluginManager, plugin: Any, hook_name: str, name: str, distribution: str
) -> Iterable[Record]:
    expected = RECORD_TYPES[hook_name]
    kinds = expected if isinstance(expected, tuple) else (expected,)
    wanted = " or ".join(kind.__name__ for kind in kinds)
    caller = getattr(manager.hook, hook_name)
    # Call order is pluggy's (last registered first), restricted to this plugin.
    for impl in reversed(caller.get_hookimpls()):
        if impl.plugin is not plugin:
            continue
        produced = impl.function()
        if produced is None:
            continue
        if isinstance(produced, (str, bytes)) or not isinstance(produced, Iterable):
            raise RecordError(
                f"{hook_name}() must yield {wanted} records, returned {type(produced).__name__}"
            )
        for record in produced:
            if expected is Noun and _is_model_class(record):
                record = Noun(record)
            if not isinstance(record, expected):
                raise RecordError(
                    f"{hook_name}() yielded {type(record).__name__} {record!r:.80}, "
                    f"expected {wanted}"
                )
            yield stamp(record, name, distribution)


def _check_unique(info: PluginInfo) -> None:
    """A plugin may not yield two records of the same name (or one rule id twice)."""
    for kind in ("tools", "nouns", "skills", "validators"):
        seen: dict[str, Any] = {}
        for record in info.records.get(kind, []):
            identity = record.model if isinstance(record, Noun) else record
            if record.name in seen and seen[record.name] is not identity:
                raise RecordError(f"{kind[:-1]} {record.name!r} is yielded twice")
            seen[record.name] = identity
    both = set(info.names("tools")) & set(info.names("nouns"))
    if both:
        raise RecordError(f"{sorted(both)[0]!r} is yielded both as a tool and as a noun")
    rules: dict[str, str] = {}
    for validator in info.validators:
        for rule in validator.rules:
            if rule in rules:
                raise RecordError(
                    f"rule id {rule!r} is declared by both {rules[rule]!r} and {validator.name!r}"
                )
            rules[rule] = validator.name
    info.records["nouns"] = list({id(n.model): n for n in info.nouns}.values())


def _add_used_nouns(item: _Loaded) -> None:
    """Add the Pydantic models the plugin's tools mention but do not declare."""
    info = item.info
    declared = {n.model for n in info.nouns}
    for model in nouns_used_by(info.tools):
        if model not in declared:
            info.records["nouns"].append(stamp(Noun(model), info.name, info.distribution))
            item.used_nouns.add(model)
            declared.add(model)


def _is_model_class(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _resolve_conflicts(manager: pluggy.PluginManager, active: list[_Loaded], strict: bool) -> None:
    """Exclude plugins that claim a name another plugin claims; the core always keeps its names.

    Tools and nouns share one namespace (both are top-level names of the stub module). The
    same Pydantic class used by two plugins is one shared noun, not a conflict.
    """
    claims: dict[tuple[str, str], list[tuple[PluginInfo, str, Any]]] = {}
    for item in active:
        info = item.info
        for kind, records in info.records.items():
            for record in records:
                if kind in ("tools", "nouns"):
                    identity = record.model if isinstance(record, Noun) else record
                    claims.setdefault(("name", record.name), []).append((info, kind[:-1], identity))
                elif kind in ("skills", "validators"):
                    claims.setdefault((kind[:-1], record.name), []).append(
                        (info, kind[:-1], record)
                    )
                if isinstance(record, Validator):
                    for rule in record.rules:
                        claims.setdefault(("rule id", rule), []).append((info, "rule id", record))
    losers: dict[str, str] = {}
    for (namespace, name), claimants in sorted(claims.items(), key=lambda kv: kv[0]):
        if namespace == "name" and name in HEADER_NAMES:
            for info, kind, _ in claimants:
                if not info.builtin:
                    losers.setdefault(info.name, f"{kind} {name!r} is reserved by the stub module")
        if namespace == "name" and name in SANDBOX_BUILTINS:
            for info, kind, _ in claimants:
                if not info.builtin:
                    losers.setdefault(
                        info.name,
                        f"{kind} {name!r} conflicts with the Code Mode builtin {name!r} "
                        "(every snippet relies on the builtins)",
                    )
        plugins = {info.name: info for info, _, _ in claimants}
        if len(plugins) < 2:
            continue
        if len({id(identity) for _, _, identity in claimants}) == 1:
            continue  # the very same class (a shared noun) is no conflict
        label = sorted({kind for _, kind, _ in claimants})
        what = " and ".join(label) if namespace == "name" else namespace
        dists = ", ".join(sorted(f"{i.distribution} ({i.name})" for i in plugins.values()))
        message = f"{what} {name!r} is claimed by {dists}"
        for info in plugins.values():
            if not info.builtin:
                losers.setdefault(info.name, message)
    for item in active:
        if item.info.name in losers:
            with contextlib.suppress(Exception):
                manager.unregister(item.plugin)
            _fail(item.info, "conflict", losers[item.info.name], strict, status="conflict")


def _drop_borrowed_nouns(active: list[_Loaded]) -> None:
    """A noun a plugin only uses, but another active plugin declares, is listed under its owner."""
    declared: dict[type, str] = {}
    for item in active:
        for noun in item.info.nouns:
            if noun.model not in item.used_nouns:
                declared.setdefault(noun.model, item.info.name)
    for item in active:
        item.info.records["nouns"] = [
            n for n in item.info.nouns if n.model not in item.used_nouns or n.model not in declared
        ]


class _RenderFailure(Exception):
    def __init__(self, culprit: str, message: str) -> None:
        super().__init__(message)
        self.culprit = culprit


def _render_all(
    manager: pluggy.PluginManager, active: list[_Loaded], strict: bool
) -> dict[str, str]:
    """Render every tool and noun; a failing renderer or record excludes its plugin, then retry."""
    while True:
        records: dict[str, Tool | Noun] = {
            record.name: record
            for item in active
            if item.info.status == "active"
            for record in [*item.info.tools, *item.info.nouns]
        }
        try:
            with _plugin_code():
                return {
                    name: _render_one(manager, record) for name, record in sorted(records.items())
                }
        except _RenderFailure as failure:
            item = next((i for i in active if i.info.name == failure.culprit), None)
            if item is None:
                raise PluginError(str(failure)) from failure.__cause__
            with contextlib.suppress(Exception):
                manager.unregister(item.plugin)
            _fail(item.info, "render", str(failure), strict, cause=failure.__cause__)


def _render_one(manager: pluggy.PluginManager, record: Tool | Noun) -> str:
    """The first non-None `punie_render_stub` answer, checked, with any failure attributed."""
    for impl in reversed(manager.hook.punie_render_stub.get_hookimpls()):
        owner = manager.get_name(impl.plugin) or ""
        # The default renderer only fails on the record's own annotations: blame the record.
        culprit = record.plugin if owner == RENDERER_NAME else owner
        try:
            text = impl.function(*(record for _ in impl.argnames))
        except BaseException as exc:
            if not _contained(exc):
                raise
            raise _RenderFailure(culprit, f"rendering {record.name!r}: {_describe(exc)}") from exc
        if text is None:
            continue
        if not isinstance(text, str):
            raise _RenderFailure(
                culprit,
                f"punie_render_stub returned {type(text).__name__} for {record.name!r}, "
                "expected str",
            )
        try:
            check_stub(text, record.name, function=isinstance(record, Tool))
        except RecordError as exc:
            raise _RenderFailure(culprit, str(exc)) from exc
        return text
    raise _RenderFailure(record.plugin, f"no renderer answered for {record.name!r}")


def render_stub(manager: pluggy.PluginManager, record: Tool | Noun) -> str:
    """The stub text for one record, from the first `punie_render_stub` implementation that answers.

    Raises:
        RecordError: The answer is not a string of valid Python defining the record's name.
    """
    try:
        return _render_one(manager, record)
    except _RenderFailure as failure:
        raise RecordError(str(failure)) from failure.__cause__


def _merge(
    manager: pluggy.PluginManager,
    active: list[PluginInfo],
    infos: list[PluginInfo],
    stub_texts: dict[str, str],
) -> Toolbox:
    def gather(kind: str) -> list[Any]:
        return [record for info in active for record in info.records.get(kind, [])]

    tools = sorted(gather("tools"), key=lambda r: r.name)
    nouns = sorted({n.name: n for n in gather("nouns")}.values(), key=lambda r: r.name)
    skills = sorted(gather("skills"), key=lambda r: r.name)
    validators = sorted(gather("validators"), key=lambda r: (LAYERS.index(r.layer), r.name))
    vocabulary = sorted(
        {(t.name, t.meaning): t for t in gather("vocabulary")}.values(),
        key=lambda r: (r.name, r.meaning),
    )
    # A noun's view: the first by plugin name (the same plugins always give the same views).
    views = sorted(
        (r for r in gather("views") if isinstance(r, View)), key=lambda r: (r.name, r.plugin)
    )
    pages = sorted(
        (r for r in gather("views") if isinstance(r, Page)), key=lambda r: (r.plugin, r.path)
    )
    return Toolbox(
        tools=tuple(tools),
        nouns=tuple(nouns),
        skills=tuple(skills),
        validators=tuple(validators),
        vocabulary=tuple(vocabulary),
        views=tuple(views),
        pages=tuple(pages),
        plugins=tuple(sorted(infos, key=lambda i: (not i.builtin, i.name, i.distribution))),
        stub_texts={name: stub_texts[name] for name in sorted(stub_texts)},
        manager=manager,
    )


def candidate_from_object(
    obj: Any, name: str, distribution: str = "test", version: str = "0"
) -> Candidate:
    """A plugin candidate for an object or module already in hand (tests, embedding)."""
    return Candidate(name=name, distribution=distribution, version=version, load=lambda: obj)


def module_from_functions(name: str, *functions: Any) -> types.ModuleType:
    """A throwaway module holding loose `@hookimpl` functions, to register as one plugin."""
    module = types.ModuleType(name)
    for function in functions:
        setattr(module, function.__name__, function)
    return module


def failures(toolbox: Toolbox) -> list[PluginInfo]:
    """Plugins that are not active because something went wrong (not the skipped ones)."""
    return [info for info in toolbox.plugins if info.status in ("failed", "conflict")]


_reported: set[tuple[str, str, str]] = set()


def warn_failures(toolbox: Toolbox, stream: Any = None) -> None:
    """One line on stderr per broken plugin, once per process (never stdout: it may be ACP's)."""
    stream = stream or sys.stderr
    for info in failures(toolbox):
        key = (info.name, info.distribution, info.error or "")
        if key in _reported:
            continue
        _reported.add(key)
        print(
            f"punie: plugin {info.name!r} ({info.distribution}) excluded: {info.error} "
            "(see `punie plugins`)",
            file=stream,
        )


def hook_signature(name: str) -> str:
    """`name(arg, ...)` of a hookspec, as documented in docs/plugins/hooks.md."""
    params = [p for p in inspect.signature(getattr(PunieSpecs, name)).parameters if p != "self"]
    return f"{name}({', '.join(params)})"


__all__ = [
    "Candidate",
    "PluginError",
    "PluginInfo",
    "candidate_from_object",
    "entry_point_candidates",
    "failures",
    "hook_signature",
    "load_toolbox",
    "module_from_functions",
    "new_manager",
    "render_stub",
    "warn_failures",
]
