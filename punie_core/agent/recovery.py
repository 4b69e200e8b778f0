"""Text tool-call recovery: turn the tool calls a local model wrote as text into real calls.

Local servers do not always parse what a model writes, and small coder models mostly write
their calls as text. These forms are read:

- Qwen3-Coder XML: `<tool_call><function=NAME><parameter=ARG>value</parameter></function>...`
  (closing tags may be missing; the `<tool_call>` wrapper may be missing too);
- Hermes / Qwen JSON in tags: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`;
- the same JSON without tags: bare, or in a ```json, ```tool_call or ```tool_code fence;
  `"parameters"` for `"arguments"`, arguments as a JSON string, `{"function": {...}}`, lists;
- a ```python block that calls tools: in Code Mode it runs as a snippet; in direct mode a
  block of plain tool calls with literal arguments (`read_file(path="a.txt")`) becomes those calls.

In Code Mode every tool of the toolbox is callable, not only the ones sent as tool definitions:
a call to any of them (structured or text) becomes an `execute_code` call with keyword arguments
(`ruff_check(paths='app/util.py', fix=True)`), so plugin tools work however the model calls them.

Code to run, or code shown? (the rule, also in docs/models.md)

- Tagged calls (`<tool_call>`, `<function=`) are the chat template's own call syntax: always run.
- A fenced or bare JSON call, or a ```python block, runs only when it ENDS the reply: nothing but
  a short lead-in (at most LEAD_IN_LIMIT characters) before it, nothing after it. A block with
  prose after it, or after a longer explanation, is a quotation shown to the user.
- A ```python block runs only when it calls a tool of the toolbox (and defines none of them);
  other code is an answer (the user asked for code).
- Nothing written as text runs when the user's message asks to be shown code rather than to have
  something done ("how would I write...", "show me an example", "don't run it"): see
  `asks_to_show_code`.

Arguments that arrive as strings for typed parameters (`"3"` for an integer, `"[1, 2]"` for a
list) are coerced using the tool's JSON schema. Text that clearly tries to call a tool but cannot
be read, or calls a tool that does not exist, gives an error message meant for the model, never
an exception.
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from punie_core.agent.idioms import rewrite_idioms

TOOL_CALL_MARKERS = ("<tool_call>", "<function=", "<tool_call ", "<|tool_call|>")
"""Text that starts a tool call written as text (used to hold it back from the live view)."""

CODE_TOOL = "execute_code"
"""The Code Mode tool a text call to any toolbox tool becomes."""

LEAD_IN_LIMIT = 300
"""Most characters of prose a call may follow and still be run (a lead-in, not an explanation)."""

_TAGGED = re.compile(r"<tool_call>(.*?)(?:</tool_call>|(?=<tool_call>)|\Z)", re.S)
_FUNCTION = re.compile(
    r"<function=([^>\s]+)\s*>(.*?)(?:</function>|(?=<function=)|(?=</tool_call>)|\Z)", re.S
)
_PARAMETER = re.compile(
    r"<parameter=([^>\s]+)\s*>(.*?)(?:</parameter>|(?=<parameter=)|(?=</function>)|\Z)", re.S
)
_FENCE = re.compile(r"```[ \t]*([\w+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.S)
_JSON_FENCES = frozenset({"", "json", "json5", "tool_call", "tool_code", "tool", "javascript"})
_PYTHON_FENCES = frozenset({"python", "py", "python3"})

_SHOW_CODE = re.compile(
    r"\bhow (?:would|do|should|can|could|might|to)\b[^.?!\n]{0,80}"
    r"\b(?:write|implement|code|call|use)\b"
    r"|\bshow me\b|\bgive me an? example\b|\bexample of\b|\bfor example code\b"
    r"|\b(?:don'?t|do not|never|without) (?:run|running|execute|executing|call|calling|actually)\b"
    r"|\b(?:don'?t|do not|without) (?:use|using) (?:any |the )?tools?\b"
    r"|\bjust (?:show|write|print) (?:me )?(?:the )?code\b|\bjust tell me\b",
    re.IGNORECASE,
)


def asks_to_show_code(user_text: str) -> bool:
    """True when the user asks to see code or a call rather than to have something done.

    "How would I write a JSON reader?", "Show me an example of calling ruff_check",
    "... but don't run it": code or calls the model writes in reply are shown, never run.
    """
    return bool(_SHOW_CODE.search(user_text or ""))


_PATH = r"\b[\w./-]+\.(?:py|txt|toml|json|cfg|ini|md|html|ya?ml|js|css)\b"
_ABOUT_THE_PROJECT = re.compile(
    r"\b(?:this|the|my|our) (?:project|repo|repository|codebase|code)\b|\btests?\b|\bfiles?\b"
    rf"|{_PATH}",
    re.IGNORECASE,
)
"""A user message about the project's files, tests or code (so an answer needs a look first)."""


