"""Validators for `punie check` and the after-write pipeline: ruff (syntax, lint) and ty (types).

- `ruff_syntax` (layer `syntax`): ruff's `invalid-syntax` diagnostics, reported as `E999`
  (the code pycodestyle and older ruff used). The core's own gate catches plain syntax
  errors first; ruff adds what depends on the project's target version and semantics
  (`await` outside async, t-strings before 3.14, `match` before 3.10, ...).
- `ruff_lint` (layer `conventions`): every other ruff violation, under its own code (`F401`),
  with ruff's safe fixes as `fix` (used by `punie check --fix`).
- `ty_types` (layer `types`): ty errors (warnings do not fail validation, as in
  `typecheck`), reported as `TY001` with ty's rule name leading the message.

The ruff validators' `check` lints the candidate text through ruff's stdin, so a file can be
validated before it is written (the agent's writes); the syntax check hands its ruff run over
to the lint check that follows it, so one ruff process serves both. Over files on disk
(`punie check`) the pipeline uses their `batch` instead: one ruff process per project for
every file, whose result the syntax batch hands over to the lint batch the same way. Fixes
stay per file. ty has no stdin and is fastest over many files, so `ty_types` is a `batch`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
from collections.abc import Iterable
from pathlib import Path

from punie_core import Finding, run_cached
from punie_quality.config_guard import config_problem
from punie_quality.environment import (
    find_binary,
    overflow_message,
    project_python,
    ruff_cache_dir,
    run_process_sync,
    tail,
)
from punie_quality.results import Violation
from punie_quality.ruff_tool import RUFF_TIMEOUT, SYNTAX_CODE, parse_violations
from punie_quality.ty_tool import TY_TIMEOUT, parse_diagnostics

SYNTAX_RULE = "E999"
TY_RULE = "TY001"
TY_CONFIG_RULE = "TY002"
PYTHON_SUFFIXES = (".py", ".pyi")
ROOT_MARKERS = ("pyproject.toml", "ruff.toml", ".ruff.toml", "ty.toml", "setup.cfg", ".git")

RUFF_SYNTAX_RULES = {
    SYNTAX_RULE: "Python syntax error (ruff `invalid-syntax`): the file does not parse"
}
TY_RULES = {
    TY_RULE: "ty type error; the message starts with ty's rule name (invalid-argument-type, ...)",
    TY_CONFIG_RULE: "ty cannot run with the project's configuration (for example "
    "`[tool.ty.environment] python` names a missing environment)",
}
_CONFIG_FILE = re.compile(r"Invalid setting in configuration file `([^`]+)`")
_SOURCE_LINE = re.compile(r"^\s*(\d+)\s*\|")


class ValidatorBroken(RuntimeError):
    """ruff or ty could not run (missing binary, bad configuration, timeout)."""


@functools.cache
def ruff_lint_rules() -> dict[str, str]:
    """Every ruff rule code the pinned ruff knows, with its name (shipped as package data)."""
    data = Path(__file__).parent / "data" / "ruff_rules.json"
    return dict(json.loads(data.read_text(encoding="utf-8"))["rules"])


def is_python(path: str, source: str = "") -> bool:
    """The `applies_to` gate: Python sources and stubs only."""
    return path.endswith(PYTHON_SUFFIXES)


def project_root(paths: Iterable[str]) -> Path:
    """The project the paths belong to: the run's workspace, else the nearest marked ancestor."""
    workspace = _workspace_root()
    if workspace is not None:
        return workspace
    first = next(iter(paths), None)
    start = Path(first).resolve() if first else Path.cwd()
    start = start if start.is_dir() else start.parent
    for directory in (start, *start.parents):
        if any((directory / marker).exists() for marker in ROOT_MARKERS):
            return directory
    return Path.cwd()


def _workspace_root() -> Path | None:
    from punie_core import tool_context

    try:
        return tool_context().workspace.root
    except RuntimeError:
        return None


def _absolute(path: str) -> str:
    """Relative paths mean the workspace root inside a run, the current directory outside one."""
    if os.path.isabs(path):
        return os.path.normpath(path)
    base = _workspace_root() or Path.cwd()
    return os.path.normpath(base / path)


def _given_names(paths: Iterable[str]) -> dict[str, str]:
    """Absolute path -> the path as given, so findings name files the way the caller did."""
    return {_absolute(p): p for p in paths}


def _finding(violation: Violation, root: Path, names: dict[str, str]) -> Finding:
    absolute = os.path.normpath(root / violation.file)
    is_syntax = violation.code == SYNTAX_CODE
    return Finding(
        path=names.get(absolute, violation.file),
        line=violation.line,
        column=violation.column,
        rule=SYNTAX_RULE if is_syntax else violation.code,
        message=violation.message,
        fixable=violation.fixable,
    )


