"""The tdom plugin's rule ids (kept apart from the rules so the plugin entry stays light)."""

from __future__ import annotations

RULES: dict[str, str] = {
    "TDOM001": "a component has required positional-only parameters or *args (tdom: TypeError)",
    "TDOM002": "`children` passed as an attribute; it is reserved for content between the tags "
    "(tdom: ValueError)",
    "TDOM003": "an attribute the component has no prop for, and no **attrs (tdom: ValueError)",
    "TDOM004": "a required prop is missing at a call site (tdom: TypeError)",
    "TDOM005": "children given to a component without a `children` parameter (silently dropped)",
    "TDOM006": "a closing tag does not match its opening tag or component (ValueError/TypeError)",
    "TDOM007": "a tag is never closed, or closed without being opened (tdom: ValueError)",
    "TDOM008": "an anonymous fragment `<>...</>` (not supported: renders as escaped text)",
    "TDOM009": "a component does not return a Template (tdom: TypeError)",
    "TDOM010": "html() called inside a t-string: its str result is escaped, not markup",
    "TDOM011": "html()/svg() given a str or f-string instead of a Template (TypeError)",
    "TDOM012": "an f-string where a Template is expected: its markup is escaped",
    "TDOM013": "an interpolated attribute name that tdom cannot parse (ValueError)",
    "TDOM014": "an import of the tdom API removed in 0.1.15 (Node, Element, Fragment, ...)",
}
"""Every rule id of the tdom plugin, with its one-line description."""

LIBRARY = "tdom"
ASSUMED_VERSION = "0.1.20"
"""The newest tdom the rules were checked against: assumed when a project names none."""

VERSIONS: dict[str, str] = {
    "TDOM001": "tdom>=0.1.16",  # #125: props and children must be named
    "TDOM002": "tdom>=0.1.16",  # #128: children passed as an attribute raises
    "TDOM003": "tdom>=0.1.16",  # #127: unexpected component attributes raise
    "TDOM004": "tdom>=0.1.15",
    "TDOM005": "tdom>=0.1.16",
    "TDOM006": "tdom>=0.1",
    "TDOM007": "tdom>=0.1",
    "TDOM008": "tdom>=0.1",
    "TDOM009": "tdom>=0.1.15",  # #112: components return Templates, html() returns str
    "TDOM010": "tdom>=0.1.15",
    "TDOM011": "tdom>=0.1",
    "TDOM012": "tdom>=0.1.15",
    "TDOM013": "tdom>=0.1.15",
    "TDOM014": "tdom>=0.1.12",  # each import: the version that removed it (analysis.REMOVED)
}
"""The tdom versions each rule holds for (`Validator.versions`)."""
