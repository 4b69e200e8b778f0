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

import ast
import contextlib
import functools
import os
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from punie_core.records import LAYERS, Finding, Validator

if TYPE_CHECKING:
    import libcst

    from punie_core.toolbox import Toolbox

CORE_PLUGIN = "core"

CORE_RULES: dict[str, str] = {
    "SYN001": "the file is not valid Python (3.14 grammar)",
    "SYN002": "a t-string is concatenated with a plain or f-string literal (a SyntaxError on 3.14)",
    "SYN003": "the file cannot be read as UTF-8 text (or its name is not UTF-8)",
    "PUNIE001": "a validator crashed on this file (a bug in the validator, not in the file)",
    "PUNIE002": "an auto-fix produced invalid Python and was discarded",
}
"""Rule ids the pipeline itself reports."""

FAST_LAYERS: tuple[str, ...] = ("syntax", "conventions")
"""The layers run after every file the agent writes (types are left to `punie check`)."""

SOURCE_SUFFIXES = (".py", ".pyi")

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "node_modules",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".punie",
        "site-packages",
        "build",
        "dist",
    }
)
"""Directory names never walked into (an explicitly named file is still checked)."""


class Diagnostic(BaseModel):
    """A validator finding.

    Where the problem is, which rule, and what to do about it.

    Attributes:
        path: The file, relative to the workspace root.
        line: 1-based line.
        column: 1-based column.
        rule: Rule id, for example `TDOM003` (see `load_skill` for the rule's domain).
        message: What is wrong and how to fix it.
        fixable: True when `punie check --fix` repairs it automatically.
    """

    path: str
    line: int
    column: int
    rule: str
    message: str
    fixable: bool = False

    @classmethod
    def from_finding(cls, finding: Finding) -> Diagnostic:
        """The noun shown to the model for a pipeline finding."""
        return cls(
            path=finding.path,
            line=finding.line,
            column=finding.column,
            rule=finding.rule,
            message=finding.message,
            fixable=finding.fixable,
        )

    def __str__(self) -> str:
        fix = " (fixable)" if self.fixable else ""
        return f"{self.path}:{self.line}:{self.column}: {self.rule} {self.message}{fix}"


# ---------------------------------------------------------------------------------------------
# Parsing: one patched libcst entry point shared by the core and every plugin.


_libcst_patched = False


def _patch_libcst() -> None:
    """Teach libcst 1.9 that `t"a" t"b"` is valid (it raises CSTLogicError otherwise).

    libcst's `ConcatenatedString._validate` handles str/bytes/f-strings but not t-strings.
    Mixing t-strings with other literals is reported by the syntax gate (SYN002) instead.
    """
    global _libcst_patched
    if _libcst_patched:
        return
    import libcst as cst

    original = cst.ConcatenatedString._validate

    def is_template(node: Any) -> bool:
        return isinstance(node, cst.TemplatedString) or (
            isinstance(node, cst.ConcatenatedString) and is_template(node.left)
        )

    def validate(self: Any) -> None:
        if is_template(self.left) or is_template(self.right):
            if self.left.lpar or self.left.rpar or self.right.lpar or self.right.rpar:
                raise cst.CSTValidationError("Cannot concatenate parenthesized strings.")
            return
        original(self)

    cst.ConcatenatedString._validate = validate  # type: ignore[method-assign]
    _libcst_patched = True


@functools.lru_cache(maxsize=64)
def parse_module(source: str) -> libcst.Module:
    """Parse Python source with libcst (t-strings included), cached for the last few sources.

    Plugins call this instead of `libcst.parse_module` so a file checked by several
    validators is parsed once. Modules are immutable, so sharing them is safe.

    Raises:
        libcst.ParserSyntaxError: The source is not valid Python.
    """
    import libcst as cst

    _patch_libcst()
    return cst.parse_module(source)


_SKIPPED_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "leading_lines",
        "lines_after_decorators",
        "header",
        "footer",
        "trailing_whitespace",
        "semicolon",
        "comma",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "newline",
    }
)


@functools.cache
def _child_fields(node_type: type) -> tuple[str, ...]:
    import dataclasses

    return tuple(
        f.name
        for f in dataclasses.fields(node_type)
        if f.name not in _SKIPPED_FIELDS and "whitespace" not in f.name
    )


def iter_children(node: Any) -> Iterator[Any]:
    """The child nodes of a libcst node, without whitespace and punctuation.

    Much faster than `node.children` or a `CSTVisitor`, which rebuild every node they pass.
    """
    import libcst as cst

    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (tuple, list)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


_dispatch: dict[tuple[type, type], tuple[Any, Any]] = {}


