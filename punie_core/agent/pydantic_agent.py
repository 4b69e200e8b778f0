"""The pydantic-ai agent: Code Mode's `execute_code`, the core's direct tools, recovery, retries.

`create_pydantic_agent(model, toolbox=...)` builds an `Agent[RunDeps, str]` whose tools all run
through `Toolbox.call` (the gate) in the run's `ToolContext`:

- `execute_code(code)` runs a snippet in the Monty sandbox (`punie_core.sandbox.runner`); a snippet
  that fails its type check or does not parse goes back to the model as a retry with the
  sandbox's own error text;
- it is the only tool definition sent: a call to any toolbox tool (structured, or written as
  text: fenced JSON, a ```python block) runs through Code Mode (`punie_core.agent.recovery`);
  unreadable calls, invented tools and empty `finish_reason: tool_calls` replies get a retry
  message, within a bounded budget; a wrong argument name gets the tool's stub once; the same
  failing snippet sent REPEAT_STOP times ends the prompt with a reason.

With the `blocks` tool format (the small models Punie serves itself) no tool definition is sent:
the model writes ```python blocks (`punie_core.agent.code_blocks`), Punie reads the files a
request names before the model's first reply, and applies a fix shown as code to the file it
was shown (`punie_core.agent.apply`).

Sessions (`punie_core.agent.session`) drive it and import this module only when a prompt runs, so
importing pydantic-ai here keeps the CLI's start-up light.
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel
from pydantic_ai import Agent, ModelRetry, RunContext, Tool
from pydantic_ai.capabilities import Hooks
from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart

from punie_core.agent.apply import apply_shown_code, asks_for_a_change
from punie_core.agent.blocks import APPLY, LOOK
from punie_core.agent.code_blocks import (
    CodeBlockModel,
    first_look,
    opens_with_code,
    user_text_of,
    with_prefill,
)
from punie_core.agent.idioms import rewrite_idioms
from punie_core.agent.recovery import (
    CODE_TOOL,
    Callables,
    RecoveredCall,
    about_the_project,
    as_code_mode,
    asks_to_show_code,
    coerce_arguments,
    project_paths,
    recover_tool_calls,
)
from punie_core.agent.traces import to_jsonable
from punie_core.plugins.context import ToolContext, using_context
from punie_core.plugins.events import SnippetFinished, SnippetStarted, UsageUpdate
from punie_core.plugins.loader import load_toolbox
from punie_core.plugins.prompt import example_copied, system_prompt
from punie_core.sandbox.results import NOT_RUN
from punie_core.sandbox.runner import execute_code as run_snippet
from punie_core.security.workspace import PROTECTED_PARTS
from punie_core.specs.index import context_index

if TYPE_CHECKING:
    from punie_core.plugins.toolbox import Toolbox

Mode = Literal["code", "direct", "chat"]

EMBEDDED_INTRO = """\
You are Punie, a coding assistant for Python web projects, running on a tiny local model with no
tools. Answer the user's question briefly, using only the project overview below."""

EMBEDDED_SETTINGS = {"max_tokens": 200, "temperature": 0.2, "frequency_penalty": 0.3}
"""Sampling for the embedded 135M model: short answers, and a penalty so it does not loop."""

OVERVIEW_LIMIT = 40

DIRECT_INTRO = """\
You are Punie, a coding agent for Python web projects. You work in the user's project by calling
the tools: call a tool, read its result, then decide the next step. When done, answer in plain
text."""

SHOWN_CODE_NUDGE = (
    "Your reply shows code, but no tool ran, so nothing in the project changed or was checked. "
    "If the user asked you to change, create or check something, do it now: run Python that "
    "calls the tools (read_file, then write_file(path=..., content=...) with the whole new "
    "text){example}. If showing the code was the whole answer, send that answer again."
)
"""Sent once per prompt when a Code Mode reply only shows code before any tool ran."""


def wrote_a_file(snippets: list[dict[str, Any]]) -> bool:
    """Whether a snippet of this prompt wrote a file (a `write_file` call that succeeded)."""
    return any(
        call.get("tool") == "write_file" and call.get("ok")
        for snippet in snippets
        for call in snippet["result"].get("tool_calls") or []
    )


