"""Punie core: the plugin contract, records and toolbox that every Punie plugin builds on.

Plugin modules import what they need from here:

    from punie_core import hookimpl, Tool, Noun, Skill, Validator, Finding, Term
"""

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: importing typing costs `punie --help` 10 ms
if TYPE_CHECKING:
    from punie_core.hookspecs import hookimpl
    from punie_core.records import Finding, Noun, PluginUnavailable, Skill, Term, Tool, Validator

# Loaded on first use (PEP 562), so `punie --help` does not pay for pluggy and the records.
_LAZY = {"hookimpl": "punie_core.hookspecs"} | dict.fromkeys(
    ("Finding", "Noun", "PluginUnavailable", "Skill", "Term", "Tool", "Validator"), "punie_core.records"
)


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module 'punie_core' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)


__version__ = "0.1.0"

__all__ = [
    "Finding",
    "Noun",
    "PluginUnavailable",
    "Skill",
    "Term",
    "Tool",
    "Validator",
    "__version__",
    "hookimpl",
]
