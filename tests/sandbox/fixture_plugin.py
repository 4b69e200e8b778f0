"""A plugin used by the sandbox tests: nested nouns, tools that raise, wait and take nouns."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from pydantic import BaseModel, Field

from punie_core.plugins.hookspecs import hookimpl
from punie_core.plugins.records import Noun, Tool


class Problem(BaseModel):
    """One problem in a file.

    Attributes:
        line: 1-based line.
        message: What is wrong.
        tags: Labels.
    """

    line: int
    message: str
    tags: list[str] = Field(default_factory=list)


class Report(BaseModel):
    """What `check` found.

    Attributes:
        path: The file checked.
        errors: The problems, in line order.
        error_count: How many.
    """

    path: str
    errors: list[Problem]
    error_count: int


def check(path: str) -> Report:
    """Check a file and report its problems (two, always).

    Args:
        path: File path.
    """
    errors = [
        Problem(line=3, message="unused import", tags=["F401"]),
        Problem(line=7, message="bad"),
    ]
    return Report(path=path, errors=errors, error_count=len(errors))


def count_problems(report: Report) -> int:
    """Count the problems of a report built in the sandbox.

    Args:
        report: A report.
    """
    assert isinstance(report, Report), type(report)
    assert all(isinstance(p, Problem) for p in report.errors)
    return report.error_count + sum(p.line for p in report.errors)


def fail(kind: str) -> str:
    """Raise the exception named by `kind`.

    Args:
        kind: missing, value, lookup, custom, timeout or permission.
    """

    class CustomError(Exception):
        pass

    errors: dict[str, Exception] = {
        "missing": FileNotFoundError("no such file: x.txt"),
        "value": ValueError("bad value"),
        "lookup": KeyError("k"),
        "custom": CustomError("custom failure"),
        "timeout": TimeoutError("too slow"),
        "permission": PermissionError("not allowed"),
    }
    raise errors[kind]


async def wait(seconds: float) -> float:
    """Sleep on the host, then return the seconds slept.

    Args:
        seconds: How long.
    """
    await asyncio.sleep(seconds)
    return seconds


def echo(value: object) -> object:
    """Return the value given, as the host received it.

    Args:
        value: Anything.
    """
    return value


@hookimpl
def punie_tools() -> Iterator[Tool]:
    yield Tool(check, kind="read")
    yield Tool(count_problems, kind="read")
    yield Tool(fail, kind="read")
    yield Tool(wait, kind="read", timeout=5)
    yield Tool(echo, kind="read")


@hookimpl
def punie_nouns() -> Iterator[Noun]:
    yield Noun(Problem)
    yield Noun(Report)
