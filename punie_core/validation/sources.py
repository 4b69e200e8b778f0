"""What validators that model a project's modules share: libcst helpers and per-file caches.

The tdom and svcs validators each build a static model of a module in one `walk` pass and
resolve names through imports to other files of the project. The parts that do not depend on
what is modelled live here: dotted names, parameters by kind, the names an import binds, node
positions on demand, and caches that rebuild a file's model only when the file changes.

libcst is imported at the top: only plugin modules that already parse with libcst import
this one, and the helpers run in hot loops.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

import libcst as cst

T = TypeVar("T")
P = TypeVar("P", bound="Param")

ParamKind = Literal[
    "positional_only", "positional", "keyword_only", "var_positional", "var_keyword"
]


def dotted(node: cst.BaseExpression | None) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        left = dotted(node.value)
        return f"{left}.{node.attr.value}" if left else None
    return None


def decorator_names(node: cst.FunctionDef | cst.ClassDef) -> list[str]:
    """The last segment of each decorator's name (`dataclass` for `@dataclasses.dataclass(...)`);
    decorators that are not dotted names are left out."""
    names = []
    for decorator in node.decorators:
        target = decorator.decorator
        if isinstance(target, cst.Call):
            target = target.func
        name = dotted(target)
        if name:
            names.append(name.rsplit(".", 1)[-1])
    return names


@dataclass
class Param:
    """A parameter of a def (or a field of a class), with its annotation and default as code."""

    name: str
    kind: ParamKind
    annotation: str | None
    default: str | None
    node: cst.CSTNode

    @property
    def has_default(self) -> bool:
        return self.default is not None

    @property
    def named(self) -> bool:
        """It can be passed by keyword."""
        return self.kind in ("positional", "keyword_only")

    @property
    def required(self) -> bool:
        """A call must supply it (no default, and not `*args` or `**kwargs`)."""
        return self.default is None and self.kind not in ("var_positional", "var_keyword")


def parameters(node: cst.Parameters, module: cst.Module, cls: type[P]) -> list[P]:
    """The parameters of a def in declaration order, by kind.

    Args:
        node: The def's `params`.
        module: The module holding it (annotations and defaults are rendered from it).
        cls: The record to build: `Param`, or a plugin's subclass adding its own properties.
    """

    def one(param: cst.Param, kind: ParamKind) -> P:
        annotation = module.code_for_node(param.annotation.annotation) if param.annotation else None
        default = module.code_for_node(param.default) if param.default is not None else None
        return cls(param.name.value, kind, annotation, default, param)

    params = [one(p, "positional_only") for p in node.posonly_params]
    params += [one(p, "positional") for p in node.params]
    if isinstance(node.star_arg, cst.Param):
        params.append(one(node.star_arg, "var_positional"))
    params += [one(p, "keyword_only") for p in node.kwonly_params]
    if node.star_kwarg is not None:
        params.append(one(node.star_kwarg, "var_keyword"))
    return params


@dataclass
class Import:
    """What a name bound by an import refers to: `name` from `module` (None: the module itself)."""

    module: str
    name: str | None
    level: int
    node: cst.CSTNode


def import_bindings(node: cst.Import | cst.ImportFrom) -> Iterator[tuple[str, Import, bool]]:
    """The names an import statement binds: `(local name, what it refers to, rebinds)`.

    `rebinds` is False for `import a.b` without `as`: it binds only the top package `a`,
    so a model keeps an earlier binding of `a` (`dict.setdefault`). `from m import *` binds
    nothing that can be known.
    """
    if isinstance(node, cst.Import):
        for alias in node.names:
            name = dotted(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                yield alias.asname.name.value, Import(name, None, 0, alias), True
            else:
                top = name.split(".", 1)[0]
                yield top, Import(top, None, 0, alias), False
        return
    if isinstance(node.names, cst.ImportStar):
        return
    module = (dotted(node.module) if node.module is not None else "") or ""
    for alias in node.names:
        name = dotted(alias.name) or ""
        local = name
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            local = alias.asname.name.value
        yield local, Import(module, name, len(node.relative), alias), True


@dataclass
class ParsedModule:
    """A parsed module of a project: the base of a plugin's model of one module."""

    path: str
    source: str
    module: cst.Module
    _positions: Any = field(default=None, repr=False, compare=False, kw_only=True)

    def position(self, node: cst.CSTNode) -> tuple[int, int]:
        """1-based (line, column) of a node (metadata is resolved once, on first use: most
        modules report nothing, and resolving it costs more than building the model)."""
        if self._positions is None:
            from libcst.metadata import MetadataWrapper, PositionProvider

            wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
            self._positions = wrapper.resolve(PositionProvider)
        start = self._positions[node].start
        return start.line, start.column + 1

    def code(self, node: cst.CSTNode) -> str:
        """The source text of a node."""
        return self.module.code_for_node(node)


def file_identity(path: str) -> tuple[int, int] | None:
    """(modification time in ns, size) of a file, or None when it cannot be stat'ed."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class FileCache(Generic[T]):
    """`compute(path)` for files on disk, recomputed only when a file's identity changes.

    A long-running server sees many projects, so past `limit` files the cache starts over.
    """

    def __init__(
        self,
        compute: Callable[[str], T],
        default: T,
        *,
        errors: tuple[type[BaseException], ...],
        limit: int,
    ) -> None:
        """Args:
        compute: Builds the value from an absolute path.
        default: The value for a file that is missing or for which `compute` raises `errors`.
        errors: Exceptions meaning "this file has no value" (cached like a value).
        limit: The most files kept.
        """
        self._compute = compute
        self._default = default
        self._errors = errors
        self._limit = limit
        self._entries: dict[str, tuple[tuple[int, int], T]] = {}

    def __call__(self, path: str) -> T:
        key = os.path.abspath(path)
        identity = file_identity(key)
        if identity is None:
            return self._default
        cached = self._entries.get(key)
        if cached is not None and cached[0] == identity:
            return cached[1]
        try:
            value = self._compute(key)
        except self._errors:
            value = self._default
        if len(self._entries) > self._limit:
            self._entries.clear()
        self._entries[key] = (identity, value)
        return value


class SourceCache(Generic[T]):
    """`build(path, source)` once per (absolute path, text), for unsaved and on-disk text alike.

    Past `limit` entries the cache starts over. Exceptions from `build` propagate (uncached).
    """

    def __init__(self, build: Callable[[str, str], T], *, limit: int) -> None:
        self._build = build
        self._limit = limit
        self._entries: dict[tuple[str, str], T] = {}

    def __call__(self, path: str, source: str) -> T:
        key = (os.path.abspath(path), source)
        value = self._entries.get(key)
        if value is None:
            value = self._build(key[0], source)
            if len(self._entries) > self._limit:
                self._entries.clear()
            self._entries[key] = value
        return value


__all__ = [
    "FileCache",
    "Import",
    "Param",
    "ParamKind",
    "ParsedModule",
    "SourceCache",
    "decorator_names",
    "dotted",
    "file_identity",
    "import_bindings",
    "parameters",
]
