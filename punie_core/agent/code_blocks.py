"""Code Mode as text: the model writes ```python blocks, not tool calls (small local models).

Small coder models rarely emit a structured tool call, but they write Python code blocks
willingly. With the `blocks` tool format, no tool definition is sent: the system prompt asks for
a ```python block, `recover_response` turns a block that calls tools into an `execute_code`
call, and `CodeBlockModel` shows the conversation back to the model the way it wrote it: its
calls as ```python blocks, their results as `Output:` messages. A reply to a question about the
project is started as a block (an assistant prefill: `opens_with_code`), and when it names files,
Punie reads them first (`first_look`). Nothing else changes: the same sandbox, gate, retries and
traces.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.models.wrapper import WrapperModel

from punie_core.agent.blocks import (
    APPLIED,
    APPLY,
    ATTACHED,
    LOOK,
    OUTPUT_PREFIX,
    PREFILL,
    RETRY,
    block,
)
from punie_core.agent.recovery import (
    CODE_TOOL,
    about_the_project,
    asks_to_show_code,
    call_source,
    project_paths,
)


def call_as_block(part: ToolCallPart) -> str:
    """A tool call as the ```python block the model would have written for it."""
    try:
        args = part.args_as_dict()
    except Exception:  # unreadable arguments: show them as they came
        return block(f"{part.tool_name}({part.args!s})")
    if part.tool_name == CODE_TOOL and isinstance(args.get("code"), str):
        code = args["code"]
    else:
        code = f"print({call_source(part.tool_name, args)})"
    return block(code)


def as_text_messages(messages: list[ModelMessage]) -> list[ModelMessage]:
    """The conversation with tool calls as ```python blocks and their results as user text.

    Punie's first look (`first_look`) is shown as part of the user's message, the files it
    printed attached under ATTACHED: shown as a block of the model's own, it was copied by the
    model instead of acted on.
    """
    converted: list[ModelMessage] = []
    for message in messages:
        look = _look_output(message)
        if look is not None:
            if converted and isinstance(converted[-1], ModelRequest):
                converted[-1] = _with_attachment(converted[-1], look)
            continue
        if _is_look_call(message):
            continue
        if isinstance(message, ModelResponse):
            # One text, as the model wrote it: its lead-in, then its block.
            texts = [
                call_as_block(p) if isinstance(p, ToolCallPart) else p.content
                for p in message.parts
                if isinstance(p, TextPart)
                or isinstance(p, ToolCallPart)
                and not (p.tool_call_id or "").startswith(APPLY)  # applied: the text shows it
            ]
            others = [p for p in message.parts if not isinstance(p, (ToolCallPart, TextPart))]
            parts = (
                [*others, TextPart(content="\n".join(t for t in texts if t))] if texts else others
            )
            converted.append(replace(message, parts=parts))
            continue
        if isinstance(message, ModelRequest):
            request_parts: list[Any] = []
            for part in message.parts:
                if isinstance(part, ToolReturnPart):
                    text = OUTPUT_PREFIX + part.model_response_str(wrap_if_error=False)
                    if (part.tool_call_id or "").startswith(APPLY):
                        text = OUTPUT_PREFIX + applied_output(part)
                    if part.outcome in ("retried", "failed"):
                        text += RETRY
                    request_parts.append(UserPromptPart(content=text))
                elif isinstance(part, RetryPromptPart) and part.tool_name is not None:
                    # 0.1 histories: the deprecated retry part.
                    text = part.content if isinstance(part.content, str) else part.model_response()
                    request_parts.append(UserPromptPart(content=OUTPUT_PREFIX + text + RETRY))
                else:
                    request_parts.append(part)
            converted.append(replace(message, parts=request_parts))
            continue
        converted.append(message)
    return converted


def applied_output(part: ToolReturnPart) -> str:
    """The output of a block Punie applied: the write's result ("updated app/calc.py ...")."""
    return APPLIED.format(result=part.model_response_str(wrap_if_error=False).removeprefix("=> "))


def _is_look_call(message: ModelMessage) -> bool:
    return isinstance(message, ModelResponse) and any(
        isinstance(p, ToolCallPart) and (p.tool_call_id or "").startswith(LOOK)
        for p in message.parts
    )


def _look_output(message: ModelMessage) -> str | None:
    if not isinstance(message, ModelRequest):
        return None
    for part in message.parts:
        if isinstance(part, ToolReturnPart) and (part.tool_call_id or "").startswith(LOOK):
            return part.model_response_str(wrap_if_error=False)
    return None


def _with_attachment(request: ModelRequest, output: str) -> ModelRequest:
    parts = list(request.parts)
    for index in range(len(parts) - 1, -1, -1):
        part = parts[index]
        if isinstance(part, UserPromptPart) and isinstance(part.content, str):
            parts[index] = replace(part, content=part.content + ATTACHED + output)
            return replace(request, parts=parts)
    return request