def shown_code_nudge(user_text: str) -> str:
    """SHOWN_CODE_NUDGE, with the call for the first file the user's message names."""
    paths = project_paths(user_text)
    example = f"; for {paths[0]}: write_file(path={paths[0]!r}, content=...)" if paths else ""
    return SHOWN_CODE_NUDGE.format(example=example)


UNCHECKED_ANSWER_NUDGE = (
    "You answered without using any tool, so nothing was looked at. Check the project first: "
    "run Python that calls the tools and prints what you need, then answer "
    "from what they return. If the answer truly needs no tool, send it again."
)
"""Sent once per prompt when a question about the project is answered before any tool ran."""

EMPTY_TOOL_CALL_RETRY = (
    "Your reply ended as a tool call, but no tool call arrived (the server could not read it). "
    'Call the tool again with a JSON object of arguments, e.g. {"name": "execute_code", '
    '"arguments": {"code": "print(1)"}}, or answer in plain text.'
)


@dataclass
class RunDeps:
    """What the tools and hooks of one prompt share (pydantic-ai `deps`).

    Attributes:
        session_id: The session's id (stamped on events).
        context: The `ToolContext` every tool call runs in.
        toolbox: The toolbox (the gate).
        emit: Sends events to the session's subscribers.
        limits: Sandbox limits (None: the sandbox's defaults).
        sandbox: The session's `Sandbox` (it keeps a warm Monty session ready; each snippet
            still runs in a fresh one, so no variable carries over to the next snippet), or a
            function that makes it on first use (so a prompt that runs no code never starts
            one); None uses the process-wide pool (`punie_core.sandbox.runner.execute_code`).
        snippets: Every snippet run, with its result (for the trace).
        tool_definitions: The OpenAI tool definitions of the last request (for the trace).
        requests: Model requests made.
        input_tokens: Prompt tokens so far.
        output_tokens: Completion tokens so far.
        model_ms: Time spent waiting for model responses.
        tool_ms: Time spent running the model's tool calls.
        retries: Retry messages sent to the model (bad snippets, unreadable tool calls).
        recovered: Tool calls recovered from text.
        on_request: Called when a model request starts (the session shows "thinking").
        failures: How often each failing snippet (by its code) failed in this prompt.
        shown_stubs: Tools whose stub a retry already showed the model.
        nudges: Nudge a first answer that shows code or guesses before any tool ran (on for
            the small models Punie serves itself; `nudges` in the config).
        nudged: That nudge was sent (once per prompt).
        tool_format: `tools` or `blocks` (the model writes ```python blocks: `agent.code_blocks`).
        user_text: The user's message of this prompt (retry and nudge messages are not it).
        looked: Punie read the files the message names before the model's first reply
            (`agent.code_blocks.first_look`).
        shown_files: The files that look showed (a block shown for one of them may be applied
            to it: `agent.apply`).
    """

    session_id: str
    context: ToolContext
    toolbox: Toolbox
    emit: Callable[[object], None] = lambda event: None
    limits: Any = None
    sandbox: Any = None
    snippets: list[dict[str, Any]] = field(default_factory=list)
    tool_definitions: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    model_ms: float = 0.0
    tool_ms: float = 0.0
    retries: int = 0
    recovered: int = 0
    on_request: Callable[[], None] = lambda: None
    failures: dict[str, int] = field(default_factory=dict)
    shown_stubs: set[str] = field(default_factory=set)
    nudges: bool = False
    nudged: bool = False
    tool_format: str = "tools"
    user_text: str = ""
    looked: bool = False
    shown_files: list[str] = field(default_factory=list)
    _request_started: float = 0.0


