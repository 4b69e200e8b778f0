"""Text made safe to show on a terminal: no byte from a model, a file or a tool can drive it.

A terminal obeys control bytes: ESC starts CSI sequences that move the cursor and erase lines
(an approval prompt rewritten to show another command), OSC sequences set the window title or
write the clipboard (OSC 52), a carriage return overwrites what was shown, and Unicode bidi
controls display text in another order than it runs. Everything shown on a terminal that Punie
did not write itself goes through `for_terminal`, which replaces each such character with a
visible escape (`\\x1b`, `\\u202e`): the person sees that it is there and nothing acts on it.
"""

from __future__ import annotations

import re

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Arabic letter mark, LRM/RLM, the embeddings and overrides (U+202A-E), the isolates
(U+2066-9): they reorder what a terminal displays (CVE-2021-42574, "Trojan Source")."""

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f" + BIDI_CONTROLS + "\u2028\u2029\ufeff\ufff9-\ufffb]"
)
_UNSAFE_NO_NEWLINES = re.compile(
    "[\x00-\x1f\x7f-\x9f" + BIDI_CONTROLS + "\u2028\u2029\ufeff\ufff9-\ufffb]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str, *, newlines: bool = True) -> str:
    """`text` with every control character a terminal would act on made visible.

    C0 controls (ESC, CR, BEL, backspace, ...), DEL, C1 controls (8-bit CSI and OSC),
    bidi overrides and line/paragraph separators become `\\xNN` / `\\uNNNN`. Tabs are
    kept, and newlines too unless `newlines` is False (one-line displays such as an
    approval question, where a newline could push the real question off the screen).

    Args:
        text: Text from a model, a file or a tool.
        newlines: Keep `\\n` as a line break.
    """
    pattern = _UNSAFE if newlines else _UNSAFE_NO_NEWLINES
    return pattern.sub(_visible, text)


def is_terminal_safe(text: str) -> bool:
    """True when `for_terminal` would leave `text` unchanged."""
    return _UNSAFE.search(text) is None


def json_for_terminal(value: object, *, indent: int | None = None) -> str:
    """`json.dumps(value, ensure_ascii=False)` with C1 controls, bidi controls and line
    separators escaped as `\\uNNNN` too (json escapes only C0): the same JSON value, safe to
    print on a terminal (`indent` as for `json.dumps`)."""
    import json

    text = json.dumps(value, ensure_ascii=False, indent=indent)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_JSON_UNSAFE = re.compile("[\x7f-\x9f" + BIDI_CONTROLS + "\u2028\u2029\ufeff\ufff9-\ufffb]")