def walk(node: Any, visitor: Any) -> None:
    """Depth-first walk of a libcst tree calling `visitor.visit_<Node>(node)` (return False
    to skip the children) and `visitor.leave_<Node>(node)`, like a read-only `CSTVisitor`
    at a fraction of its cost (it never rebuilds nodes). Iterative: deep trees are fine.
    """
    stack: list[tuple[Any, bool]] = [(node, False)]
    visitor_type = type(visitor)
    while stack:
        current, leaving = stack.pop()
        key = (visitor_type, type(current))
        methods = _dispatch.get(key)
        if methods is None:
            name = type(current).__name__
            methods = (
                getattr(visitor_type, f"visit_{name}", None),
                getattr(visitor_type, f"leave_{name}", None),
            )
            _dispatch[key] = methods
        if leaving:
            methods[1](visitor, current)
            continue
        if methods[0] is not None and methods[0](visitor, current) is False:
            continue
        if methods[1] is not None:
            stack.append((current, True))
        children = list(iter_children(current))
        stack.extend((child, False) for child in reversed(children))


# ---------------------------------------------------------------------------------------------
# The syntax gate.


def _core_finding(path: str, line: int, column: int, rule: str, message: str) -> Finding:
    return Finding(
        path=path,
        line=max(1, line),
        column=max(1, column),
        rule=rule,
        message=message,
        plugin=CORE_PLUGIN,
        layer="syntax",
    )


def syntax_findings(path: str, source: str) -> list[Finding]:
    """The core syntax gate: an empty list when `source` is valid Python 3.14.

    `ast` answers for almost every file in a few milliseconds. When it refuses a file and
    the interpreter is older than 3.14, libcst decides, because the refusal may be newer
    grammar (t-strings, `type X = ...`, PEP 701 f-strings) rather than a mistake.

    Args:
        path: The file's path, for the findings.
        source: Its text.
    """
    try:
        with warnings.catch_warnings():
            # Invalid escape sequences in real code warn; the gate must stay quiet.
            warnings.simplefilter("ignore")
            ast.parse(source, filename=path)
        return []
    except SyntaxError as exc:
        ast_error = exc
    except ValueError as exc:  # NUL bytes
        return [_core_finding(path, 1, 1, "SYN001", f"not valid Python source: {exc}")]
    if sys.version_info >= (3, 14):
        return [_from_ast_error(path, ast_error)]
    import libcst as cst

    try:
        module = parse_module(source)
    except cst.ParserSyntaxError as exc:
        if not _newer_grammar(source, ast_error.lineno):
            # CPython stopped at a line without 3.12+ syntax: its position and wording are right.
            return [_from_ast_error(path, ast_error)]
        message = _libcst_message(exc)
        line, column = exc.raw_line, exc.raw_column + 1
        lines = source.splitlines()
        if column == 1 and 1 < line <= len(lines) + 1 and "parser error" in str(exc):
            # libcst stops at the token after the mistake: point at the end of the line before.
            line -= 1
            while line > 1 and not lines[line - 1].strip():
                line -= 1
            column = len(lines[line - 1].rstrip()) + 1
        return [_core_finding(path, line, column, "SYN001", f"syntax error: {message}")]
    except Exception:  # libcst validation (str + bytes ...): CPython's error stands
        return [_from_ast_error(path, ast_error)]
    return _mixed_template_concatenations(path, module)


_NEWER_GRAMMAR = re.compile(
    r"""(?<![\w"'\\-])(?:[tT][rR]?|[rR][tT])["']"""  # t-strings
    r"|^\s*type\s+\w+"  # type aliases
    r"|^\s*(?:async\s+)?(?:def|class)\s+\w+\s*\["  # PEP 695 generics
    r"|^\s*except\s*\*?\s*[^(:]*,"  # PEP 758 unparenthesized except
    r"|\b[fF][rR]?(?P<q>[\"']).*\{[^}]*(?P=q)"  # an f-string reusing its quote inside {}
)


def _newer_grammar(source: str, line: int | None) -> bool:
    """True when the line CPython refused uses syntax newer than the running interpreter's."""
    if line is None:
        return True
    lines = source.splitlines()
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return _NEWER_GRAMMAR.search(text) is not None


def _from_ast_error(path: str, exc: SyntaxError, extra: str = "") -> Finding:
    return _core_finding(
        path, exc.lineno or 1, exc.offset or 1, "SYN001", f"syntax error: {exc.msg}{extra}"
    )


