"""Conversation history carried between prompts: what an interrupted run leaves usable."""

from __future__ import annotations

from dataclasses import replace as replace_part
from typing import Any


def usable_history(messages: list[Any]) -> list[Any]:
    """Messages of an interrupted run that the next prompt can continue from.

    A trailing model response whose tool calls never got results is dropped: OpenAI-style
    servers reject a tool call without its result.
    """
    kept = list(messages)
    while (
        kept
        and getattr(kept[-1], "kind", "") == "response"
        and any(getattr(p, "part_kind", "") == "tool-call" for p in kept[-1].parts)
    ):
        kept.pop()
    return kept


def adopt_thinking(messages: list[Any], model: Any) -> list[Any]:
    """Restored messages whose thinking names `model`'s provider, so it is sent back to it as
    `reasoning_content` (as a live session's own thinking is) instead of as `<think>` text."""
    provider = getattr(model, "system", None)
    if not provider:
        return messages
    adopted = []
    for message in messages:
        if getattr(message, "kind", "") == "response" and any(
            getattr(p, "part_kind", "") == "thinking" and p.provider_name is None
            for p in message.parts
        ):
            parts = [
                replace_part(p, provider_name=provider)
                if getattr(p, "part_kind", "") == "thinking" and p.provider_name is None
                else p
                for p in message.parts
            ]
            message = replace_part(message, parts=parts)
        adopted.append(message)
    return adopted
