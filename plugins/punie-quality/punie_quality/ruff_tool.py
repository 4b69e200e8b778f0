"""`ruff_check` and `ruff_format`: ruff's JSON output as typed results.

Both run in the workspace root with ruff's JSON output (`--output-format=json`: absolute
file names, 1-based rows and columns, `fix.applicability`). Checks never write: `--no-fix`
overrides a project's `fix = true`. Only safe fixes count as fixable and are applied
(`--no-unsafe-fixes`), whatever the project configures, so an agent never applies a fix ruff
itself calls unsafe.

They are read tools (no permission asked), so they read and report only the workspace: Punie's
own ruff runs (never the project's), the project's configuration is checked first
(`config_guard`: no `extend` or config link leading outside), the cache goes to Punie's own
cache directory, findings for files that are links out of the workspace are dropped, output
is bounded, and fixes never touch a protected place (a virtual environment or git directory,
by name or by content), never rewrite a hard-linked file, and never open a FIFO or device
(`walk_exclusions`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from punie_core import tool_context
from punie_quality.config_guard import SKIP_DIRS, check_config, special_sources
from punie_quality.environment import (
    Binary,
    RelativePaths,
    find_binary,
    inside,
    json_list,
    overflow_message,
    ruff_cache_dir,
    run_process,
    tail,
)
from punie_quality.results import FormatResult, RuffResult, Violation
from punie_quality.workspace_paths import (
    ask_to_modify,
    operands,
    refused_files,
    target_paths,
    writable_files,
)

RUFF_TIMEOUT = 60.0
"""Seconds one ruff process may run before the result reports a timeout."""

SYNTAX_CODE = "invalid-syntax"
VIOLATIONS = TypeAdapter(list[Violation])
FIXED_COUNT = re.compile(r"Fixed (\d+) errors?")


class RuffOutputError(ValueError):
    """ruff's output was not the JSON we expect (a ruff too old or too new for this parser)."""


def parse_violations(stdout: str, root: Path) -> list[Violation]:
    """Violations from `ruff check --output-format=json` (also `ruff format --check`).

    Raises:
        RuffOutputError: The output is not a JSON array of ruff messages.
    """
    raw = json_list(stdout, "ruff", RuffOutputError)
    relative = RelativePaths(root)
    # Findings in a file that is a link out of the workspace would carry what it points at.
    raw = [item for item in raw if inside(root, str(item.get("filename") or "."))]
    # One validation call for the whole list: thousands of findings stay cheap.
    return VIOLATIONS.validate_python([violation_fields(item, relative) for item in raw])


def violation_fields(item: dict[str, Any], relative: Callable[[str], str]) -> dict[str, Any]:
    """The `Violation` fields of one ruff JSON message."""
    fix = item.get("fix") or None
    location = item.get("location") or {}
    end = item.get("end_location") or location
    applicability = fix.get("applicability") if fix else None
    code = item.get("code") or item.get("name") or SYNTAX_CODE
    return {
        "file": relative(item.get("filename") or ""),
        "line": location.get("row") or 1,
        "column": location.get("column") or 1,
        "end_line": end.get("row") or location.get("row") or 1,
        "end_column": end.get("column") or location.get("column") or 1,
        "code": code,
        "name": item.get("name") or code,
        "message": item.get("message") or "",
        "fixable": applicability == "safe",
        "fix_applicability": applicability,
        "fix_message": fix.get("message") if fix else None,
    }


def _ruff_sort_key(violation: Violation) -> tuple[str, int, int, str]:
    return (violation.file, violation.line, violation.column, violation.code)


def walk_exclusions(root: Path) -> list[str]:
    """`--extend-exclude` options that keep ruff's walk to what `config_guard` walked.

    ruff opens every `*.py` it walks to: a FIFO named `fifo.py` would stall it until the
    timeout (and a killed Punie would leave it blocked). The directories the guard skips are
    excluded (a project's `exclude = []` cannot bring them back), and so is every special
    file the guard found. Call after `check_config` (its walk is reused).
    """
    patterns = sorted(SKIP_DIRS) + [_glob_literal(name) for name in special_sources(root)]
    return [option for pattern in patterns for option in ("--extend-exclude", pattern)]


