"""The layered validation pipeline: syntax gate -> conventions -> fixes -> types.

Every plugin's `Validator` records run here, for `punie check` and after every file the agent
writes. The syntax gate is the core's own: `ast` first (fast), then libcst for the newer
grammar the running interpreter cannot parse (t-strings, PEP 695, PEP 701 on Python 3.11);
a file that fails it goes no further. Convention validators (libcst matchers) run next, each
behind its cheap `applies_to` gate. With fixing on, their `fix` functions repair the source;
a fix whose result fails the syntax gate is discarded. Type validators (ty) run last, in one
batch over every file that passed.

Over files on disk (`punie check`), a validator's `batch` replaces its per-file `check` in
every layer (one process for all files instead of one per file); unsaved text (the agent's
writes, `validate_source`) and the re-check of a fixed file use `check`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from punie_core.plugins.isolation import plugin_output
from punie_core.plugins.records import LAYERS, Finding, Validator
from punie_core.security.workspace import atomic_write_text, in_place_refusal
from punie_core.validation.files import (
    SOURCE_SUFFIXES,
    iter_source_files,
    read_source,
    validation_run,
)
from punie_core.validation.findings import format_finding
from punie_core.validation.syntax import core_finding, syntax_findings


class HasValidators(Protocol):
    """Where the pipeline takes its validators from: the merged toolbox, or a test's own set."""

    @property
    def validators(self) -> Sequence[Validator]: ...


CORE_RULES: dict[str, str] = {
    "SYN001": "the file is not valid Python (3.14 grammar)",
    "SYN002": "a t-string is concatenated with a plain or f-string literal (a SyntaxError on 3.14)",
    "SYN003": "the file cannot be read as UTF-8 text (or its name is not UTF-8)",
    "PUNIE001": "a validator crashed on this file (a bug in the validator, not in the file)",
    "PUNIE002": "an auto-fix produced invalid Python and was discarded",
    "PUNIE003": "a fix was not written: the file is in a git directory or virtual environment, "
    "is not a regular file, or is hard-linked",
}
"""Rule ids the pipeline itself reports."""

FAST_LAYERS: tuple[str, ...] = ("syntax", "conventions")
"""The layers run after every file the agent writes (types are left to `punie check`)."""


# ---------------------------------------------------------------------------------------------
# The pipeline.