def render_result(value: Any) -> str:
    """The text a direct tool's result shows the model: str for text, the noun's own str or JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return "None"

    if isinstance(value, BaseModel):
        if type(value).__str__ is not BaseModel.__str__:
            return str(value)
        return value.model_dump_json()
    if isinstance(value, (list, tuple, dict, int, float, bool)):
        return json.dumps(to_jsonable(value), ensure_ascii=False)
    return str(value)


async def execute_code(ctx: RunContext[RunDeps], code: str) -> str:
    """Run Python code in the sandbox; the tools are plain functions there. Print what you need.

    Args:
        code: Python (the Code Mode subset) that calls the tools and prints results.
    """
    deps: RunDeps = ctx.deps
    # Small models often indent the whole snippet (copied from inside a JSON string or a block),
    # write open() and import the tools out of habit: run what they meant (`agent.idioms`).
    code = textwrap.dedent(code).strip("\n") if code[:1] in (" ", "\t", "\n") else code
    written = code  # what the model wrote: repeats are counted and reported on this
    if deps.toolbox is not None:
        code = rewrite_idioms(code, toolbox_schemas(deps.toolbox)).code
    copied = example_copied(code, lambda path: _exists(deps.context.workspace, path))
    if copied is not None:
        deps.retries += 1
        raise ModelRetry(copied)
    call_id = ctx.tool_call_id or f"snippet_{uuid.uuid4().hex[:8]}"
    deps.emit(SnippetStarted(deps.session_id, call_id, code))
    if callable(deps.sandbox):
        deps.sandbox = deps.sandbox()
    if deps.sandbox is not None:
        result = await deps.sandbox.run(code, deps.context)
    else:
        result = await run_snippet(
            code, toolbox=deps.toolbox, context=deps.context, limits=deps.limits
        )
    deps.emit(SnippetFinished(deps.session_id, call_id, result))
    deps.snippets.append({"code": code, "result": result.model_dump(mode="json")})
    text = result.for_model()
    key = " ".join(written.split())
    deps.failures[key] = repeats = deps.failures.get(key, 0) + 1
    if result.error is None:
        if repeats >= REPEAT_STOP:  # a loop: the same code, again and again
            raise RepeatedCallStopped(written, "no progress", "the same result each time")
        if not result.tool_calls and not result.stdout.strip():
            text = NO_TOOL_RAN
        return text + ("\n" + REPEAT_WARNING if repeats > 1 else "")
    if repeats >= REPEAT_STOP:
        raise RepeatedCallStopped(written, result.error.type, result.error.message)
    if result.error.type in NOT_RUN:
        text += stub_hint(result.error.message, code, deps) + sandbox_hint(result.error.message)
    if repeats > 1:
        text += "\n" + REPEAT_WARNING
    if result.error.type in NOT_RUN:
        deps.retries += 1
        raise ModelRetry(text)
    return text


def _exists(workspace: Any, path: str) -> bool:
    try:
        return workspace.resolve(path).exists()
    except (OSError, ValueError):  # outside the workspace
        return False


NO_TOOL_RAN = (
    "(no output, and the code called no tool, so nothing in the project changed: to change a "
    "file call write_file(path=..., content=...) with its whole new text; print what you need)"
)


def sandbox_hint(diagnostics: str) -> str:
    """What to use instead of a builtin or module Code Mode does not have, or ""."""
    hints = []
    if re.search(r"Name `(?:open|exec|eval|input|__import__)` used when not defined", diagnostics):
        hints.append(
            "Files only through the tools: read_file(path=...) and write_file(path=..., "
            "content=...); commands through run_command(command=...)."
        )
    if "[unresolved-import]" in diagnostics:
        hints.append(
            "Only json re math datetime collections itertools functools dataclasses typing can "
            "be imported; the tools need no import. Write what a missing module would do in "
            "plain Python (for example html escaping with str.replace)."
        )
    return "".join(f"\n{hint}" for hint in hints)


REPEAT_STOP = 3
"""The same failing snippet this many times in one prompt ends the prompt with a reason."""

REPEAT_WARNING = (
    "This is the same code that already failed. Do not send it again: change it (other "
    "arguments, another tool), or answer the user with what you know."
)

ARGUMENT_RULES = (
    "unknown-argument",
    "missing-argument",
    "parameter-already-assigned",
    "too-many-positional-arguments",
    "invalid-argument-type",
    "unresolved-reference",
)
"""Type-check rules that mean a tool was called wrongly: the retry shows the tool's stub."""


