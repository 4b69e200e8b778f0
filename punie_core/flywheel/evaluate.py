"""Run eval tasks through the real agent and sandbox (`Session`) and measure by running checks.

Each task gets a fresh copy of its project fixture and a fresh session whose permissions
approve ordinary writes and commands (never sensitive paths). The model's snippets and tool
calls are collected from the session's events; then every check of the task runs against
the project. Metrics per task: pass, tools used vs expected, typed field reads, retries
(snippets that failed and had to be redone), requests, tokens, wall time.

Eval prompts are not written to the trace collection by default: eval tasks must not leak
into training data (`--traces` keeps them).
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from punie_core.flywheel.checks import CheckResult, Evidence, run_check
from punie_core.flywheel.fields import ResultTypes, analyze
from punie_core.flywheel.tasks import Task
from punie_core.models.config import load_config


@dataclass
class TaskRun:
    """The result of one task."""

    id: str
    expects: str
    tags: list[str]
    passed: bool
    checks: list[CheckResult]
    used_tools: bool
    snippets: int
    snippets_failed: int
    snippet_errors: list[str]
    typed_snippets: int
    reading_snippets: int
    tool_calls: int
    requests: int
    input_tokens: int
    output_tokens: int
    wall_s: float
    stop_reason: str
    error: str | None
    output: str

    @property
    def discriminated(self) -> bool:
        """True when the model used tools exactly when the task needs them."""
        return self.used_tools == (self.expects == "tools")

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "expects": self.expects,
            "tags": self.tags,
            "passed": self.passed,
            "checks": [c.as_dict() for c in self.checks],
            "used_tools": self.used_tools,
            "discriminated": self.discriminated,
            "snippets": self.snippets,
            "retries": self.snippets_failed,
            "snippet_errors": self.snippet_errors,
            "typed_snippets": self.typed_snippets,
            "reading_snippets": self.reading_snippets,
            "tool_calls": self.tool_calls,
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "wall_s": round(self.wall_s, 3),
            "stop_reason": self.stop_reason,
            "error": self.error,
            "output": self.output[:2000],
        }


def summarize(runs: list[TaskRun]) -> dict[str, Any]:
    """Pass rate, discrimination, field access, retries, requests, tokens, time."""
    n = len(runs)

    def rate(part: float, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    tool_tasks = [r for r in runs if r.expects == "tools"]
    direct_tasks = [r for r in runs if r.expects == "direct"]
    typed = sum(r.typed_snippets for r in runs)
    return {
        "tasks": n,
        "passed": sum(r.passed for r in runs),
        "pass_rate": rate(sum(r.passed for r in runs), n),
        "discrimination": {
            "accuracy": rate(sum(r.discriminated for r in runs), n),
            "tools_when_needed": rate(sum(r.used_tools for r in tool_tasks), len(tool_tasks)),
            "direct_when_enough": rate(
                sum(not r.used_tools for r in direct_tasks), len(direct_tasks)
            ),
        },
        "field_access_rate": rate(sum(r.reading_snippets for r in runs), typed),
        "retries_per_task": rate(sum(r.snippets_failed for r in runs), n),
        "requests_per_task": rate(sum(r.requests for r in runs), n),
        "input_tokens_per_task": rate(sum(r.input_tokens for r in runs), n),
        "output_tokens_per_task": rate(sum(r.output_tokens for r in runs), n),
        "wall_s": round(sum(r.wall_s for r in runs), 2),
        "wall_s_per_task": rate(round(sum(r.wall_s for r in runs), 3), n),
        "errors": sum(r.stop_reason == "error" for r in runs),
    }


@dataclass
class _Collector:
    """Snippets and their outcomes from a session's events."""

    codes: list[str] = field(default_factory=list)
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def __call__(self, event: object) -> None:
        from punie_core.plugins.events import SnippetFinished, SnippetStarted

        if isinstance(event, SnippetStarted):
            self.codes.append(event.code)
        elif isinstance(event, SnippetFinished):
            result = event.result
            if not getattr(result, "ok", True):
                self.failed += 1
                error = getattr(result, "error", None)
                if error is not None:
                    line = f" (line {error.line})" if getattr(error, "line", None) else ""
                    self.errors.append(f"{error.type}: {error.message}{line}"[:500])


EVAL_SETTINGS = {"temperature": 0.0, "max_tokens": 1024}
"""Sampling for evals (the config's `[settings]` overrides them): greedy, so runs compare, and
a bound on a reply, so a model that rambles costs at most this much time per request."""


