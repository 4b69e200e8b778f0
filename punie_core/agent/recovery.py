"""Text tool-call recovery: turn tool calls a local model wrote as text back into real calls.

Local servers do not always parse what the model writes. These forms are recognised:

- Qwen3-Coder XML: `<tool_call><function=NAME><parameter=ARG>value</parameter></function>...`
  (closing tags may be missing; the `<tool_call>` wrapper may be missing too);
- Hermes / Qwen JSON in tags: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`;
- the same JSON without the tags, alone or in a ```json fence (only for a known tool name);
- `{"name": ..., "arguments": "<JSON string>"}`, `"parameters"` instead of `"arguments"`, and
  `{"function": {"name", "arguments"}}`.

Arguments that arrive as strings for typed parameters (`"3"` for an integer, `"[1, 2]"` for a
list) are coerced using the tool's JSON schema. Text that clearly tries to call a tool but cannot
be read gives an error message meant for the model, never an exception.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TOOL_CALL_MARKERS = ("<tool_call>", "<function=", "<tool_call ", "<|tool_call|>")
"""Text that starts a tool call written as text (used to hold it back from the live view)."""

_TAGGED = re.compile(r"<tool_call>(.*?)(?:</tool_call>|(?=<tool_call>)|\Z)", re.S)
_FUNCTION = re.compile(
    r"<function=([^>\s]+)\s*>(.*?)(?:</function>|(?=<function=)|(?=</tool_call>)|\Z)", re.S
)
_PARAMETER = re.compile(
    r"<parameter=([^>\s]+)\s*>(.*?)(?:</parameter>|(?=<parameter=)|(?=</function>)|\Z)", re.S
)
_FENCE = re.compile(r"```(?:json|tool_call|tool_code)?\s*\n(.*?)```", re.S)


@dataclass(frozen=True)
class RecoveredCall:
    """A tool call read from text.

    Attributes:
        name: The tool's name.
        arguments: Its arguments, coerced to the tool's parameter types where known.
    """

    name: str
    arguments: dict[str, Any]


@dataclass
class Recovery:
    """What was found in a model's text.

    Attributes:
        calls: The tool calls read (empty when none).
        text: The text outside the calls (what the model said around them).
        error: Set when the text tries to call a tool but cannot be read: a message for the model.
    """

    calls: list[RecoveredCall] = field(default_factory=list)
    text: str = ""
    error: str | None = None


def looks_like_tool_call(text: str) -> bool:
    """True when text starts (after whitespace) like a tool call written as text."""
    head = text.lstrip()
    if any(head.startswith(m) or m.startswith(head) for m in TOOL_CALL_MARKERS if head):
        return True
    return head.startswith("{") or head.startswith("```")


def recover_tool_calls(text: str, tools: Mapping[str, Mapping[str, Any]]) -> Recovery:
    """Read the tool calls a model wrote into its text.

    Args:
        text: The model's whole text reply.
        tools: Tool name -> its parameters' JSON schema (used to recognise untagged JSON calls
            and to coerce argument types).

    Returns:
        The calls found, the remaining text, or an error message for the model when a call was
        attempted but is unreadable. No calls and no error means plain text.
    """
    if "<tool_call" in text or "<function=" in text or "<|tool_call|>" in text:
        return _tagged(
            text.replace("<|tool_call|>", "<tool_call>").replace("<tool_call >", "<tool_call>"),
            tools,
        )
    return _untagged(text, tools)


def _tagged(text: str, tools: Mapping[str, Mapping[str, Any]]) -> Recovery:
    calls: list[RecoveredCall] = []
    problems: list[str] = []
    blocks: list[str] = []
    if "<tool_call>" in text:
        spans = list(_TAGGED.finditer(text))
        blocks = [m.group(1) for m in spans]
        outside = _TAGGED.sub("", text)
    else:
        blocks = [text[text.index("<function=") :]]
        outside = text[: text.index("<function=")]
    for block in blocks:
        body = block.strip()
        if not body:
            # `<|tool_call|>` opens and closes with the same token, leaving an empty block after
            # a real one; an empty block alone is a failed call.
            if not any(b.strip() for b in blocks):
                problems.append("an empty <tool_call> block")
            continue
        if "<function=" in body:
            for match in _FUNCTION.finditer(body):
                name = match.group(1).strip()
                arguments = {
                    p.group(1).strip(): _strip_newline(p.group(2))
                    for p in _PARAMETER.finditer(match.group(2))
                }
                calls.append(_call(name, arguments, tools))
            if not _FUNCTION.search(body):
                problems.append("a <function=...> tag that could not be read")
            continue
        parsed, error = _parse_json(_unfence(body))
        if error:
            problems.append(f"tool call JSON that could not be parsed ({error})")
            continue
        found, error = _calls_from_json(parsed, tools, require_known=False)
        if error:
            problems.append(error)
        calls.extend(found)
    if problems:
        return Recovery(calls=[], text=outside.strip(), error=_retry_message(problems, tools))
    return Recovery(calls=calls, text=outside.strip())


def _untagged(text: str, tools: Mapping[str, Mapping[str, Any]]) -> Recovery:
    stripped = text.strip()
    candidates: list[tuple[str, str]] = []  # (json text, text outside it)
    if stripped.startswith(("{", "[")):
        candidates.append((stripped, ""))
    for fence in _FENCE.finditer(text):
        candidates.append(
            (fence.group(1).strip(), (text[: fence.start()] + text[fence.end() :]).strip())
        )
    if not candidates:
        start = stripped.find('{"name"')
        if start >= 0:
            candidates.append((stripped[start:], stripped[:start].strip()))
    for candidate, outside in candidates:
        parsed, error = _parse_json(candidate)
        if error:
            if _mentions_tool(candidate, tools):
                return Recovery(
                    text=outside,
                    error=_retry_message(
                        [f"tool call JSON that could not be parsed ({error})"], tools
                    ),
                )
            continue
        calls, error = _calls_from_json(parsed, tools, require_known=True)
        if calls:
            return Recovery(calls=calls, text=outside)
        if error and _mentions_tool(candidate, tools):
            return Recovery(text=outside, error=_retry_message([error], tools))
    return Recovery(text=text)


def _mentions_tool(candidate: str, tools: Mapping[str, Any]) -> bool:
    return '"name"' in candidate and any(f'"{name}"' in candidate for name in tools)


def _strip_newline(value: str) -> str:
    # Qwen3-Coder writes each parameter value on its own lines; the value is what is between.
    if value.startswith("\n"):
        value = value[1:]
    if value.endswith("\n"):
        value = value[:-1]
    return value


def _unfence(body: str) -> str:
    fence = _FENCE.search(body + ("\n```" if body.count("```") == 1 else ""))
    return fence.group(1).strip() if fence else body


def _parse_json(text: str) -> tuple[Any, str | None]:
    """JSON, or the nearest readable thing: trailing commas, Python literals, trailing junk."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        first_error = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    try:
        value, end = json.JSONDecoder().raw_decode(text)
        if not text[end:].strip() or text[end:].strip().startswith(("</", "```")):
            return value, None
    except json.JSONDecodeError:
        pass
    repaired = re.sub(r",\s*([}\]])", r"\1", text)
    try:
        return json.loads(repaired), None
    except json.JSONDecodeError:
        pass
    try:
        return ast.literal_eval(
            text.replace("true", "True").replace("false", "False").replace("null", "None")
        ), None
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None, first_error


