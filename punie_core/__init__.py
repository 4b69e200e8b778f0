"""Punie core: the plugin contract, records and toolbox that every Punie plugin builds on.

Plugin modules import what they need from here:

    from punie_core import hookimpl, Tool, Noun, Skill, Validator, Finding, Term
"""

from punie_core.hookspecs import hookimpl
from punie_core.records import (
    Finding,
    Noun,
    PluginUnavailable,
    Skill,
    Term,
    Tool,
    Validator,
)

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