@dataclass
class CheckReport:
    """What one pipeline run found.

    Attributes:
        files: Files checked.
        fixed: Findings removed by auto-fixes.
        findings: Every remaining finding, sorted by path, line, column and rule.
        timings: Seconds spent per layer (`syntax`, `conventions`, `fixes`, `types`) and
            per validator (`validator:NAME`).
    """

    files: int = 0
    fixed: int = 0
    findings: list[Finding] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `punie check --json`: exactly files, fixed and findings."""
        return {
            "files": self.files,
            "fixed": self.fixed,
            "findings": [f.as_dict() for f in self.findings],
        }


class _Clock:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    def add(self, key: str, seconds: float) -> None:
        self.timings[key] = self.timings.get(key, 0.0) + seconds


def _stamp(finding: Finding, validator: Validator) -> Finding:
    return replace(finding, plugin=validator.plugin, layer=validator.layer)


def _crash(path: str, validator: Validator, what: str, exc: BaseException) -> Finding:
    return Finding(
        path=path,
        line=1,
        column=1,
        rule="PUNIE001",
        message=f"validator {validator.name!r} ({validator.plugin}) crashed in {what}: "
        f"{type(exc).__name__}: {exc}",
        plugin=validator.plugin,
        layer=validator.layer,
    )


def _applies(validator: Validator, path: str, source: str) -> bool:
    if validator.applies_to is None:
        return True
    return bool(validator.applies_to(path, source))


def _run_checks(
    validators: Sequence[Validator],
    path: str,
    source: str,
    clock: _Clock,
    *,
    many: bool = False,
) -> list[Finding]:
    """Per-file `check` of every validator that applies.

    With `many` (a run over many files), validators that have a `batch` are left to
    `_run_batches`, which is used instead of `check` when present.
    """
    findings: list[Finding] = []
    for validator in validators:
        if validator.check is None or (many and validator.batch is not None):
            continue
        started = time.perf_counter()
        try:
            with plugin_output():  # a validator's prints must not reach stdout (--json, ACP)
                if _applies(validator, path, source):
                    findings.extend(_stamp(f, validator) for f in validator.check(path, source))
        except (Exception, SystemExit) as exc:  # a plugin's exit is its crash, not ours
            findings.append(_crash(path, validator, "check", exc))
        clock.add(f"validator:{validator.name}", time.perf_counter() - started)
    return findings


def _run_batches(
    validators: Sequence[Validator],
    sources: dict[str, str],
    clock: _Clock,
) -> list[Finding]:
    """One `batch` call per batch validator over the files it applies to."""
    findings: list[Finding] = []
    for validator in validators:
        if validator.batch is None:
            continue
        started = time.perf_counter()
        paths = [p for p, s in sources.items() if _safe_applies(validator, p, s)]
        if paths:
            try:
                with plugin_output():
                    produced = list(validator.batch(paths))
                findings.extend(_stamp(_normalize_path(f, paths), validator) for f in produced)
            except (Exception, SystemExit) as exc:
                findings.append(_crash(paths[0], validator, "batch", exc))
        clock.add(f"validator:{validator.name}", time.perf_counter() - started)
    return findings


def _safe_applies(validator: Validator, path: str, source: str) -> bool:
    try:
        return _applies(validator, path, source)
    except Exception:
        return True  # let the validator itself decide (and report) in batch


def _normalize_path(finding: Finding, paths: Sequence[str]) -> Finding:
    """Batch tools may report absolute or differently-relative paths: map them back."""
    if finding.path in paths:
        return finding
    try:
        target = os.path.realpath(finding.path)
    except (OSError, ValueError):
        return finding
    for path in paths:
        if os.path.realpath(path) == target:
            return replace(finding, path=path)
    return finding


def _validators(toolbox: HasValidators | None, layer: str) -> list[Validator]:
    if toolbox is None:
        return []
    return [v for v in toolbox.validators if v.layer == layer]


def _sort(findings: Iterable[Finding]) -> list[Finding]:
    unique = dict.fromkeys(findings)
    return sorted(unique, key=lambda f: (f.path, f.line, f.column, f.rule, f.message))


def validate_source(
    path: str,
    source: str,
    toolbox: HasValidators | None = None,
    *,
    layers: Sequence[str] = FAST_LAYERS,
) -> list[Finding]:
    """Validate one file's text (the agent side calls this after every file it writes).

    Runs the syntax gate, then (when it passes) every applicable validator of the requested
    layers. Nothing is fixed or written; fixable findings say so.

    Args:
        path: The file's path (plugins use it to find the project and its imports).
        source: The text to check (need not be on disk yet, except for batch validators).
        toolbox: Where the validators come from; `None` runs only the syntax gate.
        layers: Which layers to run; the fast ones by default.

    Returns:
        Findings sorted by line.
    """
    with validation_run():
        return _validate_source(path, source, toolbox, layers)


def _validate_source(
    path: str, source: str, toolbox: HasValidators | None, layers: Sequence[str]
) -> list[Finding]:
    clock = _Clock({})
    # The gate always runs: later layers need parseable code.
    findings = syntax_findings(path, source)
    if findings:
        return findings
    if "syntax" in layers:
        findings += _run_checks(_validators(toolbox, "syntax"), path, source, clock)
    for layer in ("conventions", "types"):
        if layer not in layers:
            continue
        validators = _validators(toolbox, layer)
        findings += _run_checks(validators, path, source, clock)
        batch_only = [v for v in validators if v.check is None]
        if batch_only and os.path.exists(path):
            findings += _run_batches(batch_only, {path: source}, clock)
    return _sort(findings)


def check_paths(
    paths: Sequence[str | os.PathLike[str]],
    toolbox: HasValidators | None,
    *,
    fix: bool = False,
    layers: Sequence[str] = LAYERS,
) -> CheckReport:
    """Run the whole pipeline over files and directories (`punie check`).

    Args:
        paths: Files and directories; directories are walked.
        toolbox: Where the validators come from.
        fix: Apply the conventions' auto-fixes and write the files back (atomically).
        layers: Which layers to run (`syntax` always runs).

    Returns:
        The report: files checked, findings fixed, remaining findings, timings.

    Raises:
        UsageError: A path does not exist.
    """
    files = iter_source_files(paths)
    with validation_run():
        return _check_files(files, toolbox, fix=fix, layers=layers, roots=_fix_roots(paths))


def _fix_roots(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Where `--fix` starts checking directories by contents (a venv or git directory under
    any name): the workspace inside a tool call, else the current directory and the walked
    directories, outermost first."""
    from punie_core.validation.files import _workspace_root

    workspace = _workspace_root()
    if workspace is not None:
        return [workspace]
    roots = [Path(os.path.realpath(os.getcwd()))]
    for raw in paths:
        real = os.path.realpath(raw)
        roots.append(Path(real if os.path.isdir(real) else os.path.dirname(real)))
    return sorted(roots, key=lambda root: len(root.parts))