def _libcst_message(exc: Exception) -> str:
    text = str(exc)
    for line in text.splitlines():
        if line.startswith(("parser error:", "tokenizer error:")):
            detail = line.split(":", 1)[1].strip()
            # "error at 3:4: expected one of ..." -> "expected one of ..."
            return detail.split(": ", 1)[1] if detail.startswith("error at") else detail
    return text.splitlines()[0] if text else type(exc).__name__


def _mixed_template_concatenations(path: str, module: libcst.Module) -> list[Finding]:
    """SYN002: `t"a" "b"` and `t"a" f"b"` parse in libcst but are SyntaxErrors on 3.14."""
    import libcst as cst

    bad: list[Any] = []

    class Finder:
        # A plain walk, not libcst.matchers: importing matchers alone costs ~0.4 s.
        def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
            kinds = {isinstance(p, cst.TemplatedString) for p in _flatten_concatenation(node)}
            if kinds == {True, False}:
                bad.append(node)
            return False  # nested parts belong to this concatenation

    walk(module, Finder())
    if not bad:
        return []
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    findings = []
    for node in bad:
        start = positions[node].start
        findings.append(
            _core_finding(
                path,
                start.line,
                start.column + 1,
                "SYN002",
                "cannot mix t-string literals with string or f-string literals; "
                "make every part a t-string",
            )
        )
    return findings


def _flatten_concatenation(node: Any) -> list[Any]:
    import libcst as cst

    if isinstance(node, cst.ConcatenatedString):
        return _flatten_concatenation(node.left) + _flatten_concatenation(node.right)
    return [node]


# ---------------------------------------------------------------------------------------------
# Files.


class UsageError(ValueError):
    """A path given to `punie check` does not exist or holds no Python files."""