def _guard(root: Path) -> None:
    """Refuse a configuration leading outside the project (see `config_guard`)."""
    problem = config_problem(root, cached=True)
    if problem:
        raise ValidatorBroken(f"refusing to run: {problem}")


def _run_ruff(argv: list[str], root: Path, stdin: str | None = None) -> list[Violation]:
    _guard(root)
    # Punie's cache directory, whatever the project's `cache-dir` says.
    argv = [*argv[:2], "--cache-dir", ruff_cache_dir(), *argv[2:]]
    done = run_process_sync(argv, root, RUFF_TIMEOUT, stdin=stdin)
    if done.overflow:
        raise ValidatorBroken(overflow_message("ruff"))
    if done.timed_out:
        raise ValidatorBroken(f"ruff timed out after {RUFF_TIMEOUT:g} s")
    if done.exit_code not in (0, 1):
        raise ValidatorBroken(
            f"ruff failed (exit {done.exit_code}): {tail(done.stderr or done.stdout)}"
        )
    return parse_violations(done.stdout, root)


def _ruff_source(path: str, source: str, root: Path) -> tuple[Finding, ...]:
    """All ruff findings for one file's text (read through stdin, so it need not be saved)."""
    binary = find_binary("ruff", root)
    absolute = _absolute(path)
    argv = [
        binary.path,
        "check",
        "--output-format=json",
        "--no-fix",
        "--stdin-filename",
        absolute,
        "-",
    ]
    violations = _run_ruff(argv, root, stdin=source)
    names = {absolute: path}
    return tuple(_finding(v, root, names) for v in violations)


_handover: dict[tuple[str, str, Path], tuple[float, tuple[Finding, ...]]] = {}
HANDOVER_SECONDS = 10.0


def ruff_syntax_check(path: str, source: str) -> list[Finding]:
    """Syntax errors in one file's candidate source (E999).

    The full ruff result is handed over to `ruff_lint_check`, which the pipeline calls next
    for the same text, so one ruff process serves both layers.
    """
    root = project_root([_absolute(path)])
    findings = _ruff_source(path, source, root)
    _handover.clear()
    _handover[(path, source, root)] = (time.monotonic(), findings)
    return [f for f in findings if f.rule == SYNTAX_RULE]


def ruff_lint_check(path: str, source: str) -> list[Finding]:
    """ruff lint violations in one file's candidate source (its project's configuration)."""
    root = project_root([_absolute(path)])
    handed = _handover.pop((path, source, root), None)
    if handed is not None and time.monotonic() - handed[0] < HANDOVER_SECONDS:
        findings = handed[1]
    else:
        findings = _ruff_source(path, source, root)
    return [f for f in findings if f.rule != SYNTAX_RULE]


RUFF_ARGV_BYTES = 100_000
"""Most bytes of file names one ruff command line carries (longer lists run in chunks)."""


def _ruff_files(paths: list[str]) -> dict[str, list[Finding]]:
    """All ruff findings for files on disk, by absolute path: one ruff run per project."""
    names = _given_names(p for p in paths if is_python(p))
    roots: dict[str, Path] = {}
    by_root: dict[Path, list[str]] = {}
    for absolute in names:
        directory = os.path.dirname(absolute)
        if directory not in roots:
            roots[directory] = project_root([absolute])
        by_root.setdefault(roots[directory], []).append(absolute)
    found: dict[str, list[Finding]] = {absolute: [] for absolute in names}
    for root, files in by_root.items():
        binary = find_binary("ruff", root)
        for chunk in _chunks(files, RUFF_ARGV_BYTES):
            argv = [binary.path, "check", "--output-format=json", "--no-fix", *chunk]
            for violation in _run_ruff(argv, root):
                finding = _finding(violation, root, names)
                found.setdefault(os.path.normpath(root / violation.file), []).append(finding)
    return found


def _chunks(files: list[str], limit: int) -> Iterable[list[str]]:
    chunk: list[str] = []
    size = 0
    for name in files:
        if chunk and size + len(name) + 1 > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(name)
        size += len(name) + 1
    if chunk:
        yield chunk


