"""The project around a module: where components are defined and where templates use them.

Rules that cross files (unknown props at a call site of a component defined in another
module; a component's return type when only another module uses it) resolve names through
imports to files of the same project. Module models are cached by file identity (path,
modification time, size), so `punie check` over a project parses each file once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from punie_core import (
    FileCache,
    SourceCache,
    project_files,
    project_root,
    read_source,
    resolve_module,
    run_cached,
)
from punie_tdom.analysis import (
    Definition,
    ModuleModel,
    TagUse,
    build_model,
    decorator_names,
    dotted,
    function_definition,
)

_CACHE_LIMIT = 2048

_built = SourceCache(build_model, limit=_CACHE_LIMIT)
# Unreadable or unparseable files have no model: the syntax gate reports them.
_on_disk: FileCache[ModuleModel | None] = FileCache(
    lambda path: _built(path, read_source(path)), None, errors=(Exception,), limit=_CACHE_LIMIT
)
# Only files containing a component tag `<{` are parsed to find where components are used.
_mentions_tags = FileCache(
    lambda path: "<{" in read_source(path),
    False,
    errors=(OSError, UnicodeDecodeError),
    limit=_CACHE_LIMIT,
)


def model_for(path: str, source: str) -> ModuleModel:
    """The model of `source` at `path`, built once per (path, text).

    Raises:
        libcst.ParserSyntaxError: The source does not parse.
    """
    return _built(path, source)


def model_for_file(path: str) -> ModuleModel | None:
    """The model of a file on disk (cached), or None when it cannot be read or parsed."""
    return _on_disk(path)


@dataclass(frozen=True)
class Resolved:
    """A component definition found for a name, with the file that defines it."""

    path: str
    definition: Definition
    model: ModuleModel


class Project:
    """One project: its root, the module being checked (maybe unsaved), and lookups."""

    def __init__(self, path: str, current: ModuleModel | None = None) -> None:
        self.root = project_root(path)
        self.current = current
        self.current_path = os.path.abspath(path)
        self._uses: dict[str, list[tuple[str, TagUse]]] | None = None

    def model(self, path: str) -> ModuleModel | None:
        if self.current is not None and os.path.abspath(path) == self.current_path:
            return self.current
        return model_for_file(path)

    def resolve(self, model: ModuleModel, use: TagUse) -> Resolved | None:
        """The definition a component tag names, following imports inside the project."""
        name = dotted(use.callee)
        if name is None:
            return None
        head = name.split(".", 1)[0]
        if head == "self" and name.count(".") == 1 and use.owner is not None:
            return _static_method(model, use.owner, name.split(".", 1)[1])
        # A component defined in an enclosing function (a test, an app factory) hides the
        # module's; any other local binding of the name makes it unknown.
        for scope in reversed(use.scopes):
            local = model.local_definitions.get(id(scope), {}).get(head)
            if local is not None:
                return Resolved(model.path, local, model) if head == name else None
        if head in use.shadowed:
            return None
        return self.resolve_name(model, name)

    def resolve_name(self, model: ModuleModel, name: str, depth: int = 0) -> Resolved | None:
        """Resolve `Card` or `components.Card` in a module to a top-level definition."""
        if depth > 4:
            return None
        head, _, rest = name.partition(".")
        if not rest:
            definition = model.definitions.get(head)
            if definition is not None:
                return Resolved(model.path, definition, model)
        imported = model.imports.get(head)
        if imported is None:
            return None
        if imported.name is None:
            # `import app.components as c` then `c.Card`
            if not rest:
                return None
            module_name, _, attr = f"{imported.module}.{rest}".rpartition(".")
            target = resolve_module(model.path, module_name, 0, self.root)
            target_model = self.model(str(target)) if target else None
            return self.resolve_name(target_model, attr, depth + 1) if target_model else None
        # `from .components import Card` (or `from . import components` then `components.Card`)
        target = resolve_module(model.path, imported.module, imported.level, self.root)
        target_model = self.model(str(target)) if target else None
        if target_model is not None:
            found = self.resolve_name(
                target_model, f"{imported.name}.{rest}" if rest else imported.name, depth + 1
            )
            if found is not None:
                return found
        submodule = ".".join(p for p in (imported.module, imported.name) if p)
        target = resolve_module(model.path, submodule, imported.level, self.root)
        target_model = self.model(str(target)) if target else None
        if target_model is not None and rest:
            return self.resolve_name(target_model, rest, depth + 1)
        return None

    def uses(self) -> dict[str, list[tuple[str, TagUse]]]:
        """Every component use in the project: `definition key -> [(using file, use)]`.

        The key is `path::name` of the definition. Only files containing `<{` are parsed;
        the answer is computed once per pipeline run.
        """
        if self._uses is None:
            self._uses = run_cached(("tdom-uses", str(self.root)), self._find_uses)
        return self._uses

    def _find_uses(self) -> dict[str, list[tuple[str, TagUse]]]:
        found: dict[str, list[tuple[str, TagUse]]] = {}
        files = project_files(self.root)
        if self.current is not None and self.current_path not in files:
            files.append(self.current_path)
        for path in files:
            if path == self.current_path and self.current is not None:
                model: ModuleModel | None = self.current
            else:
                if not _mentions_tags(path):
                    continue
                model = self.model(path)
            if model is None:
                continue
            for use in model.tag_uses:
                resolved = self.resolve(model, use)
                if resolved is not None:
                    key = definition_key(resolved.path, resolved.definition.qualname)
                    found.setdefault(key, []).append((path, use))
        return found


def _static_method(model: ModuleModel, owner: Any, name: str) -> Resolved | None:  # noqa: ANN401
    """`self.Card` inside a method: the class's `@staticmethod def Card` (tdom calls it
    like a function); anything else on `self` is unknown."""
    import libcst as cst

    body = owner.body.body if isinstance(owner.body, cst.IndentedBlock) else []
    for statement in body:
        if (
            isinstance(statement, cst.FunctionDef)
            and statement.name.value == name
            and "staticmethod" in decorator_names(statement)
        ):
            qualname = f"{owner.name.value}.{name}"
            return Resolved(
                model.path, function_definition(statement, model.module, qualname), model
            )
    return None


def renders_with_container(root: Path) -> bool:
    """True when some file of the project renders with tdom-svcs and a container, so
    `Inject[T]` props are filled by injection (plain tdom requires them as attributes)."""

    def scan() -> bool:
        for path in project_files(root):
            try:
                text = read_source(path)
            except (OSError, UnicodeDecodeError):
                continue
            if "tdom_svcs" in text and "container=" in text:
                return True
        return False

    return run_cached(("tdom-container-render", str(root)), scan)


def definition_key(path: str, name: str) -> str:
    """A project-wide key for a definition."""
    return f"{os.path.abspath(path)}::{name}"


def relative_to(root: Path, path: str) -> str:
    """`path` relative to `root` with forward slashes (unchanged when outside it)."""
    try:
        return Path(os.path.abspath(path)).relative_to(root).as_posix()
    except ValueError:
        return path
