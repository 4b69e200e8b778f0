"""MCP tools as Punie tools: typed functions named `<server>_<tool>` behind the toolbox gate.

Each tool a server lists becomes an `McpTool` record whose function has keyword parameters
from the input schema and returns the noun built from the output schema (the text of the
result when there is none). The record tells the gate what a plugin tool's name and kind
would: which arguments are paths (confined to the workspace), whether a call needs
permission (MCP `readOnlyHint: true` does not; anything else, unknown included, does), and
its timeout. JetBrains' implicit `projectPath` argument is filled with the project root.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from punie_core.mcp.schema import Parameter, SchemaError, TypeBuilder, camel, identifier
from punie_core.plugins.records import Noun, Tool

if TYPE_CHECKING:
    from punie_core.mcp.connection import McpConnection

PATH_NAME = re.compile(
    r"(^|_)(path|paths|file|files|filename|filenames|filepath|filepaths|dir|dirs|directory|"
    r"directories|folder|pathinproject|relativepath|rootpath)$"
)
"""Parameter names (lowered, camelCase split with `_`) that hold workspace paths."""
PATH_NAMES = frozenset({"pathinproject", "filepath", "filepaths", "relativepath", "dirpath"})
"""Whole names (lowered, without `_`) that hold workspace paths."""
IMPLICIT = {"projectPath"}
"""JetBrains' implicit parameter: the project; Punie fills it, the model never sees it."""
SUMMARY_WORDS = 12
RUN_WORDS = re.compile(r"(run|exec|execute|build|test|terminal|command|shell|launch|start)")
SEARCH_WORDS = re.compile(r"(search|find|grep|list|glob|lookup)")


class McpToolError(RuntimeError):
    """The MCP server answered a tool call with an error (`isError`); the message is its text."""


@dataclass(frozen=True)
class McpTool(Tool):
    """A tool from an MCP server.

    Attributes:
        server: The server's name.
        remote_name: The tool's own name on the server.
        path_parameters: Parameters whose values are workspace paths (the gate confines them).
        ask: True when every call needs permission (not declared read-only).
        annotations: The MCP annotations as the server sent them (for `/status` and docs).
    """

    server: str = ""
    remote_name: str = ""
    path_parameters: tuple[str, ...] = ()
    ask: bool = True
    annotations: tuple[tuple[str, Any], ...] = ()
    prompt_group: str | None = None

    @property
    def needs_permission(self) -> bool:
        """True unless the server declared the tool read-only."""
        return self.ask


@dataclass(frozen=True)
class McpNoun(Noun):
    """A noun of an MCP tool's result; `prompt_group` is set when its server is folded."""

    prompt_group: str | None = None


@dataclass
class BuiltTool:
    """A tool and the nouns its signature uses."""

    tool: McpTool
    nouns: list[type[BaseModel]]


def tool_name(server: str, tool: str) -> str:
    """`<server>_<tool>`, both lowered, non-identifier characters turned into `_`."""
    return f"{identifier(server)}_{identifier(tool).lstrip('_') or '_'}"


def is_path_parameter(name: str, schema: Any) -> bool:
    """True when the schema makes it decidable that a parameter holds workspace paths."""
    if name in IMPLICIT or not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    items = schema.get("items") if isinstance(schema.get("items"), dict) else {}
    is_text = kind == "string" or (kind == "array" and items.get("type") == "string")
    if not is_text:
        return False
    if schema.get("format") == "path":
        return True
    if schema.get("format") in ("uri", "uri-reference"):
        return False  # a URL, not a file of the project
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return snake.replace("_", "") in PATH_NAMES or bool(PATH_NAME.search(snake))


def build_tool(connection: McpConnection, remote: Any, taken: set[str]) -> BuiltTool:
    """The Punie tool for one listed MCP tool.

    Args:
        connection: The server's connection (the function calls through it).
        remote: The SDK's `Tool` as listed.
        taken: Names already in use (tools and nouns); the new nouns are added to it.

    Raises:
        SchemaError: Its input or output schema cannot be read.
    """
    spec = connection.spec
    name = tool_name(spec.name, remote.name)
    builder = TypeBuilder(where=f"{spec.name}/{remote.name}", prefix=camel(name), taken=taken)
    input_schema = dict(remote.input_schema or {})
    properties = input_schema.get("properties")
    if isinstance(properties, dict) and IMPLICIT & properties.keys():
        input_schema["properties"] = {k: v for k, v in properties.items() if k not in IMPLICIT}
        if isinstance(input_schema.get("required"), list):
            input_schema["required"] = [r for r in input_schema["required"] if r not in IMPLICIT]
    parameters = builder.parameters(input_schema)
    returns: Any = str
    if remote.output_schema is not None:
        returns = builder.result_type(remote.output_schema)
    implicit = sorted(IMPLICIT & set(properties or {}))
    props = input_schema.get("properties") or {}
    paths = tuple(p.name for p in parameters if is_path_parameter(p.key, props.get(p.key)))
    annotations = remote.annotations
    read_only = bool(annotations and annotations.read_only_hint is True)
    function = _function(connection, remote.name, name, parameters, returns, implicit)
    function.__doc__ = _docstring(remote, spec.name, parameters)
    kind = _kind(remote.name, annotations)
    tool = McpTool(
        function=function,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        timeout=spec.call_timeout,
        plugin=f"mcp:{spec.name}",
        distribution=f"mcp server {spec.name}",
        server=spec.name,
        remote_name=remote.name,
        path_parameters=paths,
        ask=not read_only,
        annotations=tuple(
            sorted((annotations.model_dump(exclude_none=True) if annotations else {}).items())
        ),
    )
    return BuiltTool(tool, list(builder.models))


