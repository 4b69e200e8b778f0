"""The nouns the quality tools return: typed results of ruff, ty and pytest runs.

Each result has full fields for code (`result.errors[0].line`) and a short `__str__` for the
model. `success` is decided from the findings, never from a tool's exit code alone, and a tool
that could not run reports `tool_error` with `success=False`: nothing here reads as a pass
unless the tool really ran and found nothing wrong.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SHOWN = 15
"""How many findings `__str__` lists before summarising the rest (the model's context is small)."""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _more(total: int) -> list[str]:
    return (
        [f"... and {total - SHOWN} more (loop over the list field for all)"]
        if total > SHOWN
        else []
    )


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Violation(BaseModel):
    """One ruff finding: a lint rule violation or a syntax error.

    Attributes:
        file: Path relative to the workspace root.
        line: 1-based line where it starts.
        column: 1-based column where it starts.
        end_line: 1-based line where it ends.
        end_column: 1-based column where it ends.
        code: Rule code such as `F401`; `invalid-syntax` for a syntax error.
        name: Rule name such as `unused-import`.
        message: What is wrong.
        fixable: True when `ruff_check(fix=True)` repairs it (a safe fix exists).
        fix_applicability: `safe`, `unsafe` or `display-only`; None when ruff has no fix.
        fix_message: What the fix does, such as "Remove unused import: `os`".
    """

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    name: str
    message: str
    fixable: bool = False
    fix_applicability: str | None = None
    fix_message: str | None = None

    def __str__(self) -> str:
        mark = " [fixable]" if self.fixable else ""
        return f"{self.file}:{self.line}:{self.column} {self.code} {self.message}{mark}"


class RuffResult(BaseModel):
    """What `ruff_check` found (and fixed).

    Attributes:
        success: True when ruff ran and no violation remains.
        violations: Every remaining violation, in ruff's order (by file, then position).
        violation_count: len(violations).
        fixable_count: Violations a safe fix can repair (`ruff_check(fix=True)`).
        syntax_error_count: Violations with code `invalid-syntax` (the file does not parse).
        fixed: Violations of the first check that `fix=True` repaired (empty when fix was False).
        fixed_count: Fixes ruff applied; more than len(fixed) when one fix exposed another
            (UP045 rewriting `Optional[str]` leaves `Optional`'s import unused, then F401).
        tool_error: Why ruff could not run or failed (bad configuration, ...); None when it ran.
        exit_code: ruff's exit status (None when it did not finish).
        tool: The ruff binary used and its version.
    """

    success: bool
    violations: list[Violation] = Field(default_factory=list)
    violation_count: int = 0
    fixable_count: int = 0
    syntax_error_count: int = 0
    fixed: list[Violation] = Field(default_factory=list)
    fixed_count: int = 0
    tool_error: str | None = None
    exit_code: int | None = None
    tool: str = ""

    def __str__(self) -> str:
        if self.tool_error:
            return f"ruff could not check: {self.tool_error}"
        fixed = f", fixed {self.fixed_count}" if self.fixed_count else ""
        if not self.violations:
            return f"ruff: no violations{fixed}"
        files = len({v.file for v in self.violations})
        head = (
            f"ruff: {_plural(self.violation_count, 'violation')} in {_plural(files, 'file')} "
            f"({self.fixable_count} fixable{fixed})"
        )
        lines = [head, *(str(v) for v in self.violations[:SHOWN]), *_more(self.violation_count)]
        return "\n".join(lines)


class FormatResult(BaseModel):
    """What `ruff_format` found or changed.

    Attributes:
        success: check=True: ruff ran and every file is already formatted. check=False: ruff
            ran and formatted every file it could.
        files: Files (relative to the workspace root) that would change (check=True) or that
            changed (check=False).
        checked: True when only checked (nothing written).
        errors: Files ruff could not format, with the reason (usually a syntax error).
        tool_error: Why ruff could not run; None when it ran.
        exit_code: ruff's exit status (None when it did not finish).
        tool: The ruff binary used and its version.
    """

    success: bool
    files: list[str] = Field(default_factory=list)
    checked: bool = True
    errors: list[str] = Field(default_factory=list)
    tool_error: str | None = None
    exit_code: int | None = None
    tool: str = ""

    def __str__(self) -> str:
        if self.tool_error:
            return f"ruff format could not run: {self.tool_error}"
        verb = "would reformat" if self.checked else "reformatted"
        if self.files:
            lines = [f"ruff format {verb} {_plural(len(self.files), 'file')}:"]
            lines += [f"  {f}" for f in self.files[:SHOWN]] + _more(len(self.files))
        else:
            lines = [
                "ruff format: all files already formatted"
                if self.checked
                else "ruff format: nothing to change"
            ]
        if self.errors:
            lines.append(f"could not format {_plural(len(self.errors), 'file')}:")
            lines += [f"  {e}" for e in self.errors[:SHOWN]]
        return "\n".join(lines)


Severity = Literal["error", "warning", "info"]


class TypeDiagnostic(BaseModel):
    """One ty diagnostic.

    Attributes:
        file: Path relative to the workspace root.
        line: 1-based line where it starts.
        column: 1-based column where it starts.
        end_line: 1-based line where it ends.
        end_column: 1-based column where it ends.
        severity: `error`, `warning` or `info`.
        rule: ty's rule name such as `invalid-argument-type` (use it in `# ty: ignore[rule]`).
        message: What is wrong, without the rule prefix.
    """

    file: str
    line: int
    column: int
    end_line: int
    end_column: int
    severity: Severity
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column} {self.severity}[{self.rule}] {self.message}"