class RepeatedCallStopped(RuntimeError):
    """The model sent the same failing snippet REPEAT_STOP times: the prompt ends with a reason."""

    def __init__(self, code: str, error_type: str, message: str) -> None:
        first = code.strip().splitlines()[0] if code.strip() else ""
        shown = first if len(first) <= 120 else first[:117] + "..."
        last = message.strip().splitlines()[-1] if message.strip() else error_type
        what = "the same code" if error_type == "no progress" else "the same failing code"
        super().__init__(
            f"Punie stopped the model: it sent {what} {REPEAT_STOP} times "
            f"({shown!r}; last error {error_type}: {last[:300]}). Try rephrasing the request, "
            "or a stronger model."
        )


def stub_hint(diagnostics: str, code: str, deps: RunDeps) -> str:
    """The stubs of the tools a snippet called wrongly (once per tool per prompt), or ""."""
    if not any(f"[{rule}]" in diagnostics for rule in ARGUMENT_RULES):
        return ""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError):
        return ""
    stubs = deps.toolbox.stub_texts if deps.toolbox is not None else {}
    called = sorted(
        {
            node.func.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in stubs
            and node.func.id not in deps.shown_stubs
        }
    )
    if not called:
        return ""
    deps.shown_stubs.update(called)
    shown = "\n".join(stubs[name].rstrip() for name in called)
    return f"\nCall the tools exactly as their stubs say (keyword arguments):\n{shown}"


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameters schema without per-parameter prose: names, types and defaults only."""
    properties = {
        name: {k: v for k, v in spec.items() if k not in ("description", "title")}
        for name, spec in (schema.get("properties") or {}).items()
    }
    compact = {"type": "object", "properties": properties}
    if schema.get("required"):
        compact["required"] = schema["required"]
    return compact


def direct_tool(tool: Any, *, compact: bool = False) -> Any:
    """A pydantic-ai tool that calls `tool` through the toolbox gate; errors come back as text.

    Args:
        tool: The toolbox's `Tool` record.
        compact: Send only the summary line and typed parameters (Code Mode: the system prompt
            already lists every tool, and `tool_help` has the full docs), which keeps the tool
            definitions, paid on every request, small.
    """
    schema_tool = Tool(tool.function, name=tool.name)
    schema = schema_tool.tool_def.parameters_json_schema

    async def call(ctx: Any, **kwargs: Any) -> str:
        deps: RunDeps = ctx.deps
        with using_context(deps.context):
            try:
                result = await deps.toolbox.call(tool.name, kwargs=kwargs, call_id=ctx.tool_call_id)
            except Exception as exc:  # the model reads what went wrong and adapts
                return f"{type(exc).__name__}: {exc}"
        return render_result(result)

    return Tool.from_schema(
        call,
        name=tool.name,
        description=tool.description if compact else schema_tool.tool_def.description,
        json_schema=compact_schema(schema) if compact else schema,
        takes_ctx=True,
    )


def tool_definitions(function_tools: Any) -> list[dict[str, Any]]:
    """pydantic-ai `ToolDefinition`s in OpenAI's `tools` shape."""
    definitions = []
    for tool in function_tools:
        function: dict[str, Any] = {"name": tool.name, "parameters": tool.parameters_json_schema}
        if tool.description:
            function = {
                "name": tool.name,
                "description": tool.description,
                "parameters": tool.parameters_json_schema,
            }
        definitions.append({"type": "function", "function": function})
    return definitions