def opens_with_code(messages: list[ModelMessage]) -> bool:
    """Whether the model's next reply is started as a ```python block (an assistant prefill).

    Small models answer "how many tests fail?" with a guessed number. When the request answers
    the user's message, or a retry or nudge, and that message is about the project and does
    not ask to be shown code, the reply is started with PREFILL, so the model acts before it
    answers: it can only continue the block.
    """
    last = messages[-1] if messages else None
    if not isinstance(last, ModelRequest):
        return False
    if any(isinstance(p, (ToolReturnPart, RetryPromptPart)) for p in last.parts):
        # The output of a block, or the files Punie showed (the model may answer from them):
        # the model decides what comes next.
        return False
    text = user_text_of(messages)
    return text is not None and about_the_project(text) and not asks_to_show_code(text)


def user_text_of(messages: list[ModelMessage]) -> str | None:
    """The text of the latest user message (retries and nudges are not user messages)."""
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in reversed(message.parts):
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    return None


LOOK_FILES = 3
"""Most files the first look reads."""

LOOK_BYTES = 20_000
"""Larger files are left for the model to read (or search) itself."""


def first_look(messages: list[ModelMessage], workspace: Any) -> tuple[str, list[str]] | None:
    """The block Punie writes itself before a small model's first reply: read the named files.

    A small model asked to fix `app/calc.py` writes a new `app/calc.py` from its imagination
    instead of reading it first. So when a reply would open with a block (`opens_with_code`)
    and the user's message names files that exist in the workspace, the first step is Punie's,
    deterministic: a block that prints them (at most LOOK_FILES, each at most LOOK_BYTES). It
    runs like any block (the gate, the events, the trace); the model reads its output attached
    to the user's message (`as_text_messages`). Listing the project's files when none is named
    was tried: the model copied the listing block instead of acting (bench/RESULTS.md).

    Returns:
        The block's code and the files it reads, or None when there is nothing to look at.
    """
    text = user_text_of(messages)
    if text is None or not opens_with_code(messages):
        return None
    found: list[str] = []
    for path in project_paths(text):
        try:
            resolved = workspace.resolve(path)
            if resolved.is_file() and resolved.stat().st_size <= LOOK_BYTES:
                found.append(workspace.relative(resolved))
        except (OSError, ValueError):  # outside the workspace, unreadable: not looked at
            continue
    found = list(dict.fromkeys(found))[:LOOK_FILES]
    if not found:
        return None
    # Each file under a header with its size, as an editor shows it.
    code = "\n".join(
        f"text = read_file(path={path!r})\n"
        f"print('--- {path} (' + str(len(text.splitlines())) + ' lines) ---')\n"
        "print(text)"
        for path in found
    )
    return code, found


def with_prefill(response: ModelResponse) -> ModelResponse:
    """The response with PREFILL in front where the server continued it without echoing it.

    llama.cpp echoes the prefill; a server that continues without echoing returns the block's
    code and its closing fence only. A reply that opens a fence itself, or has none, is left as
    it is (a server that ignored the prefill answered afresh).
    """
    parts = list(response.parts)
    index = next((i for i, p in enumerate(parts) if isinstance(p, TextPart)), None)
    if index is None:
        return response
    text = parts[index].content
    first = text.find("```")
    closing = first > 0 and text[first + 3 : first + 4] in ("", "\n", "\r", " ")
    if text.lstrip().startswith("```") or not closing:
        return response
    parts[index] = TextPart(content=PREFILL + text)
    return replace(response, parts=parts)


def as_request(messages: list[ModelMessage]) -> list[ModelMessage]:
    """What the server is sent: the conversation as text, started with PREFILL when it must."""
    shown = as_text_messages(messages)
    if opens_with_code(messages):
        shown.append(ModelResponse(parts=[TextPart(content=PREFILL)]))
    return shown


def without_tools(parameters: ModelRequestParameters) -> ModelRequestParameters:
    """Request parameters that send no tool definition (the prompt describes the tools)."""
    return replace(parameters, function_tools=[], output_tools=[], allow_text_output=True)


class CodeBlockModel(WrapperModel):
    """A model that is asked for ```python blocks instead of tool calls (see the module doc)."""

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: Any,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        return await self.wrapped.request(
            as_request(messages), model_settings, without_tools(model_request_parameters)
        )

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: Any,
        model_request_parameters: ModelRequestParameters,
        run_context: Any = None,
    ) -> AsyncIterator[Any]:
        async with self.wrapped.request_stream(
            as_request(messages),
            model_settings,
            without_tools(model_request_parameters),
            run_context,
        ) as stream:
            yield stream