def _stat_key(absolute: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(absolute)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def ruff_syntax_batch(paths: list[str]) -> list[Finding]:
    """Syntax errors (E999) in files on disk, one ruff process per project.

    The full result is handed over to `ruff_lint_batch` for the same pipeline run (files
    unchanged since), so one ruff process serves both layers.
    """
    found = _ruff_files(paths)
    handover = run_cached(("ruff_batch_handover",), dict)
    handover.clear()
    for absolute, findings in found.items():
        handover[absolute] = (_stat_key(absolute), findings)
    return [f for findings in found.values() for f in findings if f.rule == SYNTAX_RULE]


def ruff_lint_batch(paths: list[str]) -> list[Finding]:
    """ruff lint violations in files on disk (one ruff process per project for those the
    syntax batch did not already lint in this run)."""
    handover = run_cached(("ruff_batch_handover",), dict)
    findings: list[Finding] = []
    missing: list[str] = []
    for path in paths:
        if not is_python(path):
            continue
        absolute = _absolute(path)
        handed = handover.pop(absolute, None)
        if handed is not None and handed[0] is not None and handed[0] == _stat_key(absolute):
            findings.extend(handed[1])
        else:
            missing.append(path)
    if missing:
        findings.extend(f for fs in _ruff_files(missing).values() for f in fs)
    return [f for f in findings if f.rule != SYNTAX_RULE]


def ruff_lint_fix(path: str, source: str) -> str:
    """The source with ruff's safe fixes applied (unchanged when there is nothing safe to fix).

    Raises:
        ValidatorBroken: ruff could not run.
    """
    root = project_root([_absolute(path)])
    _guard(root)
    binary = find_binary("ruff", root)
    argv = [
        binary.path,
        "check",
        "--cache-dir",
        ruff_cache_dir(),
        "--fix-only",
        "--exit-zero",
        "--no-unsafe-fixes",
        "--stdin-filename",
        _absolute(path),
        "-",
    ]
    done = run_process_sync(argv, root, RUFF_TIMEOUT, stdin=source)
    if done.timed_out or done.exit_code != 0:
        reason = "timed out" if done.timed_out else tail(done.stderr or done.stdout)
        raise ValidatorBroken(f"ruff --fix-only failed: {reason}")
    return done.stdout


def ty_batch(paths: list[str]) -> list[Finding]:
    """ty errors in the given files, resolved against the project's environment (one ty process)."""
    wanted = [p for p in paths if is_python(p) or Path(_absolute(p)).is_dir()]
    if not wanted:
        return []
    names = _given_names(wanted)
    root = project_root(list(names))
    binary = find_binary("ty", root)
    python = project_python(root)
    argv = [binary.path, "check", "--output-format", "gitlab", "--no-progress"]
    if python.venv is not None:
        argv += ["--python", str(python.venv)]
    _guard(root)
    done = run_process_sync([*argv, *names], root, TY_TIMEOUT)
    if done.overflow:
        raise ValidatorBroken(overflow_message("ty"))
    if done.timed_out:
        raise ValidatorBroken(f"ty timed out after {TY_TIMEOUT:g} s")
    diagnostics = parse_diagnostics(done.stdout, root) if done.stdout.strip() else []
    if done.exit_code == 2 and _CONFIG_FILE.search(done.stderr or done.stdout):
        # The project's ty settings are wrong: a finding about them, not a crash.
        return [_config_finding(done.stderr or done.stdout, root, next(iter(names.values())))]
    if done.exit_code not in (0, 1):
        reasons = "; ".join(d.message for d in diagnostics) or tail(done.stderr or done.stdout)
        raise ValidatorBroken(f"ty failed (exit {done.exit_code}): {reasons}")
    return [
        Finding(
            path=names.get(os.path.normpath(root / d.file), d.file),
            line=d.line,
            column=d.column,
            rule=TY_RULE,
            message=f"{d.rule}: {d.message}",
        )
        for d in diagnostics
        if d.severity == "error"
    ]


def _config_finding(output: str, root: Path, fallback: str) -> Finding:
    """TY002 at the setting ty refused (`pyproject.toml` line of `[tool.ty.environment]
    python = ".venv"` when `.venv` does not exist), from ty's own error text."""
    match = _CONFIG_FILE.search(output)
    path = match.group(1) if match else fallback
    line = 1
    lines = output.splitlines()
    for index, text in enumerate(lines):
        if "^" in text and index > 0:
            numbered = _SOURCE_LINE.match(lines[index - 1])
            if numbered:
                line = int(numbered.group(1))
                break
    cause = next(
        (t.strip() for t in lines if t.strip().startswith("Cause:")), "invalid ty configuration"
    )
    detail = next((t.split("^", 1)[-1].strip("^ ") for t in lines if "^^^" in t), "")
    message = f"ty cannot run: {cause.removeprefix('Cause: ')}"
    if detail:
        message += f" ({detail})"
    message += "; fix the setting or create the environment it names, then re-run"
    return Finding(path=path, line=line, column=1, rule=TY_CONFIG_RULE, message=message)
