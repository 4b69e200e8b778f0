"""The cheap test run before any parse: could this file hold svcs registrations or middleware?"""

from __future__ import annotations

GATE_WORDS = ("svcs", "register_", "middleware")
"""Words every relevant module contains (imports of svcs, svcs-di or tdom-svcs included)."""


def applies_to(path: str, source: str) -> bool:
    """True when the source mentions svcs, a `register_*` call or middleware.

    Args:
        path: The file (unused: the content decides).
        source: Its text.
    """
    return any(word in source for word in GATE_WORDS)