def _glob_literal(path: str) -> str:
    """A ruff (globset) pattern matching `path`: metacharacters in brackets, a backslash as
    `?` (any one character: an escape's meaning depends on the platform)."""
    return "".join("?" if c == "\\" else f"[{c}]" if c in "[]*?{}" else c for c in path)


def check_argv(
    binary: Binary, targets: list[str], *, fix: bool, exclude: list[str] | None = None
) -> list[str]:
    """The `ruff check` command line (shared with the benchmark's raw baseline)."""
    mode = "--fix" if fix else "--no-fix"
    return [
        binary.path,
        "check",
        "--output-format=json",
        mode,
        "--no-unsafe-fixes",
        "--cache-dir",
        ruff_cache_dir(),
        *(exclude or []),
        *operands(targets),
    ]


def _ruff_result(violations: list[Violation], **fields: Any) -> RuffResult:
    return RuffResult(
        success=not violations and fields.get("tool_error") is None,
        violations=violations,
        violation_count=len(violations),
        fixable_count=sum(v.fixable for v in violations),
        syntax_error_count=sum(v.code == SYNTAX_CODE for v in violations),
        **fields,
    )


async def _run_check(
    binary: Binary, root: Path, targets: list[str]
) -> tuple[list[Violation], RuffResult | None]:
    """One read-only ruff check: (violations, None), or ([], a failed result) when ruff failed."""
    argv = check_argv(binary, targets, fix=False, exclude=walk_exclusions(root))
    done = await run_process(argv, root, RUFF_TIMEOUT)
    if done.overflow:
        error = overflow_message("ruff")
    elif done.timed_out:
        error = f"ruff timed out after {RUFF_TIMEOUT:g} s"
    elif done.exit_code not in (0, 1):
        error = tail(done.stderr or done.stdout) or f"ruff exited {done.exit_code}"
    else:
        try:
            return parse_violations(done.stdout, root), None
        except RuffOutputError as exc:
            error = str(exc)
    return [], _ruff_result([], tool_error=error, tool=binary.label, exit_code=done.exit_code)


async def ruff_check(paths: str | list[str] | None = None, fix: bool = False) -> RuffResult:
    """Lint Python files with ruff and return every violation as data.

    Read `result.violations` (each has file, line, column, code, name, message, fixable),
    `result.violation_count` and `result.fixable_count`. Syntax errors are violations with
    code `invalid-syntax`. With `fix=True`, ruff's safe fixes are applied first (after
    permission) and `result.fixed` lists what was repaired; `result.violations` is what remains.

    Args:
        paths: Files or directories relative to the workspace root (default: the whole workspace).
        fix: Apply ruff's safe fixes to the files that have fixable violations.
    """
    workspace = tool_context().workspace
    root = workspace.root
    targets = target_paths(paths)
    check_config(root)
    binary = find_binary("ruff", root)
    before, failed = await _run_check(binary, root, targets)
    if failed is not None:
        return failed
    fixable_files = writable_files(sorted({v.file for v in before if v.fixable}))
    if not fix or not fixable_files:
        return _ruff_result(before, tool=binary.label, exit_code=1 if before else 0)

    await ask_to_modify("ruff_check", fixable_files, {"paths": paths, "fix": True})
    fixing = await run_process(fix_argv(binary, fixable_files), root, RUFF_TIMEOUT)
    if fixing.exit_code != 0:
        reason = "timed out" if fixing.timed_out else tail(fixing.stderr or fixing.stdout)
        return _ruff_result(
            before,
            tool_error=f"ruff --fix failed: {reason}",
            tool=binary.label,
            exit_code=fixing.exit_code,
        )
    after, failed = await _run_check(binary, root, fixable_files)
    if failed is not None:
        return failed
    untouched = [v for v in before if v.file not in fixable_files]
    remaining = sorted(untouched + after, key=_ruff_sort_key)
    left = Counter((v.file, v.code, v.message) for v in after)
    fixed: list[Violation] = []
    for violation in before:
        key = (violation.file, violation.code, violation.message)
        if violation.file in fixable_files and left[key] > 0:
            left[key] -= 1  # still there after the fixes
        elif violation.file in fixable_files:
            fixed.append(violation)
    applied = FIXED_COUNT.search(fixing.stdout + fixing.stderr)
    return _ruff_result(
        remaining,
        fixed=fixed,
        fixed_count=int(applied.group(1)) if applied else len(fixed),
        tool=binary.label,
        exit_code=1 if remaining else 0,
    )


