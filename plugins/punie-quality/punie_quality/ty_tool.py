"""`typecheck`: ty's diagnostics as a typed result.

ty (0.0.105) has no `json` output; its `gitlab` format is a JSON array on stdout with the rule
(`check_name`), `rule: message` (`description`), a severity (`major` = error, `minor` =
warning, `info`) and 1-based positions relative to the working directory. ty exits 1 for
warnings too, so success is decided by the error count; exit 2 means ty could not check.

A read tool: Punie's own ty runs, the project's configuration is checked first (no source
root, extra path or environment outside the workspace: `config_guard`), and diagnostics for
files outside the workspace are dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from punie_core import tool_context
from punie_quality.config_guard import check_config
from punie_quality.environment import (
    Binary,
    Python,
    RelativePaths,
    find_binary,
    inside,
    json_list,
    overflow_message,
    project_python,
    run_process,
    tail,
)
from punie_quality.results import Severity, TypeCheckResult, TypeDiagnostic
from punie_quality.workspace_paths import operands, target_paths

TY_TIMEOUT = 120.0
"""Seconds one ty process may run before the result reports a timeout."""

SEVERITIES: dict[str, Severity] = {
    "blocker": "error",
    "critical": "error",
    "major": "error",
    "minor": "warning",
    "info": "info",
}


DIAGNOSTICS = TypeAdapter(list[TypeDiagnostic])


class TyOutputError(ValueError):
    """ty's output was not the GitLab JSON we expect."""


def parse_diagnostics(stdout: str, root: Path) -> list[TypeDiagnostic]:
    """Diagnostics from `ty check --output-format gitlab`.

    Raises:
        TyOutputError: The output is not a JSON array of GitLab code-quality entries.
    """
    raw = json_list(stdout, "ty", TyOutputError)
    relative = RelativePaths(root)
    # Diagnostics in a file outside the workspace (a link out, a configured source root
    # elsewhere) would carry its contents: dropped.
    raw = [item for item in raw if inside(root, _location_path(item))]
    return DIAGNOSTICS.validate_python([diagnostic_fields(item, relative) for item in raw])


def _location_path(item: Any) -> str:
    location = item.get("location") if isinstance(item, dict) else None
    path = location.get("path") if isinstance(location, dict) else None
    return str(path or ".")


def diagnostic_fields(item: dict[str, Any], relative: Callable[[str], str]) -> dict[str, Any]:
    """The `TypeDiagnostic` fields of one GitLab code-quality entry."""
    rule = str(item.get("check_name") or "unknown")
    description = str(item.get("description") or "")
    location = item.get("location") or {}
    positions = location.get("positions") or {}
    begin = positions.get("begin") or {}
    end = positions.get("end") or begin
    return {
        "file": relative(str(location.get("path") or "")),
        "line": begin.get("line") or 1,
        "column": begin.get("column") or 1,
        "end_line": end.get("line") or begin.get("line") or 1,
        "end_column": end.get("column") or begin.get("column") or 1,
        "severity": SEVERITIES.get(str(item.get("severity")), "error"),
        "rule": rule,
        "message": description.removeprefix(f"{rule}: "),
    }


def typecheck_argv(binary: Binary, python: Python, targets: list[str]) -> list[str]:
    """The `ty check` command line (shared with the benchmark's raw baseline)."""
    argv = [binary.path, "check", "--output-format", "gitlab", "--no-progress"]
    if python.venv is not None:
        argv += ["--python", str(python.venv)]
    return argv + operands(targets)


async def typecheck(paths: str | list[str] | None = None) -> TypeCheckResult:
    """Type-check Python files with ty and return the diagnostics as data.

    Read `result.errors` (errors only; each has file, line, column, rule, message),
    `result.error_count` and `result.warning_count`; `result.success` is True when there are
    no errors (warnings alone do not fail). Imports resolve in the project's `.venv` when
    it has one.

    Args:
        paths: Files or directories relative to the workspace root (default: the whole project).
    """
    root = tool_context().workspace.root
    targets = [] if paths is None else target_paths(paths)
    check_config(root)
    binary = find_binary("ty", root)
    python = project_python(root)
    done = await run_process(typecheck_argv(binary, python, targets), root, TY_TIMEOUT)
    common: dict[str, Any] = {
        "tool": binary.label,
        "python": str(python.venv or ""),
        "exit_code": done.exit_code,
    }
    if done.overflow:
        return TypeCheckResult(success=False, tool_error=overflow_message("ty"), **common)
    if done.timed_out:
        return TypeCheckResult(
            success=False, tool_error=f"ty timed out after {TY_TIMEOUT:g} s", **common
        )
    try:
        diagnostics = parse_diagnostics(done.stdout, root)
    except TyOutputError as exc:
        error = tail(done.stderr) or str(exc)
        return TypeCheckResult(success=False, tool_error=error, **common)
    if done.exit_code not in (0, 1):
        reasons = [d.message for d in diagnostics] or [tail(done.stderr or done.stdout)]
        error = "; ".join(r for r in reasons if r) or f"ty exited {done.exit_code}"
        return TypeCheckResult(success=False, tool_error=error, **common)
    errors = [d for d in diagnostics if d.severity == "error"]
    warnings = [d for d in diagnostics if d.severity == "warning"]
    return TypeCheckResult(
        success=not errors,
        errors=errors,
        warnings=warnings,
        infos=[d for d in diagnostics if d.severity == "info"],
        error_count=len(errors),
        warning_count=len(warnings),
        **common,
    )
