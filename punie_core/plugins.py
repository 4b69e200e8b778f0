"""Plugin discovery and isolation: load each plugin on its own, exclude broken ones whole, merge the rest.

The loop is ours, not pluggy's `load_setuptools_entrypoints`, because a plugin that fails
must never take the others (or Punie) down. Every phase is guarded per plugin:

    load (import) -> validate (hook names and signatures) -> collect (each hook, each record)
    -> render (its stubs) -> conflicts (names claimed twice)

A failure at any phase excludes that plugin as a whole and is reported once with its
distribution. `PUNIE_STRICT_PLUGINS=1` re-raises instead (for plugin authors and tests).
"""

from __future__ import annotations

import ast
import difflib
import os
import sys
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import pluggy

from punie_core.hookspecs import COLLECTION_HOOKS, PROJECT, PunieSpecs
from punie_core.records import (
    Noun,
    PluginUnavailable,
    Record,
    RecordError,
    Skill,
    Term,
    Tool,
    Validator,
    stamp,
)
from punie_core.toolbox import Toolbox

ENTRY_POINT_GROUP = "punie"
CORE_PLUGIN = "core"
CORE_DISTRIBUTION = "punie"

Status = Literal["active", "failed", "skipped", "conflict"]

RECORD_TYPES: dict[str, type] = {
    "punie_tools": Tool,
    "punie_nouns": Noun,
    "punie_skills": Skill,
    "punie_validators": Validator,
    "punie_vocabulary": Term,
}


class PluginError(RuntimeError):
    """A plugin failed (raised in strict mode; otherwise recorded on its `PluginInfo`)."""


@dataclass
class PluginInfo:
    """What `punie plugins` reports for one plugin.

    Attributes:
        name: The entry-point name (the plugin's name).
        distribution: The distribution that provides it.
        version: The distribution's version.
        status: `active`, `failed`, `skipped` or `conflict`.
        error: Why it is not active (None when it is).
        phase: Where it failed: `load`, `validate`, `collect`, `render` or `conflict`.
        hooks: The hooks it implements.
        records: What it adds, by kind (`tools`, `nouns`, `skills`, `validators`, `vocabulary`).
        builtin: True for Punie's own core plugin.
    """

    name: str
    distribution: str
    version: str
    status: Status = "active"
    error: str | None = None
    phase: str | None = None
    hooks: list[str] = field(default_factory=list)
    records: dict[str, list[Record]] = field(default_factory=dict)
    builtin: bool = False

    def names(self, kind: str) -> list[str]:
        """Sorted names of the records of one kind (`tools`, `nouns`, ...)."""
        return sorted(r.name for r in self.records.get(kind, []))

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `punie plugins --json`."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status,
            "error": self.error,
            "tools": self.names("tools"),
            "nouns": self.names("nouns"),
            "skills": self.names("skills"),
            "validators": self.names("validators"),
        }


@dataclass(frozen=True)
class Candidate:
    """A plugin to load: an entry point, or an object registered directly (tests, built-ins)."""

    name: str
    distribution: str
    version: str
    load: Any  # () -> plugin object
    builtin: bool = False


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
    from importlib.metadata import PackageNotFoundError, version

    try:
        core_version = version(CORE_DISTRIBUTION)
    except PackageNotFoundError:
        core_version = "0+unknown"

    def load() -> Any:
        from punie_core.builtin import plugin

        return plugin

    return Candidate(CORE_PLUGIN, CORE_DISTRIBUTION, core_version, load, builtin=True)


def entry_point_candidates() -> list[Candidate]:
    """Every entry point in the group `punie`, sorted by name then distribution."""
    from importlib.metadata import entry_points

    found = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        found.append(
            Candidate(
                name=ep.name,
                distribution=dist.name if dist else "?",
                version=dist.version if dist else "?",
                load=ep.load,
            )
        )
    # Deduplicate the same distribution seen twice on sys.path (editable + installed).
    unique = {(c.name, c.distribution): c for c in found}
    return sorted(unique.values(), key=lambda c: (c.name, c.distribution))