class ThrowawayCopy:
    """Approve every request, sensitive paths included: the task's project is a temporary copy.

    `--yes` (`AutoApprove`) leaves sensitive files (requirements, settings, hooks) to a person;
    in an eval the person who runs it decided, and nothing outside the copy is reachable
    (the workspace still confines every path).
    """

    async def approve(self, request: Any) -> bool:
        return True


async def run_task(
    task: Task,
    model: Any,
    workdir: Path,
    types: ResultTypes,
    *,
    traces: bool = False,
    toolbox: Any = None,
) -> TaskRun:
    """Run one task in a fresh copy of its project and judge it."""
    from punie_core.agent.session import Session
    from punie_core.plugins.context import ToolContext
    from punie_core.security.workspace import Workspace

    project = workdir / task.id
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(task.project, project)
    context = ToolContext(workspace=Workspace.at(project), permissions=ThrowawayCopy())
    session = Session(
        cwd=project,
        model=model,
        context=context,
        toolbox=toolbox,
        traces=traces,
        settings=EVAL_SETTINGS,
    )
    collector = _Collector()
    session.subscribe(collector)
    started = time.perf_counter()
    try:
        outcome = await asyncio.wait_for(session.prompt(task.prompt), task.timeout)
        stop_reason, error, output = outcome.stop_reason, outcome.error, outcome.output
        requests, usage, tool_calls = outcome.requests, outcome.usage, outcome.tool_calls
    except TimeoutError:
        stop_reason, error, output = "error", f"timed out after {task.timeout:g} s", ""
        requests, usage, tool_calls = 0, {}, []
    finally:
        wall = time.perf_counter() - started
        await session.aclose()
    reads: set[tuple[str, str, str]] = set()
    typed = reading = 0
    for code in collector.codes:
        access = analyze(code, types)
        if access.counts:
            typed += 1
            reading += access.reads_fields
        reads |= access.tool_reads
    evidence = Evidence(
        project=project,
        fixture=task.project,
        output=output or "",
        snippets=collector.codes,
        tool_calls=list(tool_calls),
        reads=reads,
    )
    checks = [
        await asyncio.to_thread(run_check, kind, spec, evidence) for kind, spec in task.checks
    ]
    return TaskRun(
        id=task.id,
        expects=task.expects,
        tags=list(task.tags),
        passed=all(c.ok for c in checks),
        checks=checks,
        used_tools=evidence.used_tools,
        snippets=len(collector.codes),
        snippets_failed=collector.failed,
        snippet_errors=collector.errors,
        typed_snippets=typed,
        reading_snippets=reading,
        tool_calls=len(tool_calls),
        requests=requests,
        input_tokens=int(usage.get("input_tokens", 0)),
        output_tokens=int(usage.get("output_tokens", 0)),
        wall_s=wall,
        stop_reason=stop_reason,
        error=error,
        output=output or "",
    )


async def run_eval(
    tasks: list[Task],
    model: Any,
    *,
    label: str,
    traces: bool = False,
    keep: Path | None = None,
    on_task: Callable[[TaskRun, int, int], None] | None = None,
    on_start: Callable[[Task, int, int], None] | None = None,
) -> dict[str, Any]:
    """Run every task against `model`; return the results document.

    Args:
        tasks: The tasks, run one after another.
        model: A Punie model string (or pydantic-ai model).
        label: The model's name in the results.
        traces: Write traces of the eval prompts.
        keep: Keep each task's project here (a temporary folder otherwise).
        on_task: Called after each task with `(run, done, total)`.
        on_start: Called before each task with `(task, index, total)`.
    """
    from punie_core.plugins.loader import load_toolbox

    toolbox = load_toolbox()
    types = ResultTypes.from_toolbox(toolbox)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    runs: list[TaskRun] = []
    with tempfile.TemporaryDirectory(prefix="punie-eval-") as temporary:
        workdir = keep or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        for index, task in enumerate(tasks, 1):
            if on_start is not None:
                on_start(task, index, len(tasks))
            run = await run_task(task, model, workdir, types, traces=traces, toolbox=toolbox)
            runs.append(run)
            if on_task is not None:
                on_task(run, index, len(tasks))
    return {
        "schema": 1,
        "model": label,
        "started": started,
        "settings": {**EVAL_SETTINGS, **load_config().settings},
        "summary": summarize(runs),
        "tasks": [r.as_dict() for r in runs],
    }
