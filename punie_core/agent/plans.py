"""The plan a model states in its answer, read as ACP plan entries (plain text, no extra prompt)."""

from __future__ import annotations

import re

_PLAN_TITLE = re.compile(r"(?:here(?:'s| is)\s+)?(?:[\w-]+\s+){0,2}plan(?:\s+\S+){0,6}", re.I)
_PLAN_ITEM = re.compile(
    r"(?:\d{1,2}[.)]\s+(?:\[(?P<numbered_mark>[ xX~>-])\]\s+)?|[-*+]\s+\[(?P<mark>[ xX~>-])\]\s+)"
    r"(?P<content>\S.*)"
)
_PLAN_STATUS = {"x": "completed", "X": "completed", "~": "in_progress", ">": "in_progress"}


def plan_entries(text: str) -> list[dict[str, str]] | None:
    """The plan the model stated in `text`, as ACP plan entries, or None when it states none.

    A plan is a line naming it (`Plan:`, `## Plan`, `**My plan:**`, `Updated plan:`, `Here
    is the plan for the fix:`) followed by a numbered list (`1.`, `2)`) or a checkbox list
    (`- [ ]`, `- [x]`). Checked boxes are `completed`, `[~]` and `[>]` `in_progress`, anything
    else `pending`; every entry has `medium` priority. The last plan in `text` wins. Plain
    text parsing, no extra prompt tokens: the model is never asked for a special format.
    """
    if "plan" not in text.lower():
        return None
    lines = text.splitlines()
    found: list[dict[str, str]] | None = None
    for index, line in enumerate(lines):
        if not _is_plan_title(line):
            continue
        entries: list[dict[str, str]] = []
        for item in lines[index + 1 :]:
            if not item.strip():
                continue
            match = _PLAN_ITEM.fullmatch(item.strip())
            if match is None:
                if item[:1].isspace() and entries:
                    continue  # an indented detail of the entry above
                break
            mark = match.group("mark") or match.group("numbered_mark") or " "
            content = match.group("content").strip()
            entries.append(
                {
                    "content": content,
                    "priority": "medium",
                    "status": _PLAN_STATUS.get(mark, "pending"),
                }
            )
        if entries:
            found = entries
    return found


def _is_plan_title(line: str) -> bool:
    stripped = line.strip()
    if not stripped or len(stripped) > 80:
        return False
    heading = stripped.startswith("#")
    bold = stripped.lstrip("#").strip().startswith(("**", "__"))
    words = re.sub(r"[#*_]", "", stripped).strip()
    colon = words.endswith(":")
    words = words.rstrip(":").strip()
    return (heading or bold or colon) and _PLAN_TITLE.fullmatch(words) is not None