def recover_response(
    response: Any,
    schemas: dict[str, dict[str, Any]],
    deps: RunDeps | None = None,
    user_text: str = "",
) -> Any:
    """Turn text tool calls into real ones; ask for a retry when a call is unreadable or missing.

    In Code Mode (`execute_code` among `schemas`), a call to any other toolbox tool, structured
    or written as text, becomes an `execute_code` call with keyword arguments.

    Args:
        response: The model's response.
        schemas: The tools sent to the model: name -> parameters JSON schema.
        deps: The run's deps (its toolbox, counters).
        user_text: The user's message (code the user asked to be shown is never run).

    Raises:
        ModelRetry: The text tries to call a tool but cannot be read or names no tool, or the
            server reported `finish_reason: tool_calls` with no call and no text.
    """

    toolbox = deps.toolbox if deps is not None else None
    callables = Callables(
        schemas,
        toolbox_schemas(toolbox) if toolbox is not None else {},
        user_text,
        blocks=deps is not None and deps.tool_format == "blocks",
    )
    parts = list(response.parts)
    if any(isinstance(p, ToolCallPart) for p in parts):
        fixed = []
        for part in parts:
            schema = callables.schema(part.tool_name) if isinstance(part, ToolCallPart) else None
            if not isinstance(part, ToolCallPart) or schema is None:
                fixed.append(part)
                continue
            try:
                args = part.args_as_dict()
            except Exception:
                fixed.append(part)  # unreadable JSON: pydantic-ai's validation retry explains it
                continue
            args = coerce_arguments(args, schema)
            if part.tool_name in schemas or not callables.code_mode:
                fixed.append(replace(part, args=args))
                continue
            # A structured call to a tool that lives only in Code Mode: run it there.
            (call,) = as_code_mode([RecoveredCall(part.tool_name, args, "structured")], callables)
            fixed.append(replace(part, tool_name=call.name, args=call.arguments))
            if deps is not None:
                deps.recovered += 1
        return replace(response, parts=fixed)
    text = "".join(p.content for p in parts if isinstance(p, TextPart))
    recovery = recover_tool_calls(text, callables) if text.strip() else None
    if recovery is not None and recovery.calls:
        kept = [p for p in parts if not isinstance(p, TextPart)]
        if recovery.text:
            kept.append(TextPart(content=recovery.text))
        for call in recovery.calls:
            kept.append(
                ToolCallPart(
                    call.name, call.arguments, tool_call_id=f"recovered_{uuid.uuid4().hex[:12]}"
                )
            )
        if deps is not None:
            deps.recovered += len(recovery.calls)
        return replace(response, parts=kept, finish_reason="tool_call")
    if recovery is not None and recovery.error:
        if deps is not None:
            deps.retries += 1
        raise ModelRetry(recovery.error)
    if response.finish_reason == "tool_call" and not text.strip():
        if deps is not None:
            deps.retries += 1
        raise ModelRetry(EMPTY_TOOL_CALL_RETRY)
    if (
        deps is not None
        and callables.code_mode
        and deps.nudges
        and not deps.nudged
        and not asks_to_show_code(user_text)
    ):
        # Small models often answer "change this file" with the new code and touch nothing,
        # or answer a question about the project with a guess: once per prompt, say so.
        own = len(deps.snippets) - int(deps.looked)  # snippets the model wrote itself
        nudge = (
            shown_code_nudge(user_text)
            if "```" in text and not wrote_a_file(deps.snippets)
            else UNCHECKED_ANSWER_NUDGE
            if own == 0 and about_the_project(user_text) and not deps.looked
            else None
        )
        if nudge is not None:
            deps.nudged = True
            deps.retries += 1
            raise ModelRetry(nudge)
    return response


_SCHEMAS: dict[int, tuple[Any, dict[str, dict[str, Any]]]] = {}


def toolbox_schemas(toolbox: Any) -> dict[str, dict[str, Any]]:
    """Every toolbox tool's parameters JSON schema (made once per toolbox)."""
    cached = _SCHEMAS.get(id(toolbox))
    if cached is not None and cached[0] is toolbox:
        return cached[1]
    schemas: dict[str, dict[str, Any]] = {}
    for tool in toolbox.tools:
        try:
            schemas[tool.name] = Tool(tool.function, name=tool.name).tool_def.parameters_json_schema
        except Exception:  # a schema pydantic cannot build: the name is still callable
            schemas[tool.name] = {}
    _SCHEMAS.clear()  # one toolbox per process in practice; never grow without bound
    _SCHEMAS[id(toolbox)] = (toolbox, schemas)
    return schemas


