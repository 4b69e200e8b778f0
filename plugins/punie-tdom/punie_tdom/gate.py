"""The cheap test run before any parse: does this file have anything tdom rules look at?"""

from __future__ import annotations

import re

_TEMPLATE_PREFIX = re.compile(r"(?<![\w\"'\\-])(?:[tT][rR]?|[rR][tT])(?=[\"'])")
"""A t-string literal starts here: `t"`, `t'`, `rt"`, `Tr'` ... (not `not"`, `\t"` or `"-t"`)."""


def applies_to(path: str, source: str) -> bool:
    """True when the source imports tdom or contains a t-string.

    Components often live in modules that never import tdom (they only build t-strings),
    so the t-string prefix counts too. Everything else skips libcst entirely.

    Args:
        path: The file (unused: the content decides).
        source: Its text.
    """
    return "tdom" in source or _TEMPLATE_PREFIX.search(source) is not None
