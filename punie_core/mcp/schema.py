"""JSON Schema to Python: the keyword parameters and the typed result noun of an MCP tool.

An MCP tool publishes an `inputSchema` (always an object) and, often, an `outputSchema`. The
input becomes keyword-only parameters with Python types (`str`, `int`, `list[str]`,
`Literal[...]`, `dict[str, Any]` for nested objects the model passes as dicts); the output
becomes Pydantic models, one per object in the schema, so the model reads `r.errors[0].line`
in Code Mode exactly as it reads Punie's own nouns. Names that are not identifiers or are
keywords keep their JSON spelling as an alias. A schema this module cannot read raises
`SchemaError` naming the tool and the place, never something vaguer later.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

SCALARS: dict[str, Any] = {
    "string": str,
    "integer": int,
    "number": float,
    "boolean": bool,
    "null": type(None),
}
KNOWN_TYPES = frozenset({*SCALARS, "array", "object"})
MAX_DEPTH = 24
"""Deepest schema nesting followed (a recursive `$ref` past it becomes `Any`)."""


class SchemaError(ValueError):
    """An MCP tool's schema cannot be read as JSON Schema (the message says where and why)."""


def identifier(text: str) -> str:
    """`text` lowered, every character that is not an identifier character turned into `_`.

    A leading digit gets a `_` in front, so the result is always a valid identifier.
    """
    name = re.sub(r"[^0-9a-z_]", "_", text.lower())
    if not name or name[0].isdigit():
        name = "_" + name
    return name


def camel(text: str) -> str:
    """`get_file_problems` / `file-path` -> `GetFileProblems` / `FilePath`."""
    parts = re.split(r"[^0-9A-Za-z]+|_", text)
    word = "".join(p[:1].upper() + p[1:] for p in parts if p)
    if not word or word[0].isdigit():
        word = "T" + word
    return word


def field_name(key: str) -> str:
    """The Python name of a JSON property (its own spelling when that is a usable identifier)."""
    if key.isidentifier() and not keyword.iskeyword(key) and not key.startswith("_"):
        return key
    name = re.sub(r"\W", "_", key).strip("_") or "field"
    if name[0].isdigit():
        name = "f_" + name
    if keyword.iskeyword(name):
        name += "_"
    return name


