"""The merged toolbox: every healthy plugin's records, sorted, and the gate every tool call passes.

`Toolbox.call` is the only way a tool runs, from Code Mode, from a direct model tool call or
from a frontend. It validates the arguments against the signature, confines workspace paths,
asks for permission when the tool's kind needs it, applies the tool's timeout, and emits
`ToolCallStarted` / `ToolCallFinished` events. There is no way around it from the sandbox.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import itertools
import os
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, get_type_hints

from pydantic import TypeAdapter, ValidationError

from punie_core.plugins.changes import reporting_changes
from punie_core.plugins.context import PermissionRequest, tool_context
from punie_core.plugins.events import ToolCallFinished, ToolCallStarted
from punie_core.plugins.isolation import plugin_output
from punie_core.plugins.prompt import system_prompt
from punie_core.plugins.records import (
    Noun,
    Page,
    PluginInfo,
    Skill,
    Term,
    Tool,
    Validator,
    View,
)
from punie_core.plugins.stubs import stub_module
from punie_core.security.terminal import for_terminal
from punie_core.security.workspace import ProtectedPath

if TYPE_CHECKING:
    import pluggy

PATH_PARAMETERS = ("path", "paths")
"""Parameter names that hold workspace paths: the host confines them before any tool runs."""


class ToolRefused(PermissionError):
    """A tool call was refused before it ran (permission, path or arguments)."""


class UnknownTool(LookupError):
    """No tool of that name is in the toolbox."""


class ToolCrashed(RuntimeError):
    """A tool raised `SystemExit` or `KeyboardInterrupt`: reported as its error, never fatal."""


_call_ids = itertools.count(1)
_current_toolbox: ContextVar[Toolbox | None] = ContextVar("punie_toolbox", default=None)
_current_call_id: ContextVar[str | None] = ContextVar("punie_call_id", default=None)


def current_toolbox() -> Toolbox:
    """The toolbox running the current tool call (for tools such as `load_skill`)."""
    toolbox = _current_toolbox.get()
    if toolbox is None:
        raise RuntimeError("no toolbox is running a tool call")
    return toolbox


def current_call_id() -> str | None:
    """The id of the tool call running now, or None outside one.

    A tool that asks permission itself (a fix it is about to write) uses it, so the frontend
    sees one call: the same id as its `ToolCallStarted` / `ToolCallFinished` events.
    """
    return _current_call_id.get()


def new_call_id() -> str:
    """A process-unique tool call id."""
    return f"call_{next(_call_ids)}"


class Shelf(Protocol):
    """Tools that join a toolbox while a session runs (`punie_core.toolmaking.ToolShelf`).

    The sandbox compares `revision` before every snippet and, when it changed, runs the snippet
    with `extend(toolbox)`; it reports every snippet it ran with `record_snippet`.
    """

    revision: int

    def extend(self, toolbox: Toolbox) -> Toolbox: ...

    def record_snippet(self, code: str, result: Any) -> None: ...


@dataclass(frozen=True)
class Toolbox:
    """Everything the healthy plugins provide, merged and sorted by name.

    Attributes:
        tools: Verbs, sorted by name.
        nouns: Nouns (declared and found in tool signatures), sorted by name.
        skills: Skill documents, sorted by name.
        validators: Validators, sorted by (layer order, name).
        vocabulary: Domain terms, sorted by name.
        views: How the web UI shows nouns (`View`), sorted by noun, then plugin.
        pages: The plugins' own web pages (`Page`), sorted by plugin and path.
        plugins: The report for every plugin found, healthy or not, sorted by name.
        stub_texts: The rendered stub of every tool and noun, by name.
        shelf: The session's model-written tools (drafts join mid-session), or None.
    """

    tools: tuple[Tool, ...] = ()
    nouns: tuple[Noun, ...] = ()
    skills: tuple[Skill, ...] = ()
    validators: tuple[Validator, ...] = ()
    vocabulary: tuple[Term, ...] = ()
    views: tuple[View, ...] = ()
    pages: tuple[Page, ...] = ()
    plugins: tuple[PluginInfo, ...] = ()
    stub_texts: dict[str, str] = field(default_factory=dict, compare=False)
    manager: pluggy.PluginManager | None = field(default=None, compare=False, repr=False)
    shelf: Shelf | None = field(default=None, compare=False, repr=False)

    def tool(self, name: str) -> Tool:
        """The tool called `name`.

        Raises:
            UnknownTool: No such tool; the message lists the available ones.
        """
        for tool in self.tools:
            if tool.name == name:
                return tool
        names = ", ".join(t.name for t in self.tools)
        raise UnknownTool(f"no tool named {name!r}; available: {names}")

    def skill(self, name: str) -> Skill:
        """The skill called `name`.

        Raises:
            LookupError: No such skill; the message lists the available ones.
        """
        for skill in self.skills:
            if skill.name == name:
                return skill
        names = ", ".join(s.name for s in self.skills) or "none"
        raise LookupError(f"no skill named {name!r}; available: {names}")

    @functools.cached_property
    def stubs(self) -> str:
        """The stub module the model reads and Code Mode type-checks against."""
        return stub_module(self)

    @functools.cached_property
    def prompt(self) -> str:
        """The system prompt (byte-identical for the same installed plugins)."""
        return system_prompt(self)

    async def call(
        self,
        name: str,
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        call_id: str | None = None,
    ) -> Any:
        """Run one tool call through the gate, in the current `ToolContext`.

        Args:
            name: The tool's name.
            args: Positional arguments.
            kwargs: Keyword arguments.
            call_id: Id for the events; a new one when omitted.

        Returns:
            What the tool returned.

        Raises:
            UnknownTool: No such tool.
            ToolRefused: Bad arguments, a path outside the workspace or a protected one, or
                permission refused. The tool did not run.
            TimeoutError: The tool ran longer than its timeout.
            Exception: Whatever the tool raised.
        """
        context = tool_context()
        call_id = call_id or new_call_id()
        tool = self.tool(name)
        kwargs = kwargs or {}
        started = time.perf_counter()

        def finished(ok: bool, **details: Any) -> None:
            ms = (time.perf_counter() - started) * 1000
            context.emit(ToolCallFinished(call_id=call_id, tool=name, ok=ok, ms=ms, **details))

        try:
            bound = bind_arguments(tool, args, kwargs)
            paths = confine_paths(tool, bound)
            title = call_title(tool, bound, paths)
            if tool.needs_permission:
                await ask_permission(tool, bound, paths, title, call_id)
        except (OSError, TypeError, ValueError) as exc:
            # OSError covers PermissionError (outside the workspace, protected) and the like.
            error = exc if isinstance(exc, ToolRefused) else ToolRefused(str(exc))
            finished(False, error=f"{type(exc).__name__}: {exc}", refused=True)
            raise error from exc

        context.emit(
            ToolCallStarted(
                call_id=call_id,
                tool=name,
                kind=tool.kind,
                title=title,
                arguments=dict(bound.arguments),
                paths=paths,
            )
        )
        token = _current_toolbox.set(self)
        id_token = _current_call_id.set(call_id)
        try:
            with reporting_changes(self.manager, context.workspace, tool.kind, paths):
                result = await run_tool(tool, bound)
        except BaseException as exc:
            finished(False, error=f"{type(exc).__name__}: {exc}")
            raise
        finally:
            _current_call_id.reset(id_token)
            _current_toolbox.reset(token)
        finished(True, result=result)
        return result


def bind_arguments(
    tool: Tool, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> inspect.BoundArguments:
    """Bind and validate arguments against the tool's annotations (coercing where lossless).

    Raises:
        TypeError: Arguments do not fit the signature or its types.
    """
    signature = _signature(tool.function)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{tool.name}{signature}: {exc}") from None
    bound.apply_defaults()
    adapters = _adapters(tool.function)
    for key, value in bound.arguments.items():
        adapter = adapters.get(key)
        if adapter is None:
            continue
        try:
            bound.arguments[key] = adapter.validate_python(value)
        except ValidationError as exc:
            problems = "; ".join(e["msg"] for e in exc.errors()[:3])
            raise TypeError(f"{tool.name}(): argument {key!r}: {problems}") from None
    return bound


@functools.cache
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


@functools.cache
def _adapters(function: Callable[..., Any]) -> dict[str, Any]:
    hints = get_type_hints(function)
    hints.pop("return", None)
    return {name: TypeAdapter(hint) for name, hint in hints.items()}


def confine_paths(tool: Tool, bound: inspect.BoundArguments) -> tuple[str, ...]:
    """Check every path argument stays inside the workspace; return them relative to the root.

    Raises:
        OutsideWorkspace: A path leaves the workspace.
        ProtectedPath: A tool that changes things names a protected location.
    """
    workspace = tool_context().workspace
    found: list[str] = []
    for item in path_arguments(bound, path_parameters(tool)):
        resolved = workspace.writable(item) if tool.needs_permission else workspace.resolve(item)
        found.append(workspace.relative(resolved))
    return tuple(found)


def path_parameters(tool: Tool) -> tuple[str, ...]:
    """The parameters of `tool` that hold workspace paths: `path`/`paths`, or the tool's own
    list (an MCP tool's, read from its schema: `filePath`, `pathInProject`, ...)."""
    return getattr(tool, "path_parameters", None) or PATH_PARAMETERS


def path_arguments(
    bound: inspect.BoundArguments, names: tuple[str, ...] = PATH_PARAMETERS
) -> list[str]:
    """The values of the path parameters (`path`/`paths` unless `names` says), as given.

    Raises:
        TypeError: A path argument is neither a string nor a list of strings.
    """
    found: list[str] = []
    for key in names:
        value = bound.arguments.get(key)
        values = [value] if isinstance(value, (str, os.PathLike)) else list(value or [])
        for item in values:
            if not isinstance(item, (str, os.PathLike)):
                kind = type(item).__name__
                raise TypeError(f"argument {key!r} must be a path string, got {kind}")
            found.append(os.fspath(item))
    return found


async def ask_permission(
    tool: Tool, bound: inspect.BoundArguments, paths: tuple[str, ...], title: str, call_id: str
) -> None:
    """Ask the context's permission policy; raise `ToolRefused` on no."""
    context = tool_context()
    workspace = context.workspace
    # As written and as resolved: a link named conftest.py is as sensitive as the file itself.
    sensitive = any(
        workspace.is_sensitive_target(p) for p in path_arguments(bound, path_parameters(tool))
    )
    request = PermissionRequest(
        call_id=call_id,
        tool=tool.name,
        kind=tool.kind,
        title=title,
        arguments=dict(bound.arguments),
        paths=paths,
        sensitive=sensitive,
    )
    await require_approval(request)


async def require_approval(request: PermissionRequest) -> None:
    """Ask the context's permission policy for `request`; raise `ToolRefused` on no.

    Tools that change files beyond what the gate asked for (a formatter rewriting a
    directory) ask through this too, so every refusal reads the same.

    Raises:
        ToolRefused: The policy said no (the message says whether a person must approve).
    """
    permissions = tool_context().permissions
    if await permissions.approve(request):
        return
    hint = getattr(permissions, "hint", "")
    sensitive = request.sensitive
    reason = "needs a person's explicit approval" if sensitive else "permission refused"
    raise ToolRefused(
        f"{request.title}: {reason}" + (f" ({hint})" if hint and not sensitive else "")
    )


BODY_PARAMETERS = ("content", "source", "code", "text")
"""Parameters holding a file's whole new text: shown as a diff or preview, not in the title."""


def call_title(tool: Tool, bound: inspect.BoundArguments, paths: tuple[str, ...]) -> str:
    """A readable line for a call, such as `write_file(app/main.py)`.

    For a call that needs permission the line is exact: every argument that is not its
    default is shown in full (`pytest_run(tests, args=['-x', '-k', 'login'])`, the whole
    command of `run_command`), with control characters made visible, so the person approves
    exactly what runs. Only the new text of a file change (`content` of an `edit` tool) is
    left to the diff; a tool that runs code shows its code too.
    """
    if tool.needs_permission:
        hidden = BODY_PARAMETERS if tool.kind in ("edit", "delete", "move") else ()
        return exact_title(tool.name, bound.arguments, paths, _defaults(tool), hidden)
    if paths:
        shown = ", ".join(paths)
    else:
        shown = ", ".join(_short(v) for v in bound.arguments.values())
    return f"{tool.name}({shown})"


def exact_title(
    name: str,
    arguments: dict[str, Any],
    paths: tuple[str, ...] = (),
    defaults: dict[str, Any] | None = None,
    hidden: tuple[str, ...] = BODY_PARAMETERS,
) -> str:
    """`name(paths, key=value, ...)` with every non-default argument in full, but `hidden` ones.

    A first string argument is shown bare when there are no paths (`run_command(ls -la)`).
    """
    defaults = defaults or {}
    shown = [for_terminal(p, newlines=False) for p in paths]
    for key, value in arguments.items():
        if key in PATH_PARAMETERS or key in hidden:
            continue
        if key in defaults and _same(defaults[key], value):
            continue
        if not shown and isinstance(value, str):
            shown.append(for_terminal(value, newlines=False))
        else:
            shown.append(f"{key}={for_terminal(repr(value), newlines=False)}")
    return f"{name}({', '.join(shown)})"


def _same(default: Any, value: Any) -> bool:
    try:
        return bool(default == value) and type(default) is type(value)
    except Exception:
        return False


def _defaults(tool: Tool) -> dict[str, Any]:
    return {
        name: parameter.default
        for name, parameter in _signature(tool.function).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def run_tool(tool: Tool, bound: inspect.BoundArguments) -> Any:
    """Call the tool (async directly, sync in a worker thread) under its timeout.

    What the tool prints goes to stderr, never stdout (the ACP channel, `--json` output), and
    a `SystemExit` or `KeyboardInterrupt` it raises becomes its error (`ToolCrashed`).
    """
    with plugin_output():
        if tool.is_async:
            coroutine = tool.function(*bound.args, **bound.kwargs)
        else:
            import contextvars

            # Sync tools run in a thread; copy the context so they still see tool_context().
            call = functools.partial(
                contextvars.copy_context().run, tool.function, *bound.args, **bound.kwargs
            )
            coroutine = asyncio.to_thread(call)
        try:
            async with asyncio.timeout(tool.timeout):
                return await coroutine
        except TimeoutError:
            message = f"{tool.name} took longer than its {tool.timeout:g} s timeout"
            raise TimeoutError(message) from None
        except (SystemExit, KeyboardInterrupt, GeneratorExit) as exc:
            # A tool is plugin code: its exit request must not end Punie (a real Ctrl-C
            # reaches the event loop as a cancellation, never from inside a tool).
            raise ToolCrashed(f"{tool.name} raised {type(exc).__name__}: {exc}") from None


def workspace_path(path: str) -> Path:
    """Resolve a tool's `path` argument in the current workspace (already confined by the gate)."""
    return tool_context().workspace.resolve(path)


__all__ = ["PATH_PARAMETERS", "ProtectedPath", "ToolRefused", "Toolbox", "UnknownTool"]
