"""How the web UI shows an svcs registry: one table of services and the factories that make them.

The template (`templates/services.html`) is rendered by the core with escaping always on; each
registration links to the line that makes it (`line_link`).
"""

from __future__ import annotations

from importlib import resources
from typing import Any


def _template(name: str) -> str:
    return resources.files("punie_svcs").joinpath("templates", name).read_text(encoding="utf-8")


TABLE = _template("services.html")

REGISTRY = "{% set registrations = values %}" + TABLE
"""A list of registrations (`list_services`): the registry as one table."""

REGISTRATION = "{% set registrations = [value] %}" + TABLE
"""One registration: the same table with one row."""


def views() -> list[Any]:
    """The svcs plugin's view of `ServiceRegistration` (one, or a whole registry)."""
    from punie_core import View
    from punie_svcs.nouns import ServiceRegistration

    return [View(ServiceRegistration, REGISTRATION, list_template=REGISTRY)]
