"""The checks a model-written tool passes before it joins the toolbox.

In order: `parse`, `signature` (one annotated, documented function calling only tools, nouns and
safe builtins; no shadowing), `typecheck` (Monty's checker against the stubs the model sees),
`tests` (at least two model-written snippets with asserts, run in the sandbox with the real tools
behind the gate), `lint` (ruff, isolated from the project's configuration) and `replay` (the
earlier snippet of this session that defined the same function, run again with the draft, gives
the output the model saw). The host only parses; all code runs in Monty.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from punie_core.plugins.context import ToolContext
from punie_core.plugins.toolbox import Toolbox
from punie_core.sandbox.results import CodeResult, Limits
from punie_core.sandbox.runner import execute_code
from punie_core.toolmaking.nouns import CheckKind, ToolCheck
from punie_core.toolmaking.source import (
    CALLABLE_BUILTINS,
    UNSAFE_BUILTINS,
    DraftError,
    ToolSource,
    parse_source,
    read_tool,
)

MADE_BY = frozenset({"draft", "library"})
"""`Tool.plugin` of model-written tools: only these may be replaced by a new version."""

CHECK_LIMITS = Limits(wall_seconds=5.0)
"""Limits for running a draft's tests: a snippet's, with less time (a loop fails sooner)."""

MIN_TESTS = 2
LINT_TIMEOUT = 20.0


@dataclass
class CheckRun:
    """The checks of one draft as they run."""

    checks: list[ToolCheck] = field(default_factory=list)
    shape: ToolSource | None = None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def add(self, kind: CheckKind, ok: bool, message: str) -> bool:
        self.checks.append(ToolCheck(kind=kind, ok=ok, message=message))
        return ok


@dataclass(frozen=True)
class Snippet:
    """A snippet this session ran, kept for the replay check."""

    code: str
    result: CodeResult


async def check_draft(
    name: str,
    source: str,
    tests: list[str],
    *,
    toolbox: Toolbox,
    context: ToolContext,
    history: Iterable[Snippet] = (),
) -> CheckRun:
    """Run every check on a draft; stop at the first of parse, signature or typecheck that fails.

    Args:
        name: The tool's name.
        source: Its source.
        tests: The model's test snippets.
        toolbox: The toolbox it will join (tools, nouns and stubs it is checked against).
        context: Where the tests' tool calls run (the session's: the gate asks as usual).
        history: This session's earlier snippets, newest last.
    """
    run = CheckRun()
    try:
        parse_source(source)
    except DraftError as exc:
        run.add("parse", False, str(exc))
        return run
    run.add("parse", True, "valid Python")
    try:
        _check_name(name, toolbox)
        nouns = {noun.name: noun.model for noun in toolbox.nouns}
        run.shape = read_tool(source, name, tools={t.name for t in toolbox.tools}, nouns=nouns)
    except DraftError as exc:
        run.add("signature", False, str(exc))
        return run
    run.add("signature", True, "one annotated, documented function")
    # Ruff is a separate process: it runs while the sandbox checks.
    linted = asyncio.ensure_future(lint(source, name))
    try:
        checked = await execute_code(source, toolbox=toolbox, context=context, limits=CHECK_LIMITS)
        if checked.error is not None:
            run.add("typecheck", False, f"{checked.error.type}: {checked.error.message}")
            return run
        run.add("typecheck", True, "checked against the stubs")
        await _check_tests(run, source, tests, toolbox, context)
        run.add("lint", *await linted)
        run.add("replay", *await replay(name, source, toolbox, context, history))
    finally:
        linted.cancel()
    return run


def _check_name(name: str, toolbox: Toolbox) -> None:
    for tool in toolbox.tools:
        if tool.name == name and tool.plugin not in MADE_BY:
            owner = "core" if tool.plugin == "core" else f"{tool.plugin!r} plugin"
            raise DraftError(f"{name!r} is a {owner} tool: a made tool can never replace it")
    if name in {noun.name for noun in toolbox.nouns} or name in ("execute_code",):
        raise DraftError(f"{name!r} is taken")
    if name in CALLABLE_BUILTINS or name in UNSAFE_BUILTINS:
        raise DraftError(f"{name!r} is a Python builtin the snippets rely on")


async def _check_tests(
    run: CheckRun, source: str, tests: list[str], toolbox: Toolbox, context: ToolContext
) -> None:
    if len(tests) < MIN_TESTS:
        run.add(
            "tests",
            False,
            f"give at least {MIN_TESTS} tests (snippets with asserts), got {len(tests)}",
        )
        return
    offset = source.rstrip().count("\n") + 2
    for number, test in enumerate(tests, 1):
        if "assert" not in test:
            run.add("tests", False, f"test {number} has no assert")
            return
        code = f"{source.rstrip()}\n\n{test}"
        result = await execute_code(code, toolbox=toolbox, context=context, limits=CHECK_LIMITS)
        if result.error is not None:
            error = result.error
            line = f" line {error.line - offset}" if error.line and error.line > offset else ""
            run.add("tests", False, f"test {number}{line}: {error.type}: {error.message}")
            return
    run.add("tests", True, f"{len(tests)} tests passed")


async def lint(source: str, name: str) -> tuple[bool, str]:
    """Ruff on the source, isolated from any project configuration (Punie's own ruff).

    Undefined names are the type checker's job: the tools are not defined in the source itself.
    """
    try:
        from ruff import find_ruff_bin
    except ImportError:
        return True, "skipped: ruff is not installed (it comes with punie-quality)"
    process = await asyncio.create_subprocess_exec(
        find_ruff_bin(),
        "check",
        "--isolated",
        "--no-cache",
        "--ignore",
        "F821",
        "--output-format",
        "concise",
        "--stdin-filename",
        f"{name}.py",
        "-",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(LINT_TIMEOUT):
            output, _ = await process.communicate(source.encode("utf-8"))
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        return False, f"ruff took longer than {LINT_TIMEOUT:g} s"
    if process.returncode == 0:
        return True, "ruff: clean"
    findings = [line for line in output.decode(errors="replace").splitlines() if ":" in line]
    return False, "ruff: " + "; ".join(f.split(":", 1)[1].strip() for f in findings[:3])


async def replay(
    name: str, source: str, toolbox: Toolbox, context: ToolContext, history: Iterable[Snippet]
) -> tuple[bool, str]:
    """Run the latest earlier snippet that defined `name` again, with the draft in its place."""
    for snippet in reversed(list(history)):
        spliced = _spliced(snippet.code, name, source)
        if spliced is None or not snippet.result.ok:
            continue
        if not _replayable(snippet.result, toolbox):
            return True, "skipped: the snippet that defined it changed files or ran commands"
        again = await execute_code(spliced, toolbox=toolbox, context=context, limits=CHECK_LIMITS)
        before = (snippet.result.stdout, snippet.result.value)
        after = (again.stdout, again.value)
        if again.error is None and before == after:
            return True, "the snippet that motivated it gives the same output with the draft"
        got = f"{again.error.type}: {again.error.message}" if again.error else _shown(after)
        return False, f"replaying the earlier snippet gave {got}, not {_shown(before)}"
    return True, f"nothing to replay: no earlier snippet in this session defined {name}"


def _spliced(code: str, name: str, source: str) -> str | None:
    """`code` with its top-level `def name` replaced by `source`, or None when it has none."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name and node.end_lineno:
            lines = code.splitlines()
            start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
            return "\n".join([*lines[:start], source.rstrip(), *lines[node.end_lineno :]])
    return None


def _replayable(result: CodeResult, toolbox: Toolbox) -> bool:
    for call in result.tool_calls:
        with contextlib.suppress(LookupError):
            if toolbox.tool(call.tool).needs_permission:
                return False
    return True


def _shown(output: tuple[str, Any]) -> str:
    stdout, value = output
    text = repr(stdout.strip()) if stdout.strip() else ""
    return (text + (f" and value {value!r}" if value is not None else "")).strip() or "no output"
