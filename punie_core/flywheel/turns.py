"""A trace's conversation as training turns: clean OpenAI messages, and which tool calls failed.

Each assistant message after the prompt is a candidate training target (with `--mask-prompt`
mlx-lm trains on the last assistant turn of an example, so one example per turn teaches every
step). A turn whose own tool call failed is never a target, but it stays in the context of the
turns after it: that is what makes an error-then-fix example.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

CODE_TOOL = "execute_code"
RETRY_MARKERS = ("Fix the errors and try again", "TypeCheckError", "SyntaxError")
"""Text of a tool result that reports a failed call when the trace cannot tell otherwise
(pydantic-ai's retry prompt ends with the first one)."""

Kind = Literal["step", "answer", "fix"]


def mapping(value: Any) -> dict[str, Any]:
    """`value` when it is a dict, else an empty one (trace fields may be missing or null)."""
    return value if isinstance(value, dict) else {}


def text_of(content: Any) -> str:
    """Message content as text (OpenAI content may be a list of parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def parse_arguments(arguments: Any) -> dict[str, Any] | None:
    """Tool call arguments as a dict, or None when they are not a JSON object."""
    if isinstance(arguments, dict):
        return arguments
    if isinstance(arguments, str):
        try:
            value = json.loads(arguments or "{}")
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None
    return None


def clean_call(call: dict[str, Any], index: int) -> dict[str, Any] | None:
    """An OpenAI tool call with arguments as a JSON string; None when malformed."""
    function = mapping(call.get("function")) or call
    name = function.get("name")
    arguments = parse_arguments(function.get("arguments"))
    if not isinstance(name, str) or not name or arguments is None:
        return None
    return {
        "id": str(call.get("id") or f"call_{index}"),
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


@dataclass
class Turn:
    """One assistant message of the prompt and what became of its calls.

    Attributes:
        index: Its position in the cleaned messages.
        failed: True when one of its tool calls failed (the turn is never a target).
        broken: True when a call was malformed (unparseable arguments).
        errors: Error text per failed call id.
    """

    index: int
    failed: bool = False
    broken: bool = False
    errors: dict[str, str] = field(default_factory=dict)


@dataclass
class Conversation:
    """The cleaned messages of one trace and its labelled assistant turns.

    Attributes:
        messages: OpenAI chat messages: system first, then the conversation.
        tools: The OpenAI tool definitions the model was sent.
        turns: This prompt's assistant turns, in order.
        matched_snippets: Indexes of `trace["snippets"]` that appear as calls in the messages.
    """

    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    turns: list[Turn]
    matched_snippets: set[int] = field(default_factory=set)

    def examples(self) -> Iterator[tuple[Kind, int]]:
        """`(kind, index)` for every turn that can be a training target."""
        previous_failed = False
        for turn in self.turns:
            message = self.messages[turn.index]
            empty = not message.get("content") and not message.get("tool_calls")
            if not (turn.failed or turn.broken or empty):
                if previous_failed:
                    kind: Kind = "fix"
                elif message.get("tool_calls"):
                    kind = "step"
                else:
                    kind = "answer"
                yield kind, turn.index
            previous_failed = turn.failed


def _snippet_failed(snippet: dict[str, Any]) -> tuple[bool, str]:
    result = mapping(snippet.get("result"))
    error = result.get("error")
    if result.get("ok") is False or error:
        if isinstance(error, dict):
            line = f" (line {error['line']})" if error.get("line") else ""
            return True, f"{error.get('type', 'Error')}: {error.get('message', '')}{line}"
        return True, str(error or "the code failed")
    return False, ""


def conversation(trace: dict[str, Any]) -> Conversation | None:
    """Clean and label a trace's messages; None when it has no usable conversation."""
    raw = trace.get("messages")
    if not isinstance(raw, list) or not raw:
        return None
    messages: list[dict[str, Any]] = []
    broken_ids: set[str] = set()
    for message in raw:
        if not isinstance(message, dict):
            continue
        role = message.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            continue
        clean: dict[str, Any] = {"role": role, "content": text_of(message.get("content"))}
        if role == "assistant" and message.get("tool_calls"):
            calls = []
            for i, call in enumerate(message["tool_calls"]):
                cleaned = clean_call(call, i) if isinstance(call, dict) else None
                if cleaned is None:
                    broken_ids.add(str(len(messages)))
                else:
                    calls.append(cleaned)
            if calls:
                clean["tool_calls"] = calls
        if role == "tool":
            clean["tool_call_id"] = str(message.get("tool_call_id") or "")
            if message.get("name"):
                clean["name"] = str(message["name"])
        messages.append(clean)
    system_prompt = trace.get("system_prompt")
    if (
        isinstance(system_prompt, str)
        and system_prompt
        and (not messages or messages[0]["role"] != "system")
    ):
        messages.insert(0, {"role": "system", "content": system_prompt})
    start = _prompt_start(messages, text_of(trace.get("query")))
    if start is None:
        return None
    raw_tools = trace.get("tools")
    tools: list[dict[str, Any]] = raw_tools if isinstance(raw_tools, list) else []
    conv = Conversation(messages=messages, tools=tools, turns=[])
    outcomes = _call_outcomes(trace, messages, start, conv)
    for index in range(start + 1, len(messages)):
        message = messages[index]
        if message["role"] != "assistant":
            continue
        turn = Turn(index=index, broken=str(index) in broken_ids)
        for call in message.get("tool_calls", []):
            failed, error = outcomes.get(call["id"], (False, ""))
            if failed:
                turn.failed = True
                turn.errors[call["id"]] = error
        following = messages[index + 1] if index + 1 < len(messages) else None
        if following is not None and following["role"] == "user":
            # A user turn inside one prompt is the host's retry request: this reply was unusable.
            turn.failed = True
            turn.errors["retry"] = following["content"]
        conv.turns.append(turn)
    return conv


def _prompt_start(messages: list[dict[str, Any]], query: str) -> int | None:
    """The index of this prompt's user message (the last one carrying the query)."""
    users = [i for i, m in enumerate(messages) if m["role"] == "user"]
    if not users:
        return None
    for index in reversed(users):
        if query and messages[index]["content"].strip() == query.strip():
            return index
    return users[-1]


def _call_outcomes(
    trace: dict[str, Any], messages: list[dict[str, Any]], start: int, conv: Conversation
) -> dict[str, tuple[bool, str]]:
    """Whether each tool call of the prompt failed, by call id.

    Code calls are matched to `trace["snippets"]` by their code, other calls to
    `trace["tool_calls"]` by name and arguments; a call matched to nothing is judged by its
    tool result message.
    """
    snippets = [s for s in trace.get("snippets") or [] if isinstance(s, dict)]
    recorded = [c for c in trace.get("tool_calls") or [] if isinstance(c, dict)]
    used_snippets: set[int] = set()
    used_calls: set[int] = set()
    results = {m["tool_call_id"]: m["content"] for m in messages[start:] if m["role"] == "tool"}
    outcomes: dict[str, tuple[bool, str]] = {}
    for message in messages[start + 1 :]:
        for call in message.get("tool_calls", []) if message["role"] == "assistant" else []:
            name = call["function"]["name"]
            arguments = json.loads(call["function"]["arguments"])
            found: tuple[bool, str] | None = None
            if name == CODE_TOOL:
                code = arguments.get("code")
                for i, snippet in enumerate(snippets):
                    if i not in used_snippets and snippet.get("code") == code:
                        used_snippets.add(i)
                        found = _snippet_failed(snippet)
                        break
            else:
                for i, record in enumerate(recorded):
                    if i in used_calls or record.get("tool") != name:
                        continue
                    if parse_arguments(record.get("arguments")) == arguments:
                        used_calls.add(i)
                        ok = bool(record.get("ok")) and not record.get("refused")
                        found = (not ok, str(record.get("error") or ""))
                        break
            if found is None:
                reply = results.get(call["id"], "")
                failed = any(marker in reply for marker in RETRY_MARKERS)
                found = (failed, reply if failed else "")
            outcomes[call["id"]] = found
    conv.matched_snippets = used_snippets
    return outcomes
