"""The nouns of code intelligence: locations, symbols, calls, diagnostics, plans and git state.

Lines and columns are 1-based everywhere (columns count characters, not bytes); paths are
relative to the workspace root, or absolute for files outside it (the standard library's
stubs, installed packages).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Location(BaseModel):
    """A range of source text.

    Attributes:
        path: File path, relative to the workspace root when inside it.
        line: First line (1-based).
        column: First column (1-based).
        end_line: Last line (1-based).
        end_column: Column just after the range (1-based).
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class References(BaseModel):
    """Every use of a symbol, its declaration included.

    Attributes:
        locations: Where the symbol is used, sorted by path and position.
        count: How many locations.
    """

    locations: list[Location] = []
    count: int = 0

    def __str__(self) -> str:
        return f"{self.count} references" + "".join(f"\n{loc}" for loc in self.locations)


class Symbol(BaseModel):
    """A named definition: class, function, method, variable, module.

    Attributes:
        name: The symbol's name.
        kind: `class`, `function`, `method`, `variable`, `constant`, `module`, ...
        path: File path, relative to the workspace root when inside it.
        line: Line of its name (1-based).
        column: Column of its name (1-based): pass it with `line` to other tools.
        end_line: Last line of its definition (1-based).
        container: The enclosing class or function, `""` at module level.
    """

    name: str
    kind: str
    path: str
    line: int
    column: int = 1
    end_line: int
    container: str = ""

    def __str__(self) -> str:
        owner = f"{self.container}." if self.container else ""
        return f"{self.kind} {owner}{self.name} {self.path}:{self.line}:{self.column}"


class HoverInfo(BaseModel):
    """What the type checker knows about the name at a position.

    Attributes:
        signature: The declaration or inferred type, such as `def greet(name: str) -> str`.
        doc: The docstring, `""` when none.
    """

    signature: str = ""
    doc: str = ""

    def __str__(self) -> str:
        return "\n".join(part for part in (self.signature, self.doc) if part) or "(nothing here)"


class Call(BaseModel):
    """One caller or callee of a function.

    Attributes:
        symbol: The calling (for `callers`) or called (for `callees`) function.
        sites: Where the calls are written.
        depth: 1 for direct calls, 2 for calls of those, and so on.
    """

    symbol: Symbol
    sites: list[Location] = []
    depth: int = 1

    def __str__(self) -> str:
        return f"{'  ' * (self.depth - 1)}{self.symbol} ({len(self.sites)} call sites)"


class CodeDiagnostic(BaseModel):
    """A problem the type checker found.

    Attributes:
        path: File path, relative to the workspace root.
        line: First line (1-based).
        column: First column (1-based).
        end_line: Last line (1-based).
        end_column: Column just after the range (1-based).
        severity: `error`, `warning`, `info` or `hint`.
        code: The rule, such as `unresolved-reference`.
        message: What is wrong.
    """

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: Literal["error", "warning", "info", "hint"] = "error"
    code: str = ""
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column} {self.severity} {self.code} {self.message}"


class NavUnavailable(BaseModel):
    """Navigation is unavailable: the language server could not start or keeps dying.

    Attributes:
        reason: What happened; read the files instead, or retry later.
    """

    available: bool = False
    reason: str

    def __str__(self) -> str:
        return f"navigation unavailable: {self.reason}"


class RefactorPlan(BaseModel):
    """A refactoring as diffs: previewed by default, applied with `apply=True`.

    Attributes:
        operation: `rename_symbol`, `extract_function` or `move_symbol`.
        engine: Which engine computed it: `ty` (rename) or `rope` (extract, move).
        diffs: Unified diff per changed file (path -> diff).
        files: The files it changes, sorted.
        occurrences: How many places change.
        conflicts: Why it cannot be applied as is (a name already taken, a file changed
            since the plan); empty when it can.
        applied: True when the files were written.
        diagnostics: After applying: type and lint problems in the touched files.
    """

    operation: str
    engine: str
    diffs: dict[str, str] = {}
    files: list[str] = []
    occurrences: int = 0
    conflicts: list[str] = []
    applied: bool = False
    diagnostics: list[str] = []

    def __str__(self) -> str:
        state = "applied" if self.applied else "preview"
        lines = [
            f"{self.operation} ({self.engine}, {state}): {self.occurrences} changes "
            f"in {len(self.files)} files"
        ]
        lines += [f"conflict: {c}" for c in self.conflicts]
        lines += [self.diffs[f] for f in self.files if f in self.diffs]
        lines += self.diagnostics
        return "\n".join(lines)