def project_paths(user_text: str) -> list[str]:
    """The file paths a user's message names (`app/health.py`, `config.json`), in order."""
    return list(dict.fromkeys(re.findall(_PATH, user_text or "", re.IGNORECASE)))


def about_the_project(user_text: str) -> bool:
    """True when the user's message is about the project's files, tests or code (an answer
    needs a look at the project first)."""
    return bool(_ABOUT_THE_PROJECT.search(user_text or ""))


@dataclass(frozen=True)
class RecoveredCall:
    """A tool call read from text.

    Attributes:
        name: The tool's name (`execute_code` for a call turned into Code Mode).
        arguments: Its arguments, coerced to the tool's parameter types where known.
        source: What was read: `tagged`, `json`, `python` or `structured`.
    """

    name: str
    arguments: dict[str, Any]
    source: str = "tagged"


@dataclass
class Recovery:
    """What was found in a model's text.

    Attributes:
        calls: The tool calls read (empty when none).
        text: The text outside the calls (what the model said around them).
        error: Set when the text tries to call a tool but cannot be read, or calls one that does
            not exist: a message for the model.
        shown: Why call-shaped text was left as an answer (None when nothing was left).
    """

    calls: list[RecoveredCall] = field(default_factory=list)
    text: str = ""
    error: str | None = None
    shown: str | None = None


@dataclass(frozen=True)
class Callables:
    """What a reply may call.

    Attributes:
        tools: The tools sent to the model (name -> parameters JSON schema).
        toolbox: Every tool Code Mode can call (name -> schema); empty outside Code Mode.
        user_text: The user's message this reply answers (for `asks_to_show_code`).
        blocks: The model was asked for ```python blocks (the `blocks` tool format): the first
            block that calls a tool runs even with text after it (what a model writes after
            its block is a guess at the output, or an explanation of it).
    """

    tools: Mapping[str, Mapping[str, Any]]
    toolbox: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    user_text: str = ""
    blocks: bool = False

    @property
    def code_mode(self) -> bool:
        return CODE_TOOL in self.tools

    def known(self, name: str) -> bool:
        return name in self.tools or (self.code_mode and name in self.toolbox)

    def schema(self, name: str) -> Mapping[str, Any] | None:
        return self.tools.get(name) or self.toolbox.get(name)

    def names(self) -> list[str]:
        return sorted(set(self.tools) | (set(self.toolbox) if self.code_mode else set()))


def looks_like_tool_call(text: str) -> bool:
    """True when text starts (after whitespace) like a tool call written as text."""
    head = text.lstrip()
    if any(head.startswith(m) or m.startswith(head) for m in TOOL_CALL_MARKERS if head):
        return True
    return head.startswith("{") or head.startswith("```")


def recover_tool_calls(
    text: str,
    tools: Mapping[str, Mapping[str, Any]] | Callables,
) -> Recovery:
    """Read the tool calls a model wrote into its text.

    Args:
        text: The model's whole text reply.
        tools: What the reply may call: a `Callables`, or just the tools sent to the model
            (name -> parameters JSON schema, used to recognise untagged calls and coerce types).

    Returns:
        The calls found (in Code Mode, calls to toolbox tools already turned into `execute_code`
        calls), the remaining text, or an error message for the model when a call was attempted
        but is unreadable or names no tool. No calls and no error means an answer.
    """
    callables = tools if isinstance(tools, Callables) else Callables(tools)
    if "<tool_call" in text or "<function=" in text or "<|tool_call|>" in text:
        recovery = _tagged(
            text.replace("<|tool_call|>", "<tool_call>").replace("<tool_call >", "<tool_call>"),
            callables,
        )
    else:
        recovery = _untagged(text, callables)
    if recovery.calls and callables.code_mode:
        recovery.calls = as_code_mode(recovery.calls, callables)
    return recovery