async def applied(response: Any, deps: RunDeps, user_text: str) -> Any:
    """The response with a write_file call added when it shows code for a file Punie showed.

    See `punie_core.agent.apply`: only when the user asked for a change (not to be shown
    code), no file was written yet in this prompt, and the block's definitions all replace
    ones of exactly one of the files the first look showed. The reply's text stays as the
    model wrote it; the model reads the write's result as APPLIED (`agent.code_blocks`).
    """
    if (
        not deps.shown_files
        or wrote_a_file(deps.snippets)
        or not asks_for_a_change(user_text)
        or asks_to_show_code(user_text)
    ):
        return response
    text = "".join(p.content for p in response.parts if isinstance(p, TextPart))
    if "```" not in text or any(isinstance(p, ToolCallPart) for p in response.parts):
        return response
    files: dict[str, str] = {}
    for path in deps.shown_files:
        try:
            target = deps.context.workspace.resolve(path)
            files[path] = await deps.context.files.read_text(target)
        except (OSError, ValueError):  # gone or unreadable since: not applied to
            continue
    change = apply_shown_code(text, files, toolbox_schemas(deps.toolbox))
    if change is None:
        return response
    path, new_text = change
    # The model keeps its reply as it wrote it; the write is Punie's call after it.
    call = ToolCallPart(
        CODE_TOOL,
        {"code": f"write_file(path={path!r}, content={new_text!r})"},
        tool_call_id=f"{APPLY}{uuid.uuid4().hex[:8]}",
    )
    return replace(response, parts=[*response.parts, call])


def _schemas(request_context: Any) -> dict[str, dict[str, Any]]:
    """The tools of a request: name -> parameters JSON schema."""
    function_tools = request_context.model_request_parameters.function_tools
    return {t.name: t.parameters_json_schema for t in function_tools}


def _hooks() -> Any:
    hooks: Any = Hooks()

    @hooks.on.before_model_request
    async def started(ctx: Any, request_context: Any) -> Any:
        deps: RunDeps = ctx.deps
        deps._request_started = time.perf_counter()
        deps.on_request()
        return request_context

    @hooks.on.model_request
    async def look_first(ctx: Any, *, request_context: Any, handler: Any) -> Any:
        deps: RunDeps = ctx.deps
        if deps.tool_format == "blocks" and not deps.snippets and not deps.looked:
            look = first_look(request_context.messages, deps.context.workspace)
            if look is not None:
                code, deps.shown_files = look
                deps.looked = True  # Punie's own step: no model request is made
                call_id = f"{LOOK}{uuid.uuid4().hex[:8]}"
                call = ToolCallPart(CODE_TOOL, {"code": code}, tool_call_id=call_id)
                return ModelResponse(parts=[call], model_name="punie")
        return await handler(request_context)

    @hooks.on.after_model_request
    async def finished(ctx: Any, *, request_context: Any, response: Any) -> Any:
        deps: RunDeps = ctx.deps
        if deps._request_started:
            deps.model_ms += (time.perf_counter() - deps._request_started) * 1000
            deps._request_started = 0.0
        deps.requests += 1
        usage = response.usage
        deps.input_tokens += usage.input_tokens or 0
        deps.output_tokens += usage.output_tokens or 0
        deps.emit(
            UsageUpdate(deps.session_id, deps.input_tokens, deps.output_tokens, deps.requests)
        )
        deps.tool_definitions = tool_definitions(
            request_context.model_request_parameters.function_tools
        )
        schemas = _schemas(request_context)
        user_text = deps.user_text or user_text_of(request_context.messages) or ""
        if deps.tool_format == "blocks":
            if opens_with_code(request_context.messages):
                response = with_prefill(response)
            response = await applied(response, deps, user_text)
        return recover_response(response, schemas, deps, user_text)

    @hooks.on.tool_execute
    async def timed(ctx: Any, *, call: Any, tool_def: Any, args: Any, handler: Any) -> Any:
        started_at = time.perf_counter()
        try:
            return await handler(args)
        finally:
            ctx.deps.tool_ms += (time.perf_counter() - started_at) * 1000

    return hooks


