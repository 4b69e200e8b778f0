"""Trace records in the brief's schema (schema 1), for unit tests that need no model."""

from __future__ import annotations

import itertools
import json
from typing import Any

SYSTEM = "You are Punie, a coding agent. Act with execute_code(code)."
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "execute_code",
            "description": "Run Python that calls the tools.",
            "parameters": {
                "type": "object",
                "properties": {"code": {"type": "string"}},
                "required": ["code"],
            },
        },
    }
]
_ids = itertools.count(1)


def ok_result(stdout: str = "", calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "ok": True,
        "stdout": stdout,
        "value": None,
        "error": None,
        "tool_calls": calls or [],
        "ms": 3.0,
    }


def error_result(
    kind: str = "NameError", message: str = "name 'x' is not defined", line: int = 1
) -> dict[str, Any]:
    return {
        "ok": False,
        "stdout": "",
        "value": None,
        "error": {"type": kind, "message": message, "line": line},
        "tool_calls": [],
        "ms": 2.0,
    }


def code_call(code: str, call_id: str | None = None) -> dict[str, Any]:
    return {
        "id": call_id or f"call_{next(_ids)}",
        "type": "function",
        "function": {"name": "execute_code", "arguments": json.dumps({"code": code})},
    }


def make_trace(
    steps: list[tuple[str, dict[str, Any]]],
    *,
    query: str = "Run the tests",
    answer: str = "Done.",
    validated: bool = True,
    tool_calls: list[dict[str, Any]] | None = None,
    in_messages: list[bool] | None = None,
    trace_id: str | None = None,
    retries: int = 0,
    model: str = "local:http://127.0.0.1:1/v1",
) -> dict[str, Any]:
    """A trace whose assistant runs each `(code, result)` snippet in turn, then answers.

    `in_messages[i]` False keeps snippet i out of the message history (the host retried it
    before the history was kept), as some recorders do.
    """
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": query},
    ]
    shown = in_messages or [True] * len(steps)
    for (code, result), visible in zip(steps, shown, strict=True):
        if not visible:
            continue
        call = code_call(code)
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        text = (
            result["stdout"]
            if result["ok"]
            else f"{result['error']['type']}: {result['error']['message']}"
        )
        messages.append({"role": "tool", "tool_call_id": call["id"], "content": text})
    messages.append({"role": "assistant", "content": answer})
    return {
        "schema": 1,
        "id": trace_id or f"trace-{next(_ids):06d}",
        "session_id": "s1",
        "started": "2026-11-22T10:00:00.000+00:00",
        "finished": "2026-11-22T10:00:01.000+00:00",
        "model": model,
        "cwd": "/tmp/project",
        "query": query,
        "system_prompt": SYSTEM,
        "tools": TOOLS,
        "messages": messages,
        "snippets": [{"code": code, "result": result} for code, result in steps],
        "tool_calls": tool_calls or [],
        "validation": {"findings": [], "passed": validated},
        "retries": retries,
        "outcome": "end_turn",
        "output": answer,
        "usage": {"input_tokens": 100, "output_tokens": 20, "requests": len(steps) + 1},
        "timings": {"total_ms": 1000.0, "model_ms": 800.0, "tool_ms": 200.0},
        "validation_passed": validated,
    }
