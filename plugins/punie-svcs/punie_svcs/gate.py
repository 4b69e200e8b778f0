"""The cheap test run before any parse: could this file hold svcs services or middleware?"""

from __future__ import annotations

import os

GATE_WORDS = (
    "svcs",
    "register_factory",
    "register_value",
    "register_local_",
    "register_middleware",
    "register_hookable",
)
"""Words a relevant module contains (imports of svcs, svcs-di and tdom-svcs all say `svcs`)."""


def applies_to(path: str, source: str) -> bool:
    """True when the source mentions svcs or a registration, or when it defines a factory
    or middleware class that such a module registers (those often live in plain modules).

    Args:
        path: The file; its project is searched once per pipeline run.
        source: Its text.
    """
    if any(word in source for word in GATE_WORDS):
        return True
    return os.path.abspath(path) in factory_modules(path)


def factory_modules(path: str) -> frozenset[str]:
    """Files whose functions or classes the project registers as factories (cached per run)."""
    from punie_core import project_root, run_cached

    root = project_root(path)
    return run_cached(("svcs-factory-modules", str(root)), lambda: _factory_modules(str(root)))


def _factory_modules(root: str) -> frozenset[str]:
    from punie_core import project_files, read_source

    relevant = []
    for file in project_files(root):
        try:
            text = read_source(file)
        except (OSError, UnicodeDecodeError):
            continue
        if any(word in text for word in GATE_WORDS):
            relevant.append(file)
    if not relevant:
        return frozenset()  # no svcs here: libcst is never imported
    from punie_svcs.project import referenced_files

    return frozenset(referenced_files(relevant[0], relevant))