def project_overview(root: Path, limit: int = OVERVIEW_LIMIT) -> str:
    """The project's top two levels, breadth first (directories end in `/`), at most `limit` lines.

    Version control, environments, caches and hidden entries are skipped.
    """

    def entries(directory: Path) -> list[Path]:
        try:
            children = sorted(directory.iterdir(), key=lambda p: (p.is_file(), p.name))
        except OSError:
            return []
        return [
            c
            for c in children
            if not c.name.startswith(".") and c.name not in PROTECTED_PARTS | {"__pycache__"}
        ]

    found: list[str] = []
    top = entries(root)
    for child in top:
        found.append(child.name + ("/" if child.is_dir() else ""))
    for child in top:
        if child.is_dir():
            found += [
                f"{child.name}/{c.name}" + ("/" if c.is_dir() else "") for c in entries(child)
            ]
    shown = "\n".join(f"- {path}" for path in found[:limit])
    more = "\n- ... (more files not listed)" if len(found) > limit else ""
    return f"Project overview (directory {root.name}):\n{shown or '- (no files)'}{more}"


def instructions_for(
    toolbox: Toolbox, mode: Mode = "code", root: Path | None = None, tool_format: str = "tools"
) -> str:
    """The system prompt for a mode: Code Mode's (the toolbox's, for its `tool_format`), direct
    mode's, or chat mode's (no tools: the embedded tiny model, given an overview of the project
    at `root`)."""
    if mode == "code":
        # The project's context index (specs, standards, AGENTS.md); none costs nothing.
        index = context_index(root)
        if index or tool_format != "tools":
            return system_prompt(toolbox, index, tool_format)
        return toolbox.prompt
    if mode == "direct":
        return DIRECT_INTRO
    return EMBEDDED_INTRO + ("\n\n" + project_overview(root) if root is not None else "")


def create_pydantic_agent(
    model: Any,
    *,
    toolbox: Toolbox | None = None,
    mode: Mode = "code",
    instructions: str | None = None,
    retries: int = 3,
    model_settings: dict[str, Any] | None = None,
    tool_format: str = "tools",
) -> Agent[RunDeps, str]:
    """Build Punie's pydantic-ai agent.

    Args:
        model: A pydantic-ai `Model` (see `models.connection.connect` for Punie's model strings)
            or a pydantic-ai model string.
        toolbox: The merged toolbox; `load_toolbox()` when omitted.
        mode: `code`: `execute_code` plus the core's tools as direct tools (the default);
            `direct`: every tool as a direct tool, one call per turn (the baseline Code Mode beats);
            `chat`: no tools (the embedded tiny model, which cannot call them).
        instructions: The system prompt; `toolbox.prompt` (or a direct-mode one) when omitted.
        retries: Retry budget for tools (bad snippets) and for output (unreadable tool calls).
        model_settings: pydantic-ai model settings (`temperature`, `max_tokens`, ...).
        tool_format: In Code Mode, `tools` sends `execute_code` as a tool definition; `blocks`
            sends none and reads ```python blocks from the text (`agent.code_blocks`).

    Returns:
        An `Agent[RunDeps, str]`; run it with `deps=RunDeps(...)`.
    """
    if toolbox is None:
        toolbox = load_toolbox()
    tools: list[Any] = []
    if mode == "code":
        # execute_code is the only tool definition: every tool definition is paid in prompt
        # tokens on each request, and a call to any toolbox tool, structured or written as text,
        # is run through Code Mode by `recover_response` anyway.
        tools.append(Tool(execute_code, takes_ctx=True, max_retries=retries))
    elif mode == "direct":
        tools += [direct_tool(t) for t in toolbox.tools]
    if instructions is None:
        instructions = instructions_for(toolbox, mode, tool_format=tool_format)
    if mode == "code" and tool_format == "blocks":
        model = CodeBlockModel(model)
    return Agent(
        model,
        deps_type=RunDeps,
        output_type=str,
        instructions=instructions,
        tools=tools,
        retries=retries,
        model_settings=model_settings or None,  # type: ignore[arg-type]
        capabilities=[_hooks()],
    )
