"""Progress bars on stderr for long stages: redrawn in place on a terminal, else a few lines."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Bar:
    """One stage's progress: `[#####.....] 5/10 lora  loss 1.23  12 s`.

    Args:
        label: The stage name.
        total: Steps to do, or None when the stage cannot count (only time is shown).
        stream: Where to draw (stderr: stdout may carry a result).
    """

    WIDTH = 24

    def __init__(self, label: str, total: int | None = None, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total
        self.stream = stream or sys.stderr
        self.done = 0
        self.note = ""
        self.started = time.monotonic()
        self._drawn = 0.0
        self._last_quarter = -1
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        if not self.tty:
            self._line(f"{label}: started" + (f" ({total} steps)" if total else ""))

    def update(self, done: int | None = None, note: str | None = None) -> None:
        """Move to `done` steps (and show `note`); redraws at most ten times a second."""
        if done is not None:
            self.done = done
        if note is not None:
            self.note = note
        now = time.monotonic()
        if self.tty:
            if now - self._drawn >= 0.1:
                self._drawn = now
                self.stream.write("\r" + self.render() + "\x1b[K")
                self.stream.flush()
        elif self.total:
            quarter = int(4 * self.done / self.total)
            if quarter > self._last_quarter and 0 < quarter < 4:
                self._last_quarter = quarter
                self._line(self.render())

    def finish(self, note: str = "done") -> None:
        """Draw the final state on its own line."""
        if self.total:
            self.done = max(self.done, self.total)
        self.note = note
        if self.tty:
            self.stream.write("\r" + self.render() + "\x1b[K\n")
            self.stream.flush()
        else:
            self._line(self.render())

    def render(self) -> str:
        elapsed = time.monotonic() - self.started
        parts = []
        if self.total:
            filled = int(self.WIDTH * min(self.done, self.total) / self.total)
            parts.append(f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total}")
        else:
            spin = "|/-\\"[int(elapsed * 4) % 4] if self.tty and self.note != "done" else "-"
            parts.append(f"[{spin}]")
        parts.append(self.label)
        if self.note:
            parts.append(self.note)
        parts.append(f"{elapsed:.0f} s")
        return "  ".join(parts)

    def _line(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()