class TypeCheckResult(BaseModel):
    """What `typecheck` (ty) found.

    Attributes:
        success: True when ty ran and reported no errors (warnings do not fail a check).
        errors: Diagnostics with severity `error` only.
        warnings: Diagnostics with severity `warning`.
        infos: Diagnostics with severity `info` (such as `reveal_type` output).
        error_count: len(errors).
        warning_count: len(warnings).
        tool_error: Why ty could not run (bad path, bad configuration, ...); None when it ran.
        exit_code: ty's exit status (1 for warnings too, so read `success`, not this).
        tool: The ty binary used and its version.
        python: The Python environment ty resolved imports against ("" for ty's default).
    """

    success: bool
    errors: list[TypeDiagnostic] = Field(default_factory=list)
    warnings: list[TypeDiagnostic] = Field(default_factory=list)
    infos: list[TypeDiagnostic] = Field(default_factory=list)
    error_count: int = 0
    warning_count: int = 0
    tool_error: str | None = None
    exit_code: int | None = None
    tool: str = ""
    python: str = ""

    def __str__(self) -> str:
        if self.tool_error:
            return f"ty could not check: {self.tool_error}"
        head = f"ty: {_plural(self.error_count, 'error')}, {_plural(self.warning_count, 'warning')}"
        shown = [*self.errors, *self.warnings]
        lines = [head, *(str(d) for d in shown[:SHOWN]), *_more(len(shown))]
        return "\n".join(lines)


TestOutcome = Literal["passed", "failed", "error", "skipped", "xfailed", "xpassed", "timeout"]


class TestCase(BaseModel):
    """One test's result.

    Attributes:
        nodeid: pytest's id, such as `tests/test_app.py::test_home[1]`.
        outcome: `passed`, `failed`, `error` (setup or teardown failed), `skipped`,
            `xfailed`, `xpassed`, or `timeout` (it was running when the time ran out).
        duration: Seconds for setup, call and teardown together.
        file: The test's file, relative to the rootdir.
        line: 1-based line of the test function (None when unknown).
        when: The phase that decided a non-pass: `setup`, `call` or `teardown`.
        message: One-line reason (the assertion or exception, the skip reason).
        failure: Full failure text (traceback and assertion detail), trimmed to its end.
        output: Captured stdout/stderr of a failing test, trimmed.
    """

    __test__ = False  # keep pytest from collecting this class in our own test runs

    nodeid: str
    outcome: TestOutcome
    duration: float = 0.0
    file: str = ""
    line: int | None = None
    when: str | None = None
    message: str = ""
    failure: str = ""
    output: str = ""

    def __str__(self) -> str:
        reason = f" - {_one_line(self.message)}" if self.message else ""
        return f"{self.outcome.upper()} {self.nodeid}{reason}"


class CollectionError(BaseModel):
    """A test file pytest could not import or collect.

    Attributes:
        nodeid: The file or node that failed, such as `tests/test_api.py`.
        message: The error, such as "ModuleNotFoundError: No module named 'requests'".
        failure: The full error text.
    """

    nodeid: str
    message: str
    failure: str = ""

    def __str__(self) -> str:
        return f"ERROR collecting {self.nodeid} - {_one_line(self.message)}"


class TestResult(BaseModel):
    """What `pytest_run` did.

    Attributes:
        success: True only when tests ran (at least one), none failed or errored, nothing
            failed to collect, and the run finished in time.
        passed: Tests that passed.
        failed: Tests that failed.
        errors: Errors: tests whose setup or teardown failed, plus collection errors.
        skipped: Tests skipped.
        xfailed: Tests expected to fail that did.
        xpassed: Tests expected to fail that passed.
        collected: Tests collected.
        tests: One entry per test that ran (or was running at a timeout).
        collection_errors: Files that could not be collected (import errors and the like).
        timed_out: True when the run was stopped at the timeout.
        tool_error: Why pytest could not run or finish (missing interpreter or pytest, no
            tests collected, usage error, timeout); None when it ran normally.
        exit_code: pytest's exit status (None when it was stopped).
        python: The interpreter (or `uv run`) that ran pytest.
        duration: Seconds the run took.
    """

    __test__ = False

    success: bool
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    xpassed: int = 0
    collected: int = 0
    tests: list[TestCase] = Field(default_factory=list)
    collection_errors: list[CollectionError] = Field(default_factory=list)
    timed_out: bool = False
    tool_error: str | None = None
    exit_code: int | None = None
    python: str = ""
    duration: float = 0.0

    @property
    def failures(self) -> list[TestCase]:
        """Tests that failed, errored or timed out (for host code; the model filters `tests`)."""
        return [t for t in self.tests if t.outcome in ("failed", "error", "timeout")]

    def __str__(self) -> str:
        counts = [
            f"{n} {label}"
            for n, label in (
                (self.failed, "failed"),
                (self.passed, "passed"),
                (self.skipped, "skipped"),
                (self.xfailed, "xfailed"),
                (self.xpassed, "xpassed"),
                (self.errors, "error" if self.errors == 1 else "errors"),
            )
            if n
        ]
        head = f"pytest: {', '.join(counts) or 'no tests ran'} in {self.duration:.2f}s"
        lines = [head]
        if self.tool_error:
            lines.append(f"problem: {self.tool_error}")
        problems = [str(e) for e in self.collection_errors] + [str(t) for t in self.failures]
        lines += problems[:SHOWN] + _more(len(problems))
        return "\n".join(lines)
