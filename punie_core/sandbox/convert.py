"""Values across the sandbox boundary: tool results in, arguments and the snippet's value out."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import enum
import math
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel, ValidationError

MAX_NESTING = 100
"""Deepest list/dict nesting accepted in tool arguments and returned values (the host recurses)."""

# Builtin exception names Monty can raise inside the sandbox (from pydantic_monty.ExcType); a host
# exception becomes the first of these along its MRO.
SANDBOX_EXCEPTIONS = frozenset(
    {
        "Exception", "ArithmeticError", "OverflowError", "ZeroDivisionError", "LookupError",
        "IndexError", "KeyError", "RuntimeError", "NotImplementedError", "RecursionError",
        "AttributeError", "NameError", "ValueError", "UnicodeDecodeError", "UnicodeEncodeError",
        "ImportError", "ModuleNotFoundError", "OSError", "FileNotFoundError", "FileExistsError",
        "IsADirectoryError", "NotADirectoryError", "PermissionError", "AssertionError",
        "MemoryError", "TimeoutError", "TypeError",
    }
)  # fmt: skip

NOUN_STR = "_punie_str"
"""Class attribute of nouns whose model defines its own `__str__`: a host function giving it."""

PRINT_PRELUDE = f"""
_punie_print = print


def _punie_shown(value):
    try:
        return type(value).{NOUN_STR}(value)
    except AttributeError:
        return value


def print(*values, sep=" ", end="\\n", file=None, flush=False):
    for value in values:
        if not isinstance(value, (str, int, float, list, dict, tuple)) and value is not None:
            values = [_punie_shown(v) for v in values]
            break
    _punie_print(*values, sep=sep, end=end, file=file, flush=flush)
"""
"""Fed once per session before the snippet: `print(noun)` shows the noun's own `__str__`.

Monty 1.4 never dispatches `__str__`/`__repr__`/`__format__` to a host object, so this `print`
asks the host (one round trip per such argument); every other value prints as before."""


def _noun_type(model: type[BaseModel]) -> Any:
    """The sandbox-side class for a noun: construction validates on the host; instances are
    read by field."""
    cached = _noun_types.get(model)
    if cached is None:
        cached = _NounType.build(model)
        _noun_types[model] = cached
    return cached


_noun_types: dict[type, Any] = {}


def _make_noun_type_class() -> type:
    # pydantic_monty here and below, not at the top: `punie plugins` imports the sandbox (model-
    # written tools are checked there) and must not pay for Monty until code runs.
    from pydantic_monty import ClassType

    class NounType(ClassType):
        """A Pydantic model class as the sandbox sees it."""

        @classmethod
        def build(cls, model: type[BaseModel]) -> NounType:
            fields = [name for name in model.model_fields if not name.startswith("_")]
            return cls(model, init=True, instance_eager_attrs=fields)

        def convert_value(self, /, name: str, value: Any) -> Any:
            return to_sandbox(value)

        def get_eager_attrs(self) -> dict[str, Any]:
            return {NOUN_STR: _noun_str} if has_own_str(self.value) else {}

        def construct(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            try:
                return super().construct(
                    tuple(from_sandbox(a) for a in args),
                    {k: from_sandbox(v) for k, v in kwargs.items()},
                )
            except ValidationError as exc:
                raise TypeError(_validation_message(self.value.__name__, exc)) from None

    return NounType


class _LazyNounType:
    """Defers importing pydantic_monty until a sandbox is used."""

    _cls: type | None = None

    def build(self, model: type[BaseModel]) -> Any:
        if self._cls is None:
            self._cls = _make_noun_type_class()
        return self._cls.build(model)  # type: ignore[attr-defined]


_NounType = _LazyNounType()


def has_own_str(model: type) -> bool:
    """True when a noun's model defines its own `__str__` (not Pydantic's field listing)."""
    return (
        isinstance(model, type)
        and issubclass(model, BaseModel)
        and (model.__str__ is not BaseModel.__str__)
    )


def noun_text(value: Any) -> str | None:
    """A noun's own `__str__` text, or None when it has none (or is no noun)."""
    if isinstance(value, BaseModel) and has_own_str(type(value)):
        return str(value)
    return None


def _noun_str(value: Any) -> str:
    """The host side of `NOUN_STR`; `Sandbox._drive` answers calls to it by name."""
    text = noun_text(value)
    if text is None:
        raise TypeError(f"{type(value).__name__} has no text of its own")
    return text


