"""What tool making returns to the model and to frontends: drafts, their checks, library entries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

CheckKind = Literal["parse", "signature", "typecheck", "tests", "lint", "replay"]


class ToolCheck(BaseModel):
    """One check of a model-written tool.

    Attributes:
        kind: Which check: parse, signature, typecheck, tests, lint or replay.
        ok: True when it passed (or had nothing to check: the message says so).
        message: What was checked, or what failed and where.
    """

    kind: CheckKind
    ok: bool
    message: str = ""


class ToolDraft(BaseModel):
    """A model-written tool after its checks; usable in the next snippet when `ok`.

    Attributes:
        name: The tool's function name.
        version: The version it would get in the project library.
        sha256: Hash of the source.
        signature: `name(params) -> result`.
        ok: True when every check passed.
        checks: One entry per check, in order.
    """

    name: str
    version: int
    sha256: str
    signature: str = ""
    ok: bool
    checks: list[ToolCheck] = Field(default_factory=list)

    def __str__(self) -> str:
        if self.ok:
            return f"tool {self.signature} v{self.version} is ready: call it in your next snippet"
        failed = next(c for c in self.checks if not c.ok)
        return (
            f"make_tool({self.name!r}) rejected: check {failed.kind!r} failed: {failed.message}\n"
            "Fix it and call make_tool again."
        )


class LibraryTool(BaseModel):
    """A tool in the project library (`.punie/tools/`), or a draft waiting for promotion.

    Attributes:
        name: The tool's function name.
        version: The active version (library) or the draft's version.
        status: `library`, `draft` or `tampered` (its file no longer matches its hash).
        signature: `name(params) -> result`.
        description: The docstring's summary line.
        sha256: Hash of the active version's source.
        versions: Every version kept (old ones are kept for rollback).
        calls: Calls so far.
        failures: Calls that raised.
        last_used: When it was last called (ISO 8601), or "".
    """

    name: str
    version: int
    status: Literal["library", "draft", "tampered"]
    signature: str = ""
    description: str = ""
    sha256: str = ""
    versions: list[int] = Field(default_factory=list)
    calls: int = 0
    failures: int = 0
    last_used: str = ""