def as_code_mode(calls: list[RecoveredCall], callables: Callables) -> list[RecoveredCall]:
    """Turn calls to toolbox tools (not sent as tool definitions) into one `execute_code` call.

    Calls to tools the server knows (`execute_code`, direct tools) stay as they are; the others
    are written as Python with keyword arguments, in order, the last one's value shown.
    """
    kept = [c for c in calls if c.name in callables.tools]
    moved = [c for c in calls if c.name not in callables.tools]
    if not moved:
        return calls
    lines = [call_source(c.name, c.arguments) for c in moved]
    *first, last = lines
    code = "\n".join([*(f"print({line})" for line in first), last])
    source = moved[0].source
    return [*kept, RecoveredCall(CODE_TOOL, {"code": code}, source=source)]


def call_source(name: str, arguments: Mapping[str, Any]) -> str:
    """`name(key=value, ...)` as Python source (values as Python literals)."""
    parts = []
    for key, value in arguments.items():
        if key.isidentifier():
            parts.append(f"{key}={_literal(value)}")
        else:  # the type check reports the name; keep it visible
            parts.append(f"**{{{key!r}: {_literal(value)}}}")
    return f"{name}({', '.join(parts)})"


def _literal(value: Any) -> str:
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return f"float({str(value)!r})"
    return repr(value)


# --- tagged calls --------------------------------------------------------------------------


def _tagged(text: str, callables: Callables) -> Recovery:
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
                calls.append(_call(name, arguments, callables, "tagged"))
            if not _FUNCTION.search(body):
                problems.append("a <function=...> tag that could not be read")
            continue
        parsed, error = _parse_json(_unfence(body))
        if error:
            problems.append(f"tool call JSON that could not be parsed ({error})")
            continue
        found, error = _calls_from_json(parsed, callables, "tagged")
        if error:
            problems.append(error)
        calls.extend(found)
    unknown = [c.name for c in calls if not callables.known(c.name)]
    if unknown and callables.code_mode:
        problems.append(_unknown(unknown))
    if problems:
        return Recovery(calls=[], text=outside.strip(), error=_retry_message(problems, callables))
    return Recovery(calls=calls, text=outside.strip())


# --- untagged calls: JSON and python blocks ------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    kind: str  # "json" or "python"
    body: str
    before: str
    after: str


def _candidates(text: str) -> list[_Candidate]:
    stripped = text.strip()
    found: list[_Candidate] = []
    if stripped.startswith(("{", "[")):
        found.append(_Candidate("json", stripped, "", ""))
    for fence in _FENCE.finditer(text):
        language = fence.group(1).lower()
        kind = (
            "json" if language in _JSON_FENCES else "python" if language in _PYTHON_FENCES else ""
        )
        body = fence.group(2).strip()
        if not kind or not body:
            continue
        if kind == "python" and body.startswith("{") and '"name"' in body:
            kind = "json"  # a JSON call in a python fence
        found.append(
            _Candidate(kind, body, text[: fence.start()].strip(), text[fence.end() :].strip())
        )
    if not found:
        start = stripped.find('{"name"')
        if start > 0:
            end = _json_end(stripped, start)
            found.append(
                _Candidate(
                    "json", stripped[start:end], stripped[:start].strip(), stripped[end:].strip()
                )
            )
    return found


def _json_end(text: str, start: int) -> int:
    try:
        _, end = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError:
        return len(text)
    return start + end


def _ends_reply(candidate: _Candidate) -> bool:
    """The call is the reply's last thing, after at most a short lead-in."""
    return not candidate.after and len(candidate.before) <= LEAD_IN_LIMIT


def _untagged(text: str, callables: Callables) -> Recovery:
    candidates = _candidates(text)
    if not candidates:
        return Recovery(text=text)
    show = asks_to_show_code(callables.user_text)
    if callables.blocks and callables.code_mode and not show:
        for candidate in candidates:  # the first block that calls a tool runs
            if candidate.kind == "python":
                recovery = _python_candidate(candidate, callables)
                if recovery is not None:
                    recovery.text = candidate.before
                    return recovery
    for candidate in reversed(candidates):  # the last block decides: it is what ends the reply
        if candidate.kind == "json":
            recovery = _json_candidate(candidate, callables)
        elif callables.code_mode:
            recovery = _python_candidate(candidate, callables)
        else:
            recovery = _python_direct_calls(candidate, callables)
        if recovery is None:
            continue
        if show:
            return Recovery(text=text, shown="the user asked to be shown code, not to run it")
        if not _ends_reply(candidate) or len(candidates) > 1 and candidate.kind == "python":
            return Recovery(text=text, shown="a call quoted in prose is shown, not run")
        if recovery.calls:
            recovery.text = candidate.before
        return recovery
    return Recovery(text=text)