def _fix_refusal(path: str, roots: Sequence[Path]) -> str | None:
    """Why `--fix` must not write `path` (the same rule as the `ruff_*` tools' fixes)."""
    real = Path(os.path.realpath(path))
    boundary = next((root for root in roots if real.is_relative_to(root)), real.parent)
    return in_place_refusal(real, boundary)


def _check_files(
    files: list[str],
    toolbox: HasValidators | None,
    *,
    fix: bool,
    layers: Sequence[str],
    roots: Sequence[Path] = (),
) -> CheckReport:
    report = CheckReport(files=len(files))
    clock = _Clock(report.timings)
    findings: list[Finding] = []

    syntax_validators = _validators(toolbox, "syntax")
    convention_validators = _validators(toolbox, "conventions") if "conventions" in layers else []
    type_validators = _validators(toolbox, "types") if "types" in layers else []

    # Syntax: the gate and per-file checks file by file, then each batch over the files left.
    candidates: dict[str, str] = {}
    for path in files:
        started = time.perf_counter()
        if not _utf8_name(path):
            # ruff and ty refuse such a name and fail the whole batch; report it on its own.
            shown = os.fsencode(path).decode("utf-8", "backslashreplace")
            message = "the file name is not valid UTF-8: rename the file"
            findings.append(core_finding(shown, 1, 1, "SYN003", message))
            continue
        try:
            source = read_source(path)
        except (UnicodeDecodeError, OSError) as exc:
            findings.append(core_finding(path, 1, 1, "SYN003", f"cannot read the file: {exc}"))
            clock.add("syntax", time.perf_counter() - started)
            continue
        errors = syntax_findings(path, source)
        if not errors:
            errors = _run_checks(syntax_validators, path, source, clock, many=True)
        clock.add("syntax", time.perf_counter() - started)
        if errors:
            findings.extend(errors)
            continue
        candidates[path] = source
    passed = candidates
    if candidates and any(v.batch is not None for v in syntax_validators):
        started = time.perf_counter()
        errors = _run_batches(syntax_validators, candidates, clock)
        clock.add("syntax", time.perf_counter() - started)
        findings.extend(errors)
        failed = {f.path for f in errors}
        passed = {p: s for p, s in candidates.items() if p not in failed}

    # Conventions: batches first (a syntax batch may have handed its run over), then checks.
    started = time.perf_counter()
    by_file: dict[str, list[Finding]] = {path: [] for path in passed}
    if convention_validators and passed:
        for finding in _run_batches(convention_validators, passed, clock):
            by_file.setdefault(finding.path, []).append(finding)
        for path, source in passed.items():
            by_file[path] += _run_checks(convention_validators, path, source, clock, many=True)
    clock.add("conventions", time.perf_counter() - started)

    for path, found in by_file.items():
        refusal = None
        if fix and path in passed and any(f.fixable for f in found):
            refusal = _fix_refusal(path, roots)
            if refusal is not None:
                note = core_finding(path, 1, 1, "PUNIE003", f"not fixed: {refusal}")
                findings.append(replace(note, layer="fixes"))
        if fix and path in passed and any(f.fixable for f in found) and refusal is None:
            started = time.perf_counter()
            source, found, fixed, notes = _apply_fixes(
                path, passed[path], found, convention_validators, clock
            )
            passed[path] = source
            report.fixed += fixed
            findings.extend(notes)
            clock.add("fixes", time.perf_counter() - started)
        findings.extend(found)

    if type_validators:
        started = time.perf_counter()
        for path, source in passed.items():
            findings += _run_checks(type_validators, path, source, clock, many=True)
        findings += _run_batches(type_validators, passed, clock)
        clock.add("types", time.perf_counter() - started)

    report.findings = _sort(findings)
    return report


