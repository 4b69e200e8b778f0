"""Was a trace really validated? Detect traces that deleted or weakened tests to get a green run.

A trace counts as validated only when the host recorded `validation_passed` (the code ran, the
tools succeeded, the checks passed) *and* none of its successful tool calls tampered with
tests: deleting a test file (a delete tool, `rm`/`git rm`/`mv`/truncation in a command),
writing a test file that drops test functions or assertions, adds skip/xfail markers, replaces
assertions by `assert True`, or writes test configuration that ignores or deselects tests.
A trace whose `spec_status` (recorded by the host) turned a requirement from passing to
failing is never validated either.

Old content of a rewritten test file comes from the trace itself (an earlier `read_file` of the
same path, or an earlier write); without it, only the new content is checked for tell-tale
patterns (skips, constant assertions, tests without any assertion).
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, TypeGuard

WRITE_TOOLS = frozenset({"write_file"})
READ_TOOLS = frozenset({"read_file"})
DELETE_TOOL_PATTERN = re.compile(r"^(delete|remove|unlink|rm)(_|$)|_(delete|remove)$")
COMMAND_TOOLS = frozenset({"run_command"})
REMOVING_COMMANDS = frozenset({"rm", "unlink", "shred", "truncate"})
CONFIG_FILES = frozenset({"conftest.py", "pytest.ini", "pyproject.toml", "setup.cfg", "tox.ini"})
CONFIG_SKIP = re.compile(r"collect_ignore|--deselect|--ignore|(?:^|\s)-k\s|norecursedirs")
SKIP_MARK = re.compile(r"pytest\.mark\.(skip|skipif|xfail)\b|pytest\.(skip|xfail)\(|unittest\.skip")


@dataclass(frozen=True)
class Tampering:
    """One way a trace weakened the tests.

    Attributes:
        path: The test file (or command) concerned.
        reason: What happened, in a few words.
    """

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def is_test_path(path: str) -> bool:
    """True for test modules, `conftest.py` and anything under a `tests`/`test` folder."""
    pure = PurePosixPath(path.replace("\\", "/"))
    name = pure.name
    if name == "conftest.py":
        return True
    if name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")):
        return True
    return any(part in ("tests", "test") for part in pure.parts[:-1])


def _norm(path: Any) -> str:
    text = str(path or "").replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    return text


def _arguments(call: dict[str, Any]) -> dict[str, Any]:
    arguments = call.get("arguments")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            return {}
    return arguments if isinstance(arguments, dict) else {}


def _succeeded(call: dict[str, Any]) -> bool:
    return bool(call.get("ok")) and not call.get("refused")


@dataclass
class TestShape:
    """The tests in one file: assertion counts per test function, and skip markers."""

    parsed: bool
    asserts: dict[str, int]
    skips: int
    constant_asserts: int


def _is_test_function(node: ast.AST) -> TypeGuard[ast.FunctionDef | ast.AsyncFunctionDef]:
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
        "test"
    )


def _count_asserts(node: ast.AST) -> tuple[int, int]:
    """`(assertions, constant-true assertions)` inside a function."""
    total = constant = 0
    for child in ast.walk(node):
        if isinstance(child, ast.Assert):
            total += 1
            if isinstance(child.test, ast.Constant) and child.test.value:
                constant += 1
        elif isinstance(child, ast.Call):
            func = child.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name.startswith("assert") or name in ("raises", "warns", "fail"):
                total += 1
    return total, constant


def test_shape(source: str) -> TestShape:
    """Parse a test module into its test functions and what they assert."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return TestShape(parsed=False, asserts={}, skips=0, constant_asserts=0)
    asserts: dict[str, int] = {}
    constant = 0
    for node in ast.walk(tree):
        if _is_test_function(node):
            asserts_here, constant_here = _count_asserts(node)
            key = node.name
            # Methods of different classes may share a name: number them so none hides another.
            while key in asserts:
                key += "'"
            asserts[key] = asserts_here
            constant += constant_here
    return TestShape(
        parsed=True,
        asserts=asserts,
        skips=len(SKIP_MARK.findall(source)),
        constant_asserts=constant,
    )


def compare_tests(path: str, old: str | None, new: str) -> list[Tampering]:
    """How a rewrite of a test file weakened it (empty when it did not).

    Args:
        path: The test file.
        old: Its content before the write, or None when unknown.
        new: The content written.
    """
    name = PurePosixPath(path).name
    found: list[Tampering] = []
    if name in CONFIG_FILES:
        if name == "pyproject.toml":
            weakened = _new_config_skip(old, new)
        else:
            weakened = bool(set(CONFIG_SKIP.findall(new)) - set(CONFIG_SKIP.findall(old or "")))
        if weakened:
            found.append(Tampering(path, "test configuration now ignores or deselects tests"))
        if name != "conftest.py":
            return found
    after_shape = test_shape(new)
    if not new.strip() and (old is None or old.strip()):
        return [*found, Tampering(path, "test file emptied")]
    if old is None:
        if after_shape.skips:
            found.append(Tampering(path, "test file written with skip/xfail markers"))
        if after_shape.constant_asserts:
            found.append(Tampering(path, "test file asserts a constant (assert True)"))
        return found
    before_shape = test_shape(old)
    if not before_shape.parsed:
        return found
    if not after_shape.parsed:
        return [*found, Tampering(path, "test file no longer parses")]
    removed = sorted(set(before_shape.asserts) - set(after_shape.asserts))
    if removed:
        found.append(Tampering(path, f"test functions removed: {', '.join(removed)}"))
    fewer = sorted(
        name
        for name, count in before_shape.asserts.items()
        if name in after_shape.asserts and after_shape.asserts[name] < count
    )
    if fewer:
        found.append(Tampering(path, f"assertions removed from: {', '.join(fewer)}"))
    if after_shape.skips > before_shape.skips:
        found.append(Tampering(path, "skip/xfail markers added"))
    if after_shape.constant_asserts > before_shape.constant_asserts:
        found.append(Tampering(path, "constant assertions added (assert True)"))
    return found