def _json_candidate(candidate: _Candidate, callables: Callables) -> Recovery | None:
    """A Recovery when the JSON is a call (or a failed attempt at one); None when it is data."""
    parsed, error = _parse_json(candidate.body)
    if error:
        if _mentions_tool(candidate.body, callables) or _CALL_OPENING.match(candidate.body):
            return Recovery(
                text=candidate.before,
                error=_retry_message(
                    [f"tool call JSON that could not be parsed ({error})"], callables
                ),
            )
        return None
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items or not all(_call_shaped(item) for item in items):
        return None
    calls, error = _calls_from_json(parsed, callables, "json")
    if error:
        return Recovery(text=candidate.before, error=_retry_message([error], callables))
    if callables.code_mode:
        # An invented name around code (`{"name": "create_app", "arguments": {"code": "..."}}`)
        # is an attempt to run that code.
        calls = [
            RecoveredCall(CODE_TOOL, {"code": c.arguments["code"]}, c.source)
            if not callables.known(c.name)
            and set(c.arguments) == {"code"}
            and isinstance(c.arguments["code"], str)
            else c
            for c in calls
        ]
    calls = [_by_arguments(c, callables) if not callables.known(c.name) else c for c in calls]
    unknown = [c.name for c in calls if not callables.known(c.name)]
    if unknown:
        return Recovery(text=candidate.before, error=_retry_message([_unknown(unknown)], callables))
    return Recovery(calls=calls)


def _by_arguments(call: RecoveredCall, callables: Callables) -> RecoveredCall:
    """An invented tool name whose arguments fit exactly one real tool: that tool.

    `{"name": "create_gitignore", "arguments": {"path": ".gitignore", "content": "..."}}` is a
    `write_file` call by its shape: every required parameter given, none unknown. Ambiguous or
    unmatched shapes stay unknown (the model gets the list of real tools).
    """
    given = set(call.arguments)
    if not given:
        return call
    fits = []
    for name in callables.names():
        schema = callables.schema(name) or {}
        properties = set((schema.get("properties") or {}).keys())
        required = set(schema.get("required") or [])
        if required and required <= given <= properties:
            fits.append(name)
    if len(fits) != 1:
        return call
    schema = callables.schema(fits[0]) or {}
    return RecoveredCall(fits[0], coerce_arguments(call.arguments, schema), call.source)


def _call_shaped(item: Any) -> bool:
    """`{"name": str, "arguments"|"parameters": ...}` or `{"function": {"name": ...}}`."""
    if not isinstance(item, dict):
        return False
    if isinstance(item.get("function"), dict):
        item = item["function"]
    return isinstance(item.get("name"), str) and bool({"arguments", "parameters"} & set(item))


def _python_candidate(candidate: _Candidate, callables: Callables) -> Recovery | None:
    """A Code Mode call when the block calls a toolbox tool and defines none; else None.

    `open()` file idioms count as calls to read_file/write_file (`agent.idioms`), but a block
    that writes only through `open()` runs only when the user named every file it writes: an
    example that saves `data.json` in reply to a question must not create it.
    """
    try:
        tree = ast.parse(candidate.body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names = set(callables.toolbox) | set(callables.tools)
    called = _called(tree, names)
    if not called:
        rewritten = rewrite_idioms(candidate.body, names)
        if not rewritten.reads and not rewritten.writes:
            return None
        if not all(path and path in callables.user_text for path in rewritten.writes):
            return None
        called = {"read_file"} if rewritten.reads else {"write_file"}
    defined = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    } | {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    if called & defined:
        return None  # code that defines the tool it calls is an example, not a call
    if set(called) == {CODE_TOOL}:
        return None
    return Recovery(calls=[RecoveredCall(CODE_TOOL, {"code": candidate.body}, source="python")])


def _called(tree: ast.AST, names: set[str]) -> set[str]:
    return {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names
    }


_CALL_OPENING = re.compile(
    r'\s*[\[{]\s*\{?\s*"name"\s*:\s*"[^"]*"\s*,\s*"(?:arguments|parameters)"'
)
"""The start of a JSON call: an unreadable body that starts so is a failed call, not data."""


def _python_direct_calls(candidate: _Candidate, callables: Callables) -> Recovery | None:
    """Direct mode (no Code Mode): a block of plain tool calls with literal arguments, as calls.

    `read_file(path="a.txt")` or `print(read_file("a.txt"))` per line; anything else (loops,
    variables, other code) is not a call there and stays text.
    """
    try:
        tree = ast.parse(candidate.body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    calls: list[RecoveredCall] = []
    for statement in tree.body:
        node = statement.value if isinstance(statement, ast.Expr) else None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "print"
            and len(node.args) == 1
            and not node.keywords
        ):
            node = node.args[0]
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in callables.tools
        ):
            return None
        schema = callables.tools[node.func.id]
        names = list((schema.get("properties") or {}).keys())
        try:
            arguments = {names[i]: ast.literal_eval(arg) for i, arg in enumerate(node.args)}
            for keyword in node.keywords:
                if keyword.arg is None:
                    return None
                arguments[keyword.arg] = ast.literal_eval(keyword.value)
        except (ValueError, TypeError, SyntaxError, IndexError, RecursionError, MemoryError):
            return None
        calls.append(_call(node.func.id, arguments, callables, "python"))
    return Recovery(calls=calls) if calls else None