def load_toolbox(
    *,
    entry_points: bool = True,
    extra: Iterable[Candidate] = (),
    strict: bool | None = None,
) -> Toolbox:
    """Discover, load, validate and merge every plugin into a `Toolbox`.

    Args:
        entry_points: Load plugins from the entry-point group `punie` (subject to
            `PUNIE_LOAD_PLUGINS` and `PUNIE_DISABLE_PLUGINS`).
        extra: More plugins to load (tests register plugins this way).
        strict: Re-raise the first plugin failure; defaults to `PUNIE_STRICT_PLUGINS`.

    Returns:
        The merged toolbox; `toolbox.plugins` reports every plugin, healthy or not.
    """
    strict = strict_from_env() if strict is None else strict
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(PunieSpecs)
    _register_default_renderer(manager)

    candidates = [core_candidate(), *extra]
    if entry_points:
        candidates += entry_point_candidates()
    allow = env_list("PUNIE_LOAD_PLUGINS")
    block = set(env_list("PUNIE_DISABLE_PLUGINS") or [])

    infos: list[PluginInfo] = []
    seen_names: dict[str, PluginInfo] = {}
    for candidate in candidates:
        info = PluginInfo(
            candidate.name, candidate.distribution, candidate.version, builtin=candidate.builtin
        )
        infos.append(info)
        if not candidate.builtin and candidate.name in block:
            _skip(info, "disabled by PUNIE_DISABLE_PLUGINS")
            continue
        if not candidate.builtin and allow is not None and candidate.name not in allow:
            _skip(info, "not listed in PUNIE_LOAD_PLUGINS")
            continue
        if candidate.name in seen_names:
            other = seen_names[candidate.name]
            _fail(
                info,
                "conflict",
                f"plugin name {candidate.name!r} is also provided by {other.distribution}",
                strict,
                status="conflict",
            )
            continue
        seen_names[candidate.name] = info
        _load_one(manager, candidate, info, strict)

    active = [i for i in infos if i.status == "active"]
    _resolve_conflicts(manager, active, strict)
    toolbox = _merge(manager, [i for i in infos if i.status == "active"], infos)
    return toolbox


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
    info.status = status
    info.phase = phase
    info.error = f"{phase}: {error}"
    info.records = {}
    if strict:
        raise PluginError(f"plugin {info.name!r} ({info.distribution}) {info.error}") from cause


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _load_one(
    manager: pluggy.PluginManager, candidate: Candidate, info: PluginInfo, strict: bool
) -> None:
    # 1. load
    try:
        plugin = candidate.load()
    except PluginUnavailable as exc:
        _skip(info, str(exc) or "declined to load")
        return
    except (Exception, SystemExit) as exc:
        _fail(info, "load", _describe(exc), strict, cause=exc)
        return

    # 2. validate: unknown punie_* names first (pluggy would only say so at check_pending).
    known = {name for name in dir(PunieSpecs) if name.startswith("punie_")}
    for attr in _hook_like_names(plugin):
        if attr not in known:
            close = difflib.get_close_matches(attr, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            _fail(info, "validate", f"unknown hook {attr!r}{hint}", strict)
            return
    try:
        manager.register(plugin, name=candidate.name)
    except Exception as exc:  # pluggy.PluginValidationError, ValueError for duplicates
        if manager.get_plugin(candidate.name) is not None:
            manager.unregister(name=candidate.name)
        _fail(info, "validate", _describe(exc), strict, cause=exc)
        return
    info.hooks = sorted(
        caller.name for caller in manager.get_hookcallers(plugin) or [] if caller.name in known
    )

    # 3. collect, per hook, per record: any error drops the whole plugin.
    try:
        for hook_name in sorted(COLLECTION_HOOKS):
            kind = hook_name.removeprefix("punie_")
            info.records[kind] = list(
                _collect(manager, plugin, hook_name, candidate.name, candidate.distribution)
            )
    except Exception as exc:
        manager.unregister(plugin)
        _fail(info, "collect", _describe(exc), strict, cause=exc)
        return

    # 4. render: every tool and noun must render to stub code that parses.
    try:
        _render_all(manager, info)
    except Exception as exc:
        manager.unregister(plugin)
        _fail(info, "render", _describe(exc), strict, cause=exc)


def _hook_like_names(plugin: Any) -> list[str]:
    names = []
    for attr in dir(plugin):
        if not attr.startswith("punie_"):
            continue
        value = getattr(plugin, attr, None)
        if callable(value) and getattr(value, f"{PROJECT}_impl", None) is not None:
            names.append(attr)
    return names


def _collect(
    manager: pluggy.PluginManager, plugin: Any, hook_name: str, name: str, distribution: str
) -> Iterable[Record]:
    expected = RECORD_TYPES[hook_name]
    caller = getattr(manager.hook, hook_name)
    for impl in caller.get_hookimpls():
        if impl.plugin is not plugin:
            continue
        produced = impl.function()
        if produced is None:
            continue
        if isinstance(produced, (str, bytes)) or not isinstance(produced, Iterable):
            raise RecordError(f"{hook_name}() must yield {expected.__name__} records")
        for record in produced:
            if expected is Noun and _is_model_class(record):
                record = Noun(record)
            if not isinstance(record, expected):
                raise RecordError(
                    f"{hook_name}() yielded {type(record).__name__} {record!r:.80}, "
                    f"expected {expected.__name__}"
                )
            yield stamp(record, name, distribution)


def _is_model_class(value: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(value, type) and issubclass(value, BaseModel)


def _render_all(manager: pluggy.PluginManager, info: PluginInfo) -> None:
    from punie_core.stubs import nouns_used_by

    tools = info.records.get("tools", [])
    declared = {n.model for n in info.records.get("nouns", [])}
    nouns = list(info.records.get("nouns", []))
    for model in nouns_used_by(tools):
        if model not in declared:
            nouns.append(stamp(Noun(model), info.name, info.distribution))
            declared.add(model)
    info.records["nouns"] = nouns
    for record in [*tools, *nouns]:
        text = render_stub(manager, record)
        ast.parse(text)


def render_stub(manager: pluggy.PluginManager, record: Tool | Noun) -> str:
    """The stub text for one record, from the first `punie_render_stub` implementation that answers."""
    text = manager.hook.punie_render_stub(record=record)
    if not isinstance(text, str):
        raise RecordError(f"punie_render_stub returned {type(text).__name__} for {record.name!r}")
    return text


def _register_default_renderer(manager: pluggy.PluginManager) -> None:
    from punie_core import stubs

    manager.register(stubs.DefaultRenderer(), name="core-renderer")


def _resolve_conflicts(manager: pluggy.PluginManager, active: list[PluginInfo], strict: bool) -> None:
    """Exclude plugins that claim a name another plugin claims; the core always keeps its names."""
    claims: dict[tuple[str, str], list[tuple[PluginInfo, Any]]] = {}
    for info in active:
        for kind, records in info.records.items():
            for record in records:
                identity = record.model if isinstance(record, Noun) else id(record)
                claims.setdefault((kind, record.name), []).append((info, identity))
                if isinstance(record, Validator):
                    for rule in record.rules:
                        claims.setdefault(("rules", rule), []).append((info, id(record)))
    losers: dict[str, str] = {}
    for (kind, name), claimants in sorted(claims.items()):
        if kind == "vocabulary":
            continue
        plugins = {info.name: info for info, _ in claimants}
        if len(plugins) < 2:
            continue
        if kind == "nouns" and len({identity for _, identity in claimants}) == 1:
            continue  # the very same class (a shared noun) is no conflict
        dists = ", ".join(sorted(f"{i.distribution} ({i.name})" for i in plugins.values()))
        message = f"{kind[:-1] if kind != 'rules' else 'rule id'} {name!r} is claimed by {dists}"
        for info in plugins.values():
            if not info.builtin:
                losers.setdefault(info.name, message)
    for info in active:
        if info.name in losers:
            if manager.get_plugin(info.name) is not None:
                manager.unregister(name=info.name)
            _fail(info, "conflict", losers[info.name], strict, status="conflict")


def _merge(manager: pluggy.PluginManager, active: list[PluginInfo], infos: list[PluginInfo]) -> Toolbox:
    from punie_core.records import LAYERS

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
    stub_texts = {r.name: render_stub(manager, r) for r in [*tools, *nouns]}
    return Toolbox(
        tools=tuple(tools),
        nouns=tuple(nouns),
        skills=tuple(skills),
        validators=tuple(validators),
        vocabulary=tuple(vocabulary),
        plugins=tuple(sorted(infos, key=lambda i: (not i.builtin, i.name, i.distribution))),
        stub_texts=stub_texts,
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


def warn_failures(toolbox: Toolbox, stream: Any = None) -> None:
    """One line on stderr per broken plugin (never stdout: it may be the ACP channel)."""
    stream = stream or sys.stderr
    for info in failures(toolbox):
        print(
            f"punie: plugin {info.name!r} ({info.distribution}) excluded: {info.error}",
            file=stream,
        )


__all__ = [
    "Candidate",
    "PluginError",
    "PluginInfo",
    "candidate_from_object",
    "failures",
    "load_toolbox",
    "module_from_functions",
    "warn_failures",
]