def _utf8_name(path: str) -> bool:
    """False when the path holds bytes that are not UTF-8 (decoded as lone surrogates)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _apply_fixes(
    path: str,
    source: str,
    found: list[Finding],
    validators: Sequence[Validator],
    clock: _Clock,
) -> tuple[str, list[Finding], int, list[Finding]]:
    """Run each validator's fix where it reported something fixable; write the result.

    Returns:
        The final source, the findings left after re-checking it, how many findings the
        fixes removed, and notes about fixes that were discarded.
    """
    fixable_by = {f.plugin for f in found if f.fixable}
    current = source
    notes: list[Finding] = []
    for validator in validators:
        if validator.fix is None or validator.plugin not in fixable_by:
            continue
        if not any(f.fixable and f.plugin == validator.plugin for f in found):
            continue
        try:
            candidate = validator.fix(path, current)
        except Exception as exc:
            notes.append(_crash(path, validator, "fix", exc))
            continue
        if candidate == current:
            continue
        broken = syntax_findings(path, candidate)
        if broken:
            notes.append(
                Finding(
                    path=path,
                    line=broken[0].line,
                    column=broken[0].column,
                    rule="PUNIE002",
                    message=f"the fix of {validator.name!r} produced invalid Python "
                    f"({broken[0].message}); it was discarded",
                    plugin=validator.plugin,
                    layer="fixes",
                )
            )
            continue
        current = candidate
    if current == source:
        return source, found, 0, notes
    # Re-check the fixed text with every `check` (batch validators' too: one file).
    remaining = _run_checks(validators, path, current, clock)
    atomic_write_text(Path(path), current)
    batch_only = [v for v in validators if v.check is None]
    if batch_only:
        remaining += _run_batches(batch_only, {path: current}, clock)
    return current, remaining, max(0, len(found) - len(remaining)), notes


# ---------------------------------------------------------------------------------------------
# The agent side: findings for every file the agent writes.


def diagnostics_for_write(path: Path, source: str, toolbox: HasValidators | None) -> list[str]:
    """Fast-layer findings for a file the agent just wrote, one `line:column RULE message` each.

    Only Python files are checked. Never raises: a broken validator must not turn a
    successful write into a failed tool call (its crash is itself reported as a finding).

    Args:
        path: The absolute path written (inside the current workspace).
        source: The text written.
        toolbox: The toolbox running the write (its validators run); None runs only the
            syntax gate.
    """
    if not str(path).endswith(SOURCE_SUFFIXES):
        return []
    try:
        findings = validate_source(str(path), source, toolbox)
    except Exception as exc:  # defensive: the write itself succeeded
        return [f"1:1 PUNIE001 validation could not run: {type(exc).__name__}: {exc}"]
    return [format_finding(f, with_path=False) for f in findings]


__all__ = [
    "CORE_RULES",
    "CheckReport",
    "FAST_LAYERS",
    "HasValidators",
    "check_paths",
    "diagnostics_for_write",
    "validate_source",
]
