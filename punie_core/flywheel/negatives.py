"""Error-then-fix examples: a snippet failed, a later one fixed it; train on the fix.

Two shapes of trace give them:

* The failed call is in the messages (the model saw the error as the tool result and answered
  with a fixed call): the example is the conversation up to the fix, which the turn labelling
  in `turns` already yields as kind `fix`.
* The failed snippet is only in `trace["snippets"]` (the host retried before the message
  history was kept): the example is built from it: the failed code as an `execute_code` call,
  its error text as the tool result, and the recorded fix as the next call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from punie_core.flywheel.turns import CODE_TOOL, Conversation, _snippet_failed


def error_text(snippet: dict[str, Any]) -> str:
    """The text the model is shown for a failed snippet (the sandbox's rendering when available)."""
    result = snippet.get("result")
    if isinstance(result, dict):
        try:
            from punie_core.sandbox.results import CodeResult  # the Code Mode helper's model

            return CodeResult.model_validate(result).for_model()
        except Exception:  # an older or foreign trace: fall back to the recorded error
            pass
    failed, text = _snippet_failed(snippet)
    return text if failed else ""


def built_fix_examples(trace: dict[str, Any], conv: Conversation) -> Iterator[list[dict[str, Any]]]:
    """Error-then-fix conversations built from failed snippets missing from the messages."""
    snippets = [s for s in trace.get("snippets") or [] if isinstance(s, dict)]
    code_turns: dict[str, int] = {}
    for turn in conv.turns:
        for call in conv.messages[turn.index].get("tool_calls", []):
            if call["function"]["name"] == CODE_TOOL and not turn.failed:
                code = json.loads(call["function"]["arguments"]).get("code")
                if isinstance(code, str):
                    code_turns.setdefault(code, turn.index)
    for index, snippet in enumerate(snippets[:-1]):
        if index in conv.matched_snippets or not _snippet_failed(snippet)[0]:
            continue
        following = snippets[index + 1]
        code = following.get("code")
        if _snippet_failed(following)[0] or not isinstance(code, str) or code not in code_turns:
            continue
        failed_code = snippet.get("code")
        if not isinstance(failed_code, str):
            continue
        fix_index = code_turns[code]
        call_id = f"call_failed_{index}"
        yield [
            *conv.messages[:fix_index],
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {
                            "name": CODE_TOOL,
                            "arguments": json.dumps({"code": failed_code}),
                        },
                    }
                ],
            },
            {"role": "tool", "tool_call_id": call_id, "content": error_text(snippet)},
            conv.messages[fix_index],
        ]


def fix_pairs(conv: Conversation) -> int:
    """How many error-then-fix turns the messages hold."""
    return sum(1 for kind, _ in conv.examples() if kind == "fix")