class _Result(BaseModel):
    """Base of the result nouns built from output schemas: extra fields are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


@dataclass(frozen=True)
class Parameter:
    """One keyword parameter of an MCP tool function.

    Attributes:
        name: The Python name the model writes.
        key: The JSON property name sent to the server.
        annotation: Its Python type.
        required: True when the schema requires it.
        default: The schema's default (None when it has none: an omitted argument).
        description: The schema's description, for the docstring's `Args:` section.
    """

    name: str
    key: str
    annotation: Any
    required: bool
    default: Any = None
    description: str = ""


@dataclass
class TypeBuilder:
    """Turns one tool's schemas into Python types, naming the nouns it creates.

    Args:
        where: The tool, for error messages (`server/tool`).
        prefix: CamelCase stem of the noun names (`JetbrainsGetFileProblems`).
        taken: Names already used in the toolbox (tools, nouns); new nouns avoid them.
    """

    where: str
    prefix: str
    taken: set[str] = field(default_factory=set)
    models: list[type[BaseModel]] = field(default_factory=list)
    _root: dict[str, Any] = field(default_factory=dict)

    # -- inputs ------------------------------------------------------------------------------

    def parameters(self, schema: Any) -> list[Parameter]:
        """The keyword parameters of an input schema (an object schema)."""
        schema = self._object_root(schema, "inputSchema")
        required = self._required(schema, "inputSchema")
        result: list[Parameter] = []
        used: set[str] = set()
        for key, prop in self._properties(schema, "inputSchema").items():
            name = field_name(key)
            while name in used:
                name += "_"
            used.add(name)
            annotation = self.type_of(prop, f"inputSchema.{key}", output=False)
            description = _text(prop.get("description")) if isinstance(prop, dict) else ""
            default = prop.get("default") if isinstance(prop, dict) else None
            if key not in required and default is None:
                annotation = optional(annotation)
            result.append(Parameter(name, key, annotation, key in required, default, description))
        return result

    # -- outputs -----------------------------------------------------------------------------

    def result_type(self, schema: Any, description: str = "") -> Any:
        """The Python type of an output schema: a noun for objects with properties."""
        schema = self._object_root(schema, "outputSchema")
        return self.type_of(schema, "outputSchema", output=True, name=self.prefix, doc=description)

    # -- the converter -----------------------------------------------------------------------

    def type_of(
        self,
        schema: Any,
        where: str,
        *,
        output: bool,
        name: str = "",
        doc: str = "",
        depth: int = 0,
    ) -> Any:
        """The Python type of one (sub)schema.

        Raises:
            SchemaError: It is not a JSON Schema this converter reads.
        """
        if depth > MAX_DEPTH:
            return Any
        if schema is True or schema == {}:
            return Any
        if not isinstance(schema, dict):
            raise SchemaError(f"{self.where}: {where} must be a JSON object, got {_kind(schema)}")
        if "$ref" in schema:
            return self.type_of(
                self._resolve(schema["$ref"], where), where, output=output, name=name,
                doc=doc, depth=depth + 1,
            )  # fmt: skip
        if "const" in schema:
            return _literal([schema["const"]], where, self.where)
        if "enum" in schema:
            values = schema["enum"]
            if not isinstance(values, list) or not values:
                raise SchemaError(f"{self.where}: {where}.enum must be a non-empty list")
            return _literal(values, where, self.where)
        for combiner in ("anyOf", "oneOf"):
            if combiner in schema:
                members = schema[combiner]
                if not isinstance(members, list) or not members:
                    raise SchemaError(f"{self.where}: {where}.{combiner} must be a non-empty list")
                types = [
                    self.type_of(m, f"{where}.{combiner}[{i}]", output=output,
                                 name=f"{name}{i + 1}" if name else "", depth=depth + 1)
                    for i, m in enumerate(members)
                ]  # fmt: skip
                return _union(types)
        if "allOf" in schema:
            members = schema["allOf"]
            if not isinstance(members, list) or not members:
                raise SchemaError(f"{self.where}: {where}.allOf must be a non-empty list")
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            for member in members:
                member = self._resolve(member["$ref"], where) if "$ref" in member else member
                if not isinstance(member, dict):
                    raise SchemaError(f"{self.where}: {where}.allOf members must be objects")
                for key, value in member.items():
                    if key == "properties" and isinstance(value, dict):
                        merged.setdefault("properties", {}).update(value)
                    elif key == "required" and isinstance(value, list):
                        merged["required"] = [*merged.get("required", []), *value]
                    else:
                        merged.setdefault(key, value)
            return self.type_of(merged, where, output=output, name=name, doc=doc, depth=depth + 1)
        kind = schema.get("type")
        if kind is None:
            kind = "object" if "properties" in schema else "array" if "items" in schema else None
        if kind is None:
            return Any
        if isinstance(kind, list):
            if not kind or not all(isinstance(k, str) for k in kind):
                raise SchemaError(f"{self.where}: {where}.type must be a string or strings")
            types = [
                self.type_of({**schema, "type": k}, where, output=output, name=name, doc=doc,
                             depth=depth + 1)
                for k in kind
            ]  # fmt: skip
            return _union(types)
        if not isinstance(kind, str) or kind not in KNOWN_TYPES:
            raise SchemaError(f"{self.where}: {where}.type {kind!r} is not a JSON Schema type")
        if kind in SCALARS:
            return SCALARS[kind] if kind != "null" else None
        if kind == "array":
            items = schema.get("items", True)
            if isinstance(items, list):  # draft-4 tuple form
                return list[Any]
            item_name = singular(name) if name else ""
            inner = self.type_of(
                items, f"{where}.items", output=output, name=item_name, depth=depth + 1
            )
            return list[inner]  # type: ignore[valid-type]
        return self._object(schema, where, output=output, name=name, doc=doc, depth=depth)

    def _object(
        self, schema: dict[str, Any], where: str, *, output: bool, name: str, doc: str, depth: int
    ) -> Any:
        properties = self._properties(schema, where)
        if not properties or not output or not name:
            extra = schema.get("additionalProperties", True)
            if isinstance(extra, dict) and extra:
                value = self.type_of(
                    extra, f"{where}.additionalProperties", output=output, depth=depth + 1
                )
                return dict[str, value]  # type: ignore[valid-type]
            return dict[str, Any]
        required = self._required(schema, where)
        fields: dict[str, Any] = {}
        used: set[str] = set()
        for key, prop in properties.items():
            python = field_name(key)
            while python in used:
                python += "_"
            used.add(python)
            annotation = self.type_of(
                prop, f"{where}.{key}", output=True, name=name + camel(key), depth=depth + 1
            )
            description = _text(prop.get("description")) if isinstance(prop, dict) else ""
            extra_args: dict[str, Any] = {}
            if python != key:
                extra_args["alias"] = key
            if description:
                extra_args["description"] = description
            if key in required:
                fields[python] = (annotation, Field(**extra_args))
            else:
                fields[python] = (optional(annotation), Field(default=None, **extra_args))
        noun = self._name(schema.get("title"), name)
        model = create_model(
            noun,
            __base__=_Result,
            __doc__=_text(doc or schema.get("description")) or f"Result of {self.where}.",
            __module__=__name__,
            **fields,
        )
        self.models.append(model)
        return model

    # -- helpers -----------------------------------------------------------------------------

    def _object_root(self, schema: Any, where: str) -> dict[str, Any]:
        if not isinstance(schema, dict):
            raise SchemaError(f"{self.where}: {where} must be a JSON object, got {_kind(schema)}")
        kind = schema.get("type", "object")
        if kind != "object":
            raise SchemaError(f"{self.where}: {where} must have type 'object', got {kind!r}")
        self._root = schema
        return schema

    def _properties(self, schema: dict[str, Any], where: str) -> dict[str, Any]:
        properties = schema.get("properties", {})
        if not isinstance(properties, dict):
            raise SchemaError(
                f"{self.where}: {where}.properties must be an object, got {_kind(properties)}"
            )
        for key, value in properties.items():
            if not isinstance(value, (dict, bool)):
                raise SchemaError(
                    f"{self.where}: {where}.properties.{key} must be a schema, got {_kind(value)}"
                )
        return properties

    def _required(self, schema: dict[str, Any], where: str) -> set[str]:
        required = schema.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise SchemaError(f"{self.where}: {where}.required must be a list of names")
        return set(required)

    def _resolve(self, ref: Any, where: str) -> Any:
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise SchemaError(f"{self.where}: {where}: only local $refs are supported, got {ref!r}")
        node: Any = self._root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                raise SchemaError(f"{self.where}: {where}: $ref {ref!r} does not resolve")
            node = node[part]
        return node

    def _name(self, title: Any, fallback: str) -> str:
        candidates = []
        if isinstance(title, str) and title.isidentifier() and title[0].isupper():
            candidates.append(title)
        candidates.append(fallback)
        for candidate in candidates:
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
        n = 2
        while f"{fallback}{n}" in self.taken:
            n += 1
        self.taken.add(f"{fallback}{n}")
        return f"{fallback}{n}"


def singular(name: str) -> str:
    """The noun name of a list's items: `...Errors` -> `...Error`, else `...Item`."""
    if name.endswith("ies") and len(name) > 4:
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss") and len(name) > 2:
        return name[:-1]
    return name + "Item"


def optional(annotation: Any) -> Any:
    """`annotation | None` (`Any` and `None` stay as they are)."""
    if annotation is Any or annotation is None:
        return annotation
    return _union([annotation, None])


def _literal(values: list[Any], where: str, tool: str) -> Any:
    for value in values:
        if not (value is None or isinstance(value, (str, int, float, bool))):
            raise SchemaError(f"{tool}: {where}: enum values must be scalars, got {_kind(value)}")
    return Literal.__getitem__(tuple(values))  # type: ignore[attr-defined]


def _union(types: list[Any]) -> Any:
    unique = list(dict.fromkeys(types))
    if Any in unique:
        return Any
    if len(unique) == 1:
        return unique[0]
    return Union.__getitem__(tuple(unique))  # type: ignore[attr-defined]


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