class GitFileStatus(BaseModel):
    """One changed path in `git_status`.

    Attributes:
        path: The path, relative to the workspace root.
        index: Staged state: `.` unchanged, `M`, `A`, `D`, `R` renamed, `C`, `U` conflict,
            `?` untracked.
        worktree: Unstaged state, same letters.
        original_path: The path before a rename or copy, else `None`.
    """

    path: str
    index: str
    worktree: str
    original_path: str | None = None

    def __str__(self) -> str:
        moved = f" (from {self.original_path})" if self.original_path else ""
        return f"{self.index}{self.worktree} {self.path}{moved}"


class GitStatus(BaseModel):
    """The working tree's state, from `git status --porcelain=v2`.

    Attributes:
        branch: The current branch, `None` when HEAD is detached.
        head: The commit HEAD points to, `None` before the first commit.
        upstream: The tracked remote branch, if any.
        ahead: Commits ahead of the upstream.
        behind: Commits behind the upstream.
        clean: True when nothing is changed, staged or untracked.
        files: Changed, staged, untracked and conflicted paths.
    """

    branch: str | None = None
    head: str | None = None
    upstream: str | None = None
    ahead: int = 0
    behind: int = 0
    clean: bool = True
    files: list[GitFileStatus] = []

    def __str__(self) -> str:
        where = self.branch or f"detached at {(self.head or '')[:12]}"
        lines = [f"on {where}" + (" (clean)" if self.clean else "")]
        return "\n".join(lines + [str(f) for f in self.files])


class GitDiffFile(BaseModel):
    """One file of a diff.

    Attributes:
        path: The path after the change, relative to the workspace root.
        original_path: The path before a rename, else `None`.
        additions: Lines added (0 for binary files).
        deletions: Lines removed (0 for binary files).
        binary: True for a binary file (no patch).
        patch: The unified diff of this file (cut at a size limit).
    """

    path: str
    original_path: str | None = None
    additions: int = 0
    deletions: int = 0
    binary: bool = False
    patch: str = ""


class GitDiff(BaseModel):
    """A diff, file by file, from `git diff --numstat -z` and the patch.

    Attributes:
        ref: What the working tree was compared with.
        files: The changed files.
        additions: Lines added in all files.
        deletions: Lines removed in all files.
        truncated: True when a patch was cut at the size limit.
    """

    ref: str
    files: list[GitDiffFile] = []
    additions: int = 0
    deletions: int = 0
    truncated: bool = False

    def __str__(self) -> str:
        head = (
            f"diff against {self.ref}: {len(self.files)} files +{self.additions} -{self.deletions}"
        )
        return "\n".join([head] + [f.patch for f in self.files if f.patch])


class GitCommit(BaseModel):
    """One commit of `git_log`.

    Attributes:
        sha: The full commit id.
        author: The author's name.
        email: The author's e-mail address.
        date: The author date, ISO 8601.
        subject: The first line of the message.
    """

    sha: str
    author: str
    email: str = ""
    date: str
    subject: str

    def __str__(self) -> str:
        return f"{self.sha[:10]} {self.date[:10]} {self.author}: {self.subject}"


class BlameLine(BaseModel):
    """Who last changed one line.

    Attributes:
        line: The line number (1-based).
        sha: The commit that last changed it (zeros: not committed yet).
        author: Its author.
        date: Its author date, ISO 8601.
        summary: Its subject line.
        text: The line's text.
    """

    line: int
    sha: str
    author: str
    date: str = ""
    summary: str = ""
    text: str = ""

    def __str__(self) -> str:
        return f"{self.line:>5} {self.sha[:8]} {self.author}: {self.text}"


__all__ = [
    "BlameLine",
    "Call",
    "CodeDiagnostic",
    "GitCommit",
    "GitDiff",
    "GitDiffFile",
    "GitFileStatus",
    "GitStatus",
    "HoverInfo",
    "Location",
    "NavUnavailable",
    "RefactorPlan",
    "References",
    "Symbol",
]