def fix_argv(binary: Binary, files: list[str]) -> list[str]:
    """`ruff check --fix-only`: apply safe fixes, print how many ("Fixed 5 errors.")."""
    cache = ["--cache-dir", ruff_cache_dir()]
    return [binary.path, "check", "--fix-only", "--no-unsafe-fixes", *cache, *operands(files)]


def format_argv(
    binary: Binary, targets: list[str], *, check: bool, exclude: list[str] | None = None
) -> list[str]:
    """The `ruff format` command line (shared with the benchmark's raw baseline)."""
    cache = ["--cache-dir", ruff_cache_dir(), *(exclude or [])]
    if check:
        argv = [binary.path, "format", "--check", "--output-format=json", *cache]
        return [*argv, *operands(targets)]
    return [binary.path, "format", *cache, *operands(targets)]


async def ruff_format(paths: str | list[str] | None = None, check: bool = True) -> FormatResult:
    """Check (or apply) ruff's code formatting.

    With `check=True` nothing is written and `result.files` lists the files that would be
    reformatted. With `check=False` those files are reformatted (after permission) and
    `result.files` lists the files that changed. `result.errors` lists files ruff cannot
    format (usually a syntax error: fix those with `ruff_check` first).

    Args:
        paths: Files or directories relative to the workspace root (default: the whole workspace).
        check: Only report; set False to rewrite the files.
    """
    root = tool_context().workspace.root
    targets = target_paths(paths)
    check_config(root)
    binary = find_binary("ruff", root)
    argv = format_argv(binary, targets, check=True, exclude=walk_exclusions(root))
    done = await run_process(argv, root, RUFF_TIMEOUT)
    common: dict[str, Any] = {"tool": binary.label, "checked": check, "exit_code": done.exit_code}
    if done.overflow:
        return FormatResult(success=False, tool_error=overflow_message("ruff format"), **common)
    if done.timed_out:
        error = f"ruff format timed out after {RUFF_TIMEOUT:g} s"
        return FormatResult(success=False, tool_error=error, **common)
    try:
        messages = parse_violations(done.stdout, root)
    except RuffOutputError as exc:
        return FormatResult(success=False, tool_error=f"{exc}; {tail(done.stderr)}", **common)
    if done.exit_code not in (0, 1, 2) or (done.exit_code == 2 and not messages):
        error = tail(done.stderr or done.stdout) or f"ruff format exited {done.exit_code}"
        return FormatResult(success=False, tool_error=error, **common)
    files = sorted({m.file for m in messages if m.code == "unformatted"})
    unformattable = [m for m in messages if m.code != "unformatted"]
    errors = [f"{m.file}:{m.line}:{m.column}: {m.message}" for m in unformattable]
    if not check:
        refused = refused_files(files)
        # Hard-linked files are named (a person may want them formatted another way); files in
        # environments and git directories are simply not the project's.
        errors += [
            f"{name}: not reformatted: {why}" for name, why in refused.items() if "hard link" in why
        ]
        files = [name for name in files if name not in refused]
    if check or not files:
        return FormatResult(success=not files and not errors, files=files, errors=errors, **common)

    await ask_to_modify("ruff_format", files, {"paths": paths, "check": False})
    written = await run_process(format_argv(binary, files, check=False), root, RUFF_TIMEOUT)
    common["exit_code"] = written.exit_code
    if written.exit_code != 0:
        reason = "timed out" if written.timed_out else tail(written.stderr or written.stdout)
        error = f"ruff format failed: {reason}"
        return FormatResult(success=False, errors=errors, tool_error=error, **common)
    return FormatResult(success=not errors, files=files, errors=errors, **common)