def _kind(remote_name: str, annotations: Any) -> str:
    """The ACP kind shown in the IDE (permission follows `readOnlyHint`, not the kind)."""
    lowered = remote_name.lower()
    if annotations is not None and annotations.read_only_hint is True:
        return "search" if SEARCH_WORDS.search(lowered) else "read"
    if RUN_WORDS.search(lowered):
        return "execute"
    if annotations is not None and annotations.read_only_hint is False:
        return "delete" if annotations.destructive_hint is True and "delete" in lowered else "edit"
    return "other"


def _function(
    connection: McpConnection,
    remote_name: str,
    name: str,
    parameters: list[Parameter],
    returns: Any,
    implicit: list[str],
) -> Any:
    keys = {p.name: p.key for p in parameters}

    async def call_mcp_tool(**kwargs: Any) -> Any:
        from punie_core.plugins.context import tool_context

        arguments = {keys[k]: v for k, v in kwargs.items() if v is not None}
        if implicit:
            root = str(tool_context().workspace.root)
            arguments.update({key: root for key in implicit})
        result = await connection.call(remote_name, arguments, connection.spec.call_timeout)
        return convert_result(result, returns, connection, name)

    signature = inspect.Signature(
        [
            inspect.Parameter(
                p.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=inspect.Parameter.empty if p.required and p.default is None else p.default,
                annotation=p.annotation,
            )
            for p in sorted(parameters, key=lambda p: not p.required)
        ],
        return_annotation=returns,
    )
    call_mcp_tool.__signature__ = signature  # type: ignore[attr-defined]
    call_mcp_tool.__annotations__ = {
        **{p.name: p.annotation for p in parameters},
        "return": returns,
    }
    call_mcp_tool.__name__ = call_mcp_tool.__qualname__ = name
    return call_mcp_tool


def convert_result(result: Any, returns: Any, connection: McpConnection, name: str) -> Any:
    """A `CallToolResult` as the tool's return value: its noun, or its text.

    Raises:
        McpToolError: The server reported an error.
        ValueError: The structured result does not fit the output schema.
    """
    redact = connection.redactor
    text = redact.text(result_text(result))
    if result.is_error:
        raise McpToolError(text or f"{name} failed")
    if isinstance(returns, type) and issubclass(returns, BaseModel):
        data = redact.data(result.structured_content)
        if data is None and text:
            try:
                data = json.loads(text)
            except ValueError:
                data = None
        try:
            return returns.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'result'}: {e['msg']}"
                for e in exc.errors()[:3]
            )
            raise ValueError(
                f"{name}: the server's result does not fit its schema: {problems}"
            ) from None
    if text:
        return text
    if result.structured_content is not None:
        return json.dumps(redact.data(result.structured_content), ensure_ascii=False)
    return ""


def result_text(result: Any) -> str:
    """The text blocks of a result, joined; other blocks as short placeholders."""
    parts = []
    for block in result.content or []:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind == "resource":
            resource = block.resource
            parts.append(getattr(resource, "text", None) or f"[resource {resource.uri}]")
        elif kind == "resource_link":
            parts.append(f"[{block.name}]({block.uri})")
        else:
            parts.append(f"[{kind} content]")
    return "\n".join(parts)


def _docstring(remote: Any, server: str, parameters: list[Parameter]) -> str:
    """A Google docstring: a short first line, the server's description, `Args:`."""
    description = (remote.description or "").strip()
    summary = _summary(description) or f"Call {remote.name} on the MCP server {server}."
    lines = [summary, ""]
    body = _clean(description)
    if body and body[0] == summary:
        body = body[1:]
    elif body and summary and " ".join(body).startswith(summary):
        rest = " ".join(body)[len(summary) :].strip()
        body = [rest] if rest else []
    while body and not body[0]:
        body = body[1:]
    if body:
        lines += [*body, ""]
    lines.append(f"From the MCP server {server!r} (tool {remote.name!r}).")
    documented = [p for p in parameters if p.description]
    if documented:
        lines += ["", "Args:"]
        lines += [f"    {p.name}: {p.description}" for p in documented]
    return "\n".join(lines)


def _summary(description: str) -> str:
    text = " ".join(description.split())
    if not text:
        return ""
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    words = first.split()
    if len(words) > SUMMARY_WORDS:
        first = " ".join(words[:SUMMARY_WORDS]).rstrip(".,;:") + "…"
    return first


def _clean(description: str) -> list[str]:
    lines = [line.strip().removeprefix("|") for line in description.splitlines()]
    return [line for line in lines] or [""]


__all__ = ["McpTool", "McpToolError", "SchemaError", "build_tool", "tool_name"]
