"""The project around a module: every registration, request and middleware chain it has.

Registrations usually live in one module (the app factory) and requests in many (views,
other factories), so the rules see the whole project. Files are parsed only when their
text mentions svcs, a registration or middleware, and each parse is cached by file
identity (path, modification time, size).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

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
        self._memo: dict[str, object] = {}

    def memo(self, key: str, compute):  # noqa: ANN001, ANN201
        """`compute()` once for this project object (the rules ask per request)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

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

    def resolve(
        self, facts: ModuleFacts, name: str, depth: int = 0, scope: tuple[str, ...] = ()
    ) -> Target | None:
        """Resolve `connect_db` or `db.connect_db` in a module to its def or class.

        `scope` holds the keys of the functions enclosing the reference (outermost first):
        their local defs and classes hide the module's, as in Python.
        """
        if depth > 4:
            return None
        head, _, rest = name.partition(".")
        for key in reversed(scope):
            local = facts.local_defs.get(key, {}).get(head)
            if local is not None:
                if rest:
                    return None  # an attribute of a local object: unknown
                if isinstance(local, Function):
                    return Target(facts, function=local)
                return Target(facts, klass=local)
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

    def resolve_expression(
        self,
        facts: ModuleFacts,
        node,
        scope: tuple[str, ...] = (),  # noqa: ANN001
    ) -> Target | None:
        name = dotted(node)
        return self.resolve(facts, name, scope=scope) if name else None


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
        references += [argument for _, argument, _ in facts.autowired]  # module-level ones
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


_IMPORT_LINE = re.compile(
    r"^[ \t]*(?:from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+([\w, \t()*]+)|import[ \t]+([\w., \t]+))",
    re.MULTILINE,
)


def _imports_of(path: str, root: Path) -> set[str]:
    """The project files a module imports (a line scan: cheap, and enough for relations)."""
    try:
        text = read_source(path)
    except (OSError, UnicodeDecodeError):
        return set()
    found: set[str] = set()
    for match in _IMPORT_LINE.finditer(text):
        dots, module, names, plain = match.groups()
        candidates: list[tuple[str, int]] = []
        if plain is not None:
            candidates = [
                (part.split(" as ")[0].strip(), 0) for part in plain.split(",") if part.strip()
            ]
        else:
            level = len(dots)
            candidates.append((module, level))
            for name in names.replace("(", " ").replace(")", " ").split(","):
                name = name.split(" as ")[0].strip()
                if name and name != "*":
                    candidates.append((f"{module}.{name}" if module else name, level))
        for name, level in candidates:
            target = resolve_module(path, name, level, root)
            if target is not None:
                found.add(os.path.abspath(str(target)))
    return found


class ImportGraph:
    """Which modules of a project import which (directly or not).

    Two modules belong to one program when some module imports both (or one imports the
    other): an app factory importing the registry and the views, a test importing the app.
    Separate scripts that merely share a library do not.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.edges: dict[str, set[str]] = {}
        self.parents: dict[str, set[str]] = {}
        for path in project_files(root):
            imported = _imports_of(path, root)
            self.edges[path] = imported
            for target in imported:
                self.parents.setdefault(target, set()).add(path)
        self._ancestors: dict[str, frozenset[str]] = {}

    def ancestors(self, path: str) -> frozenset[str]:
        """The module itself and every module importing it, directly or not."""
        path = os.path.abspath(path)
        cached = self._ancestors.get(path)
        if cached is None:
            seen = {path}
            stack = [path]
            while stack:
                for parent in self.parents.get(stack.pop(), ()):
                    if parent not in seen:
                        seen.add(parent)
                        stack.append(parent)
            cached = frozenset(seen)
            self._ancestors[path] = cached
        return cached

    def related(self, first: str, second: str) -> bool:
        """True when some module imports both (or one is, or imports, the other)."""
        return not self.ancestors(first).isdisjoint(self.ancestors(second))


def import_graph(root: Path) -> ImportGraph:
    """The project's import graph (once per pipeline run)."""
    return run_cached(("svcs-import-graph", str(root)), lambda: ImportGraph(root))
