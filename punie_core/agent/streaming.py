"""Streamed model text as people should see it: tool-call markup held back until it is known."""

from __future__ import annotations

from punie_core.agent.recovery import (
    TOOL_CALL_MARKERS,
    Callables,
    looks_like_tool_call,
    recover_tool_calls,
)


class PartText:
    """Streamed text of one response part, with tool-call markup held back.

    A part that starts like a tool call (`<tool_call>`, `<function=`, `{`, a code fence) is held
    whole until it ends; in the middle of prose, a tag marker or a code fence starts holding. At
    the end, held text that turns out to be a tool call is dropped (people see the call as a tool
    event); anything else is shown after all.
    """

    def __init__(self) -> None:
        self.shown = ""
        self.pending = ""
        self.holding_all = False

    def feed(self, piece: str) -> str:
        self.pending += piece
        if self.holding_all:
            return ""
        if not self.shown:
            head = self.pending.lstrip()
            if not head:
                return ""
            if looks_like_tool_call(head):
                if any(head.startswith(m) for m in TOOL_CALL_MARKERS) or head[0] in "{`":
                    self.holding_all = True
                return ""
        fence = self.pending.find("```")
        if fence >= 0:
            # A fenced block after a lead-in may be a call (JSON or Python): held until the end.
            self.holding_all = True
            return self._release(fence)
        if self.pending.endswith("`"):
            return self._release(len(self.pending.rstrip("`")))  # maybe a fence: wait for more
        index = self.pending.find("<")
        while index >= 0:
            candidate = self.pending[index:]
            if any(candidate.startswith(m) for m in TOOL_CALL_MARKERS):
                self.holding_all = True
                return self._release(index)
            if any(m.startswith(candidate) for m in TOOL_CALL_MARKERS):
                return self._release(index)  # maybe a marker: wait for more
            index = self.pending.find("<", index + 1)
        return self._release(len(self.pending))

    def _release(self, upto: int) -> str:
        out, self.pending = self.pending[:upto], self.pending[upto:]
        self.shown += out
        return out

    def end(self, tool_names: list[str], prompt: str = "") -> str:
        """What is still to show when the part ends (`prompt`: the user's message it answers)."""
        if not self.pending:
            return ""
        recovery = recover_tool_calls(
            self.shown + self.pending, Callables({name: {} for name in tool_names}, {}, prompt)
        )
        return "" if (recovery.calls or recovery.error) else self.pending
