"""A scripted model that replays each task's reference solution (`punie eval --reference`).

It tests the harness and the task set deterministically: with the reference answers every task
should pass, which shows each task is solvable and its checks accept a right answer. The
script is keyed on the prompt (the first user message of the request), so tasks can run in
any order; the number of assistant turns already in the request picks the step.
"""

from __future__ import annotations

from typing import Any

from punie_core.flywheel.tasks import Task


def _first_user_text(body: dict[str, Any]) -> str:
    for message in body.get("messages", []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content or "").strip()
    return ""


def reference_script(tasks: list[Task]) -> Any:
    """A `ScriptedModelServer` script callable that answers with each task's reference steps."""
    by_prompt = {task.prompt.strip(): task for task in tasks}

    def reply(body: dict[str, Any], index: int) -> dict[str, Any]:
        task = by_prompt.get(_first_user_text(body))
        if task is None:
            return {"text": "I have no reference answer for this prompt."}
        done = sum(1 for m in body.get("messages", []) if m.get("role") == "assistant")
        steps = list(task.reference) or [{"answer": "(no reference solution in this task)"}]
        step = steps[min(done, len(steps) - 1)] if done < len(steps) else {"answer": "Done."}
        if "code" in step:
            return {"tool_calls": [{"name": "execute_code", "arguments": {"code": step["code"]}}]}
        return {"text": step["answer"]}

    return reply