def iter_source_files(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Every Python file named or under the given paths, sorted, without duplicates.

    Directories are walked, skipping `.git`, virtual environments, `node_modules`, caches
    and hidden directories; a file named explicitly is always included.

    Raises:
        UsageError: A path does not exist.
    """
    found: dict[str, None] = {}
    for raw in paths:
        text = os.fspath(raw)
        if not os.path.exists(text):
            raise UsageError(f"no such file or directory: {text}")
        if os.path.isfile(text):
            found[os.path.normpath(text)] = None
            continue
        for directory, subdirs, files in os.walk(text):
            subdirs[:] = sorted(d for d in subdirs if d not in SKIP_DIRS and not d.startswith("."))
            for name in sorted(files):
                if name.endswith(SOURCE_SUFFIXES):
                    found[os.path.normpath(os.path.join(directory, name))] = None
    return sorted(found)


def read_source(path: str) -> str:
    """A file's text exactly as stored (line endings kept), decoded as UTF-8.

    Raises:
        UnicodeDecodeError: The file is not UTF-8.
        OSError: The file cannot be read.
    """
    with open(path, encoding="utf-8", newline="") as handle:
        text = handle.read()
    return text.removeprefix("\ufeff")


# ---------------------------------------------------------------------------------------------
# Project helpers for validators whose rules cross files (a component used in another module,
# a service registered in another module).

PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")

_run_cache: ContextVar[dict[Any, Any] | None] = ContextVar("punie_validation_run", default=None)


@contextlib.contextmanager
def validation_run() -> Iterator[dict[Any, Any]]:
    """Scope one pipeline run: project-wide facts computed once are shared by every file.

    Nested runs share the outer run's cache. Outside a run nothing is cached.
    """
    current = _run_cache.get()
    if current is not None:
        yield current
        return
    token = _run_cache.set({})
    try:
        yield _run_cache.get() or {}
    finally:
        _run_cache.reset(token)


def run_cached(key: Any, compute: Callable[[], Any]) -> Any:
    """`compute()` once per pipeline run for `key` (every time outside a run).

    Plugins use it for project-wide facts (the project's files, where its components are
    used), which do not change while one `punie check` or one write is validated.
    """
    cache = _run_cache.get()
    if cache is None:
        return compute()
    if key not in cache:
        cache[key] = compute()
    return cache[key]


@functools.lru_cache(maxsize=512)
def _project_root_of(directory: str) -> str:
    current = Path(directory)
    for candidate in (current, *current.parents):
        if any((candidate / marker).exists() for marker in PROJECT_MARKERS):
            return str(candidate)
    return directory


def project_root(path: str | os.PathLike[str]) -> Path:
    """The project a file belongs to: the nearest directory holding `pyproject.toml`,
    `setup.py`, `setup.cfg` or `.git`, or the file's own directory when there is none.

    Args:
        path: A file (it need not exist yet) or directory.
    """
    resolved = Path(os.path.abspath(path))
    directory = resolved if resolved.is_dir() else resolved.parent
    return Path(_project_root_of(str(directory)))


def project_files(root: str | os.PathLike[str]) -> list[str]:
    """Every Python file of a project (absolute paths), skipping environments and caches.

    Cached for the duration of a pipeline run (see `validation_run`).
    """

    def walk() -> list[str]:
        try:
            return [os.path.abspath(p) for p in iter_source_files([root])]
        except UsageError:
            return []

    return list(run_cached(("project_files", os.path.abspath(root)), walk))


def resolve_module(
    importer: str | os.PathLike[str], module: str, level: int, root: str | os.PathLike[str]
) -> Path | None:
    """The file a project import names, or None when it is not a file of the project.

    Args:
        importer: The importing file.
        module: The dotted module (`app.components`; empty for `from . import x`).
        level: Leading dots of a relative import (0 for absolute).
        root: The project root; absolute imports are looked up there and in `src/`.
    """
    parts = [p for p in module.split(".") if p]
    if level:
        base = Path(os.path.abspath(importer)).parent
        for _ in range(level - 1):
            base = base.parent
        bases = [base]
    else:
        bases = [Path(root), Path(root) / "src"]
    for base in bases:
        target = base.joinpath(*parts) if parts else base
        for candidate in (target.with_suffix(".py") if parts else None, target / "__init__.py"):
            if candidate is not None and candidate.is_file():
                return candidate
    return None


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
            if _applies(validator, path, source):
                findings.extend(_stamp(f, validator) for f in validator.check(path, source))
        except Exception as exc:
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
                produced = list(validator.batch(paths))
                findings.extend(_stamp(_normalize_path(f, paths), validator) for f in produced)
            except Exception as exc:
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


def _validators(toolbox: Toolbox | None, layer: str) -> list[Validator]:
    if toolbox is None:
        return []
    return [v for v in toolbox.validators if v.layer == layer]


def _sort(findings: Iterable[Finding]) -> list[Finding]:
    unique = dict.fromkeys(findings)
    return sorted(unique, key=lambda f: (f.path, f.line, f.column, f.rule, f.message))


def validate_source(
    path: str,
    source: str,
    toolbox: Toolbox | None = None,
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
    path: str, source: str, toolbox: Toolbox | None, layers: Sequence[str]
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
    toolbox: Toolbox | None,
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
        return _check_files(files, toolbox, fix=fix, layers=layers)


def _check_files(
    files: list[str], toolbox: Toolbox | None, *, fix: bool, layers: Sequence[str]
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
            findings.append(_core_finding(shown, 1, 1, "SYN003", message))
            continue
        try:
            source = read_source(path)
        except (UnicodeDecodeError, OSError) as exc:
            findings.append(_core_finding(path, 1, 1, "SYN003", f"cannot read the file: {exc}"))
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
        if fix and path in passed and any(f.fixable for f in found):
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
    from punie_core.workspace import atomic_write_text

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


def diagnostics_for_write(path: Path, source: str) -> list[str]:
    """Fast-layer findings for a file the agent just wrote, one `line:column RULE message` each.

    Only Python files are checked. Never raises: a broken validator must not turn a
    successful write into a failed tool call (its crash is itself reported as a finding).

    Args:
        path: The absolute path written (inside the current workspace).
        source: The text written.
    """
    if not str(path).endswith(SOURCE_SUFFIXES):
        return []
    try:
        from punie_core.toolbox import current_toolbox

        try:
            toolbox: Toolbox | None = current_toolbox()
        except RuntimeError:
            toolbox = None
        findings = validate_source(str(path), source, toolbox)
    except Exception as exc:  # defensive: the write itself succeeded
        return [f"1:1 PUNIE001 validation could not run: {type(exc).__name__}: {exc}"]
    return [format_finding(f, with_path=False) for f in findings]


def format_finding(finding: Finding, *, with_path: bool = True) -> str:
    """`path:line:column: RULE message [fixable]`, the one-line form shown to people and models."""
    where = (
        f"{finding.path}:{finding.line}:{finding.column}:"
        if with_path
        else (f"{finding.line}:{finding.column}")
    )
    fixable = " [fixable]" if finding.fixable else ""
    return f"{where} {finding.rule} {finding.message}{fixable}"


__all__ = [
    "CORE_RULES",
    "CheckReport",
    "Diagnostic",
    "FAST_LAYERS",
    "UsageError",
    "check_paths",
    "diagnostics_for_write",
    "format_finding",
    "iter_children",
    "iter_source_files",
    "parse_module",
    "project_files",
    "project_root",
    "resolve_module",
    "run_cached",
    "syntax_findings",
    "validate_source",
    "validation_run",
    "walk",
]