def _validation_message(name: str, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"]) or "value"
        problems.append(f"{where}: {error['msg']}")
    return f"{name}(): " + "; ".join(problems)


def to_sandbox(value: Any) -> Any:
    """Convert a tool result for the sandbox: nouns become readable host-backed instances."""
    from pydantic_monty import ClassInstance

    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, BaseModel):
        noun_type = _noun_type(type(value))
        fields = noun_type.instance_eager_attrs
        return ClassInstance(value, eager_attrs=fields, class_type=noun_type)
    if isinstance(value, (list, tuple)):
        converted = [to_sandbox(v) for v in value]
        return converted if isinstance(value, list) else tuple(converted)
    if isinstance(value, (set, frozenset)):
        return [to_sandbox(v) for v in value]
    if isinstance(value, dict):
        return {k if isinstance(k, (str, int)) else str(k): to_sandbox(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return to_sandbox(value.value)
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return value
    if isinstance(value, PurePath):
        return value.as_posix()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_sandbox(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


def from_sandbox(value: Any, depth: int = 0) -> Any:
    """Convert a value the sandbox passes to a tool into plain Python data.

    Host-backed nouns come back as the original Pydantic objects; sandbox dataclasses become
    dicts of their fields (the toolbox validates them into the parameter's type).

    Raises:
        ValueError: The value nests deeper than `MAX_NESTING`.
    """
    from pydantic_monty import MontyClassProxy

    if depth > MAX_NESTING:
        raise ValueError(f"value nested deeper than {MAX_NESTING} levels")
    if isinstance(value, MontyClassProxy):
        return {k: from_sandbox(v, depth + 1) for k, v in value.attributes.items()}
    if isinstance(value, list):
        return [from_sandbox(v, depth + 1) for v in value]
    if isinstance(value, tuple):
        return tuple(from_sandbox(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return {k: from_sandbox(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return [from_sandbox(v, depth + 1) for v in value]
    return value


def to_json(value: Any, depth: int = 0) -> Any:
    """Convert the snippet's value to JSON-able data (non-JSON values as their `repr`).

    Raises:
        ValueError: The value nests deeper than `MAX_NESTING`.
    """
    from pydantic_monty import MontyClassProxy

    if depth > MAX_NESTING:
        raise ValueError(f"the value is nested deeper than {MAX_NESTING} levels")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, BaseModel):
        return to_json(value.model_dump(mode="python"), depth + 1)
    if isinstance(value, MontyClassProxy):
        return {k: to_json(v, depth + 1) for k, v in value.attributes.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v, depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [to_json(v, depth + 1) for v in value]
        with contextlib.suppress(TypeError):
            items.sort()
        return items
    if isinstance(value, dict):
        return {
            k if isinstance(k, str) else repr(k): to_json(v, depth + 1) for k, v in value.items()
        }
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return value.as_posix()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(dataclasses.asdict(value), depth + 1)
    return repr(value)


def sandbox_exception(exc: BaseException) -> dict[str, str]:
    """How a host exception is raised in the sandbox: the nearest builtin type it knows."""
    name = "Exception"
    for klass in type(exc).__mro__:
        if klass.__module__ == "builtins" and klass.__name__ in SANDBOX_EXCEPTIONS:
            name = klass.__name__
            break
    message = str(exc) if not isinstance(exc, ValidationError) else _validation_message("", exc)
    return {"exc_type": name, "message": message}


def _shown(args: tuple[Any, ...]) -> dict[str, Any]:
    """Answer a `NOUN_STR` call: the noun's own `__str__` text."""
    try:
        if len(args) != 1:
            raise TypeError(f"{NOUN_STR}() takes one argument")
        return {"return_value": _noun_str(args[0])}
    except Exception as exc:
        return sandbox_exception(exc)


def _construct(model: type[BaseModel], snapshot: Any) -> dict[str, Any]:
    """Build a noun the sandbox called by name; the answer to resume it with."""
    try:
        return {"return_value": _noun_type(model).construct(snapshot.args, snapshot.kwargs)}
    except Exception as exc:
        return sandbox_exception(exc)


def _value_text(raw: Any) -> str | None:
    """The trailing value's own text for the model, when it is a noun with a `__str__`."""
    try:
        return noun_text(raw)
    except Exception:  # a plugin's __str__ failing must not fail the run
        return None
