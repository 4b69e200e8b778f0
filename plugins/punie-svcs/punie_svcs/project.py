"""The project around a module: every registration, request and middleware chain it has.

Registrations usually live in one module (the app factory) and requests in many (views,
other factories), so the rules see the whole project. Files are parsed only when their
text mentions svcs, a registration or middleware, and each parse is cached by file
identity (path, modification time, size).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from punie_core import (
    FileCache,
    SourceCache,
    project_files,
    project_root,
    read_source,
    resolve_module,
    run_cached,
)
from punie_svcs.analysis import Class, Function, ModuleFacts, build_facts, dotted
from punie_svcs.gate import GATE_WORDS

_CACHE_LIMIT = 4096


def relevant(source: str) -> bool:
    """True when a module may hold registrations, requests or middleware."""
    return any(word in source for word in GATE_WORDS)


_built = SourceCache(build_facts, limit=_CACHE_LIMIT)
# Unreadable or unparseable files have no facts: the syntax gate reports them.
_on_disk: FileCache[ModuleFacts | None] = FileCache(
    lambda path: _built(path, read_source(path)), None, errors=(Exception,), limit=_CACHE_LIMIT
)
_relevant_file = FileCache(
    lambda path: relevant(read_source(path)),
    False,
    errors=(OSError, UnicodeDecodeError),
    limit=_CACHE_LIMIT,
)


def facts_for(path: str, source: str) -> ModuleFacts:
    """The facts of `source` at `path`, built once per (path, text).

    Raises:
        libcst.ParserSyntaxError: The source does not parse.
    """
    return _built(path, source)


def facts_for_file(path: str) -> ModuleFacts | None:
    """The facts of a file on disk (cached), or None when unreadable or unparseable."""
    return _on_disk(path)


@dataclass(frozen=True)
class Target:
    """A def or class a registration, autowire call or middleware map names."""

    facts: ModuleFacts
    function: Function | None = None
    klass: Class | None = None

    @property
    def name(self) -> str:
        return self.function.name if self.function else self.klass.name if self.klass else "?"


class Project:
    """The svcs facts of every relevant module of one project."""

    def __init__(self, path: str, current: ModuleFacts | None = None) -> None:
        self.root = project_root(path)
        self.current = current
        self.current_path = os.path.abspath(path)
        self._all: list[ModuleFacts] | None = None

    def modules(self) -> list[ModuleFacts]:
        """Facts of every relevant module (the current one from memory), once per run."""
        if self._all is None:
            found = run_cached(("svcs-modules", str(self.root)), self._find_modules)
            if self.current is not None:
                # The module being checked may differ from the disk (an unsaved or fixed text).
                found = [m for m in found if m.path != self.current_path] + [self.current]
            self._all = found
        return self._all

    def _find_modules(self) -> list[ModuleFacts]:
        """Every relevant module of the project as stored on disk (shared by a whole run)."""
        found: list[ModuleFacts] = []
        for path in project_files(self.root):
            if not _relevant_file(path):
                continue
            facts = facts_for_file(path)
            if facts is not None:
                found.append(facts)
        return found

    def facts(self, path: str) -> ModuleFacts | None:
        if self.current is not None and os.path.abspath(path) == self.current_path:
            return self.current
        return facts_for_file(path)

    def resolve(self, facts: ModuleFacts, name: str, depth: int = 0) -> Target | None:
        """Resolve `connect_db` or `db.connect_db` in a module to its def or class."""
        if depth > 4:
            return None
        head, _, rest = name.partition(".")
        if not rest:
            if head in facts.functions:
                return Target(facts, function=facts.functions[head])
            if head in facts.classes:
                return Target(facts, klass=facts.classes[head])
        imported = facts.imports.get(head)
        if imported is None:
            return None
        module, attr, level = imported
        if attr is None:
            if not rest:
                return None
            module_name, _, leaf = f"{module}.{rest}".rpartition(".")
            path = resolve_module(facts.path, module_name, 0, self.root)
            target = self.facts(str(path)) if path else None
            return self.resolve(target, leaf, depth + 1) if target else None
        path = resolve_module(facts.path, module, level, self.root)
        target = self.facts(str(path)) if path else None
        if target is not None:
            found = self.resolve(target, f"{attr}.{rest}" if rest else attr, depth + 1)
            if found is not None:
                return found
        submodule = ".".join(p for p in (module, attr) if p)
        path = resolve_module(facts.path, submodule, level, self.root)
        target = self.facts(str(path)) if path else None
        if target is not None and rest:
            return self.resolve(target, rest, depth + 1)
        return None

    def resolve_expression(self, facts: ModuleFacts, node) -> Target | None:  # noqa: ANN001
        name = dotted(node)
        return self.resolve(facts, name) if name else None


def referenced_files(anchor: str, files: list[str]) -> set[str]:
    """Files defining a factory or middleware class that one of `files` registers."""
    import libcst as cst

    from punie_svcs.analysis import AUTOWIRE, last

    project = Project(anchor)
    found: set[str] = set()
    for path in files:
        facts = facts_for_file(path)
        if facts is None:
            continue
        references: list[object] = [
            r.factory for r in facts.registrations if r.kind == "factory" and r.factory is not None
        ]
        references += [argument for _, argument, _ in facts.autowired]
        references += [reference for _, reference in facts.global_middleware]
        references += [element for entry in facts.phases for element in entry.elements]
        for reference in references:
            if (
                isinstance(reference, cst.Call)
                and last(dotted(reference.func)) in AUTOWIRE
                and reference.args
            ):
                reference = reference.args[0].value
            if isinstance(reference, str):
                target = project.resolve(facts, reference)
            else:
                target = project.resolve_expression(facts, reference)
            if target is not None:
                found.add(os.path.abspath(target.facts.path))
    return found