def _mentions_tool(candidate: str, callables: Callables) -> bool:
    return '"name"' in candidate and any(f'"{name}"' in candidate for name in callables.names())


def _unknown(names: list[str]) -> str:
    listed = ", ".join(dict.fromkeys(names))
    return f"no tool is named {listed}"


# --- shared pieces -------------------------------------------------------------------------


def _strip_newline(value: str) -> str:
    # Qwen3-Coder writes each parameter value on its own lines; the value is what is between.
    if value.startswith("\n"):
        value = value[1:]
    if value.endswith("\n"):
        value = value[:-1]
    return value


def _unfence(body: str) -> str:
    fence = _FENCE.search(body)
    return fence.group(2).strip() if fence else body


def _parse_json(text: str) -> tuple[Any, str | None]:
    """JSON, or the nearest readable thing: trailing commas, Python literals, trailing junk."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        first_error = f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    except RecursionError:
        return None, "nested too deeply"
    try:
        value, end = json.JSONDecoder().raw_decode(text)
        if not text[end:].strip() or text[end:].strip().startswith(("</", "```")):
            return value, None
    except (json.JSONDecodeError, RecursionError):
        pass
    repaired = re.sub(r",\s*([}\]])", r"\1", text)
    try:
        return json.loads(repaired), None
    except (json.JSONDecodeError, RecursionError):
        pass
    try:
        return ast.literal_eval(
            text.replace("true", "True").replace("false", "False").replace("null", "None")
        ), None
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None, first_error


def _calls_from_json(
    parsed: Any, callables: Callables, source: str
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
        calls.append(_call(name, arguments, callables, source))
    return calls, None


def _call(name: str, arguments: dict[str, Any], callables: Callables, source: str) -> RecoveredCall:
    arguments = {key: _unindent(value) for key, value in arguments.items()}
    schema = callables.schema(name)
    return RecoveredCall(
        name=name,
        arguments=coerce_arguments(arguments, schema) if schema else arguments,
        source=source,
    )


def _unindent(value: Any) -> Any:
    """A multi-line string the model indented as a whole (a triple-quoted block): dedented."""
    if not isinstance(value, str) or not value.startswith("\n") or "\n " not in value:
        return value
    lines = value.split("\n")
    if lines[-1].strip() == "":
        lines[-1] = ""
    return textwrap.dedent("\n".join(lines[1:]))


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


def _retry_message(problems: list[str], callables: Callables) -> str:
    names = ", ".join(callables.names()) or "none"
    if callables.code_mode:
        how = (
            "Only the tools listed below exist. Call execute_code with Python that calls them "
            "with keyword arguments and prints what you need (to change a file: read_file, then "
            "write_file with the whole new text)"
        )
    else:
        example = sorted(callables.tools)[0] if callables.tools else "TOOL"
        how = (
            "Call exactly one tool per <tool_call> block as JSON with a name and an arguments "
            f'object, e.g. <tool_call>{{"name": "{example}", "arguments": {{...}}}}</tool_call>'
        )
    return (
        "Your reply tried to call a tool but it could not be read or used: "
        f"{'; '.join(dict.fromkeys(problems))}. {how}, or answer in plain text. "
        f"Available tools: {names}."
    )
