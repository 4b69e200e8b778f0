"""Eval checks: each one runs something against the project the model worked in.

* `file` (`path`, `exists` true, `contains`/`not_contains` regexes, `defines` names): the file
  is there (or not) with those properties; `defines` parses it.
* `unchanged` (`paths`): the files are byte-identical to the fixture (tests not touched).
* `command` (`run`, where `{python}` is this interpreter; `exit_code` 0; `output` regex): the
  command, run in the project, exits so.
* `tests_pass` (`args`): `{python} -m pytest -q ARGS` exits 0 in the project.
* `validator_clean` (`paths`): `punie check PATHS` finds nothing.
* `field_read` (`tool`, `field`, both optional): a snippet read a field of a typed result.
* `answer` (`matches`, `not_matches` regexes): the final answer matches.
* `tools_used` (`expected` bool): the model did (or did not) call tools.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMMAND_TIMEOUT = 120.0


@dataclass
class Evidence:
    """What a run left behind, for the checks to judge.

    Attributes:
        project: The project folder the model worked in.
        fixture: The untouched fixture it was copied from.
        output: The model's final answer.
        snippets: Code of every snippet run.
        tool_calls: Every tool call (direct or from a snippet): tool, ok, ...
        reads: `(tool, noun, field)` of every typed field read by a snippet.
    """

    project: Path
    fixture: Path
    output: str = ""
    snippets: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    reads: set[tuple[str, str, str]] = field(default_factory=set)

    @property
    def used_tools(self) -> bool:
        return bool(self.snippets or self.tool_calls)


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check."""

    kind: str
    ok: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ok": self.ok, "detail": self.detail}


def _inside(project: Path, relative: str) -> Path:
    path = (project / relative).resolve()
    if not path.is_relative_to(project.resolve()):
        raise ValueError(f"check path {relative!r} leaves the project")
    return path


def _regexes(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def check_file(spec: dict[str, Any], evidence: Evidence) -> tuple[bool, str]:
    path = _inside(evidence.project, spec["path"])
    if not spec.get("exists", True):
        return (not path.exists(), f"{spec['path']} exists" if path.exists() else "")
    if not path.is_file():
        return False, f"{spec['path']} does not exist"
    text = path.read_text(encoding="utf-8", errors="replace")
    for pattern in _regexes(spec.get("contains")):
        if not re.search(pattern, text, re.M):
            return False, f"{spec['path']} does not match {pattern!r}"
    for pattern in _regexes(spec.get("not_contains")):
        if re.search(pattern, text, re.M):
            return False, f"{spec['path']} still matches {pattern!r}"
    names = _regexes(spec.get("defines"))
    if names:
        try:
            tree = ast.parse(text)
        except SyntaxError as exc:
            return False, f"{spec['path']} does not parse: {exc.msg} (line {exc.lineno})"
        defined = {
            node.name
            for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        } | {
            t.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name)
        }
        missing = [n for n in names if n not in defined]
        if missing:
            return False, f"{spec['path']} does not define {', '.join(missing)}"
    return True, ""


def check_unchanged(spec: dict[str, Any], evidence: Evidence) -> tuple[bool, str]:
    changed = []
    for relative in _regexes(spec.get("paths")):
        before = _inside(evidence.fixture, relative)
        after = _inside(evidence.project, relative)
        if not after.is_file() or after.read_bytes() != before.read_bytes():
            changed.append(relative)
    return (not changed, f"changed or removed: {', '.join(changed)}" if changed else "")


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.pop("PYTHONPATH", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_in_project(
    command: str, project: Path, timeout: float = COMMAND_TIMEOUT
) -> tuple[int | None, str]:
    """Run a shell command in the project (`{python}`: this interpreter); `(exit code, output)`."""
    command = command.replace("{python}", shlex.quote(sys.executable))
    try:
        completed = subprocess.run(
            command,
            shell=True,
            cwd=project,
            env=_environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout:g} s"
    return completed.returncode, (completed.stdout + completed.stderr)


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def check_command(spec: dict[str, Any], evidence: Evidence) -> tuple[bool, str]:
    code, output = run_in_project(
        spec["run"], evidence.project, float(spec.get("timeout", COMMAND_TIMEOUT))
    )
    expected = int(spec.get("exit_code", 0))
    if code != expected:
        return False, f"exit {code} (expected {expected}): {_tail(output)}"
    for pattern in _regexes(spec.get("output")):
        if not re.search(pattern, output, re.M):
            return False, f"output does not match {pattern!r}: {_tail(output)}"
    return True, ""


def check_tests_pass(spec: dict[str, Any], evidence: Evidence) -> tuple[bool, str]:
    args = spec.get("args", "")
    code, output = run_in_project(
        f"{{python}} -m pytest -q -p no:cacheprovider {args}", evidence.project
    )
    return (code == 0, "" if code == 0 else f"pytest exit {code}: {_tail(output)}")


def check_validator_clean(spec: dict[str, Any], evidence: Evidence) -> tuple[bool, str]:
    paths = " ".join(shlex.quote(p) for p in _regexes(spec.get("paths")) or ["."])
    code, output = run_in_project(f"{{python}} -m punie_core.cli check {paths}", evidence.project)
    return (code == 0, "" if code == 0 else f"punie check exit {code}: {_tail(output)}")


def check_field_read(spec: dict[str, Any], evidence: Evidence) -> tuple[bool, str]:
    tool, name = spec.get("tool"), spec.get("field")
    for read_tool, _noun, read_field in evidence.reads:
        if (tool is None or tool == read_tool) and (name is None or name == read_field):
            return True, ""
    wanted = " ".join(
        x for x in (f"tool {tool}" if tool else "", f"field {name}" if name else "") if x
    )
    return False, "no snippet read a typed result field" + (f" ({wanted})" if wanted else "")


def check_answer(spec: dict[str, Any], evidence: Evidence) -> tuple[bool, str]:
    for pattern in _regexes(spec.get("matches")):
        if not re.search(pattern, evidence.output, re.M):
            return False, f"answer does not match {pattern!r}: {evidence.output[:200]!r}"
    for pattern in _regexes(spec.get("not_matches")):
        if re.search(pattern, evidence.output, re.M):
            return False, f"answer matches {pattern!r}"
    return True, ""


def check_tools_used(spec: dict[str, Any], evidence: Evidence) -> tuple[bool, str]:
    expected = bool(spec.get("expected", True))
    if evidence.used_tools == expected:
        return True, ""
    return False, "used tools" if evidence.used_tools else "answered without tools"


CHECKS: dict[str, Callable[[dict[str, Any], Evidence], tuple[bool, str]]] = {
    "file": check_file,
    "unchanged": check_unchanged,
    "command": check_command,
    "tests_pass": check_tests_pass,
    "validator_clean": check_validator_clean,
    "field_read": check_field_read,
    "answer": check_answer,
    "tools_used": check_tools_used,
}


def run_check(kind: str, spec: dict[str, Any], evidence: Evidence) -> CheckResult:
    """Run one check; a broken check (bad regex, missing option) fails with the reason."""
    try:
        ok, detail = CHECKS[kind](spec, evidence)
    except (KeyError, ValueError, re.error, OSError) as exc:
        return CheckResult(kind, False, f"check error: {type(exc).__name__}: {exc}")
    return CheckResult(kind, ok, detail)