def _calls_from_json(
    parsed: Any, tools: Mapping[str, Mapping[str, Any]], *, require_known: bool
) -> tuple[list[RecoveredCall], str | None]:
    items = parsed if isinstance(parsed, list) else [parsed]
    calls: list[RecoveredCall] = []
    for item in items:
        if not isinstance(item, dict):
            return [], "a tool call that is not a JSON object with name and arguments"
        if isinstance(item.get("function"), dict):
            item = item["function"]
        name = item.get("name")
        if not isinstance(name, str) or not name:
            return [], 'a tool call without a "name"'
        if require_known and name not in tools:
            return [], None
        arguments = item.get("arguments", item.get("parameters", {}))
        if isinstance(arguments, str):
            decoded, error = _parse_json(arguments) if arguments.strip() else ({}, None)
            if error or not isinstance(decoded, dict):
                return [], f'"arguments" of {name} is a string that is not a JSON object'
            arguments = decoded
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            return [], f'"arguments" of {name} must be a JSON object'
        calls.append(_call(name, arguments, tools))
    return calls, None


def _call(
    name: str, arguments: dict[str, Any], tools: Mapping[str, Mapping[str, Any]]
) -> RecoveredCall:
    schema = tools.get(name)
    return RecoveredCall(
        name=name, arguments=coerce_arguments(arguments, schema) if schema else arguments
    )


def _types(schema: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    kind = schema.get("type")
    if isinstance(kind, str):
        found.add(kind)
    elif isinstance(kind, list):
        found.update(k for k in kind if isinstance(k, str))
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []) or []:
            if isinstance(option, Mapping):
                found |= _types(option)
    return found


def coerce_arguments(arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Convert string values to the types the schema asks for, where that is lossless.

    Args:
        arguments: The call's arguments.
        schema: The tool's parameters JSON schema (`{"type": "object", "properties": ...}`).

    Returns:
        New arguments; values that cannot be converted are left as they are, so the tool's
        own validation reports them.
    """
    properties = schema.get("properties") or {}
    result: dict[str, Any] = {}
    for key, value in arguments.items():
        spec = properties.get(key)
        result[key] = _coerce(value, spec) if isinstance(spec, Mapping) else value
    return result


def _coerce(value: Any, spec: Mapping[str, Any]) -> Any:
    types = _types(spec)
    if not types or "string" in types and isinstance(value, str):
        return value
    if isinstance(value, str):
        text = value.strip()
        if "boolean" in types and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if "null" in types and text.lower() in ("null", "none", ""):
            return None
        if "integer" in types and re.fullmatch(r"[-+]?\d+", text):
            return int(text)
        if "number" in types:
            try:
                return float(text) if not re.fullmatch(r"[-+]?\d+", text) else int(text)
            except ValueError:
                pass
        if types & {"array", "object"}:
            parsed, error = _parse_json(text)
            if not error and isinstance(parsed, list if "array" in types else (dict, list)):
                return parsed
        return value
    if "string" in types and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _retry_message(problems: list[str], tools: Mapping[str, Any]) -> str:
    names = ", ".join(sorted(tools)) or "none"
    example = "execute_code" if "execute_code" in tools else (sorted(tools)[0] if tools else "TOOL")
    return (
        "Your reply tried to call a tool but it could not be read: "
        f"{'; '.join(dict.fromkeys(problems))}. Call exactly one tool per <tool_call> block as "
        "JSON with a name and an arguments object, e.g. "
        f'<tool_call>{{"name": "{example}", "arguments": {{...}}}}</tool_call>, '
        f"or answer in plain text. Available tools: {names}."
    )