def _new_config_skip(old: str | None, new: str) -> bool:
    """pyproject.toml: only its pytest section matters; an added ignore/deselect weakens tests."""

    def pytest_part(text: str) -> str:
        match = re.search(r"\[tool\.pytest[^\]]*\](.*?)(\n\[|\Z)", text, re.S)
        return match.group(1) if match else ""

    before = set(CONFIG_SKIP.findall(pytest_part(old or "")))
    return bool(set(CONFIG_SKIP.findall(pytest_part(new))) - before)


def command_tampering(command: str) -> list[Tampering]:
    """Test files a shell command deletes, moves away, truncates or edits in place."""
    found: list[Tampering] = []
    for segment in re.split(r"&&|\|\||;|\|", command):
        try:
            words = shlex.split(segment)
        except ValueError:
            words = segment.split()
        if not words:
            continue
        # Output redirection onto a test file (`> tests/test_x.py`) truncates it.
        for match in re.finditer(r">\s*([^\s;&|]+)", segment):
            if is_test_path(_norm(match.group(1))):
                found.append(
                    Tampering(match.group(1), f"overwritten by a redirect in `{segment.strip()}`")
                )
        if re.search(r"\b(remove|unlink|rmtree|rmdir)\b", segment) and re.search(
            r"test_\w*\.py|\btests?/|conftest\.py", segment
        ):
            found.append(Tampering(segment.strip(), "a command removes test files"))
            continue
        program = PurePosixPath(words[0]).name
        args = [w for w in words[1:] if not w.startswith("-")]
        if program == "git":
            if args[:1] == ["rm"]:
                targets = args[1:]
            elif args[:1] == ["mv"]:
                targets = args[1:-1]
            else:
                continue
        elif program == "sed" and any(w.startswith("-i") or w == "--in-place" for w in words):
            targets = args[1:]
        elif program == "mv":
            targets = args[:-1]
        elif program in REMOVING_COMMANDS:
            targets = args
        else:
            continue
        for target in targets:
            if is_test_path(_norm(target)) or _norm(target).rstrip("/") in ("tests", "test"):
                verb = "edited in place" if program == "sed" else "deleted or moved"
                found.append(Tampering(target, f"{verb} by `{segment.strip()}`"))
    return found


def trace_tampering(trace: dict[str, Any]) -> list[Tampering]:
    """Every way the trace's successful tool calls weakened the tests."""
    known: dict[str, str] = {}
    found: list[Tampering] = []
    for call in _calls(trace):
        tool = str(call.get("tool") or "")
        arguments = _arguments(call)
        path = _norm(arguments.get("path"))
        if tool in READ_TOOLS and _succeeded(call) and isinstance(call.get("result"), str) and path:
            known.setdefault(path, call["result"])
            continue
        if not _succeeded(call):
            continue
        if tool in WRITE_TOOLS and path:
            content = arguments.get("content")
            if not isinstance(content, str):
                continue
            if is_test_path(path) or PurePosixPath(path).name in CONFIG_FILES:
                found.extend(compare_tests(path, known.get(path), content))
            known[path] = content
        elif DELETE_TOOL_PATTERN.search(tool):
            for value in _paths(arguments):
                if is_test_path(value):
                    found.append(Tampering(value, f"deleted by {tool}"))
        elif tool in COMMAND_TOOLS and isinstance(arguments.get("command"), str):
            found.extend(command_tampering(arguments["command"]))
    return found


def _paths(arguments: dict[str, Any]) -> Iterable[str]:
    for key in ("path", "paths", "source", "src"):
        value = arguments.get(key)
        if isinstance(value, str):
            yield _norm(value)
        elif isinstance(value, list):
            yield from (_norm(v) for v in value if isinstance(v, str))


def _calls(trace: dict[str, Any]) -> list[dict[str, Any]]:
    calls = trace.get("tool_calls")
    return [c for c in calls if isinstance(c, dict)] if isinstance(calls, list) else []


def validation_failures(
    trace: dict[str, Any], tampering: list[Tampering] | None = None
) -> list[str]:
    """Why a trace does not count as validated (empty when it does).

    It must have the host's `validation_passed`, end normally (`end_turn`), have its last
    snippet run cleanly (when it ran any), leave every test intact, and turn no requirement
    from passing to failing (the `spec_status` the host recorded).

    Args:
        trace: The trace record.
        tampering: `trace_tampering(trace)` when the caller has it already.
    """
    reasons = []
    if trace.get("validation_passed") is not True:
        reasons.append("host validation did not pass")
    outcome = trace.get("outcome")
    if outcome not in (None, "end_turn"):
        reasons.append(f"prompt ended with {outcome}")
    snippets = [s for s in trace.get("snippets") or [] if isinstance(s, dict)]
    if snippets:
        result = snippets[-1].get("result")
        last = result if isinstance(result, dict) else {}
        if last.get("ok") is False or last.get("error"):
            reasons.append("the last snippet failed")
    found = trace_tampering(trace) if tampering is None else tampering
    reasons.extend(f"tests weakened: {t}" for t in found)
    from punie_core.specs.traces import regressions

    # The host's spec_status (docs/specs.md): a requirement that passed before the work and
    # fails after it is broken by the trace, whatever else passed.
    reasons.extend(f"spec: {rid} went from passing to failing" for rid in regressions(trace))
    return reasons


def is_validated(trace: dict[str, Any]) -> bool:
    """True when the host recorded a validated run and the trace did not weaken any test."""
    return not validation_failures(trace)
