"""How the web UI shows model-written tools: a draft with its checks, library entries, a page."""

from __future__ import annotations

from importlib import resources

from punie_core.plugins.records import Page, View
from punie_core.toolmaking.nouns import LibraryTool, ToolDraft


def _template(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")


LIBRARY = _template("library.html")


def views() -> list[View | Page]:
    """A draft's checks as a table, library entries as one table, and the tools page."""
    return [
        View(ToolDraft, _template("draft.html")),
        View(
            LibraryTool,
            "{% set tools = [value] %}" + LIBRARY,
            list_template="{% set tools = values %}" + LIBRARY,
        ),
        Page(
            "Model-written tools",
            _template("page.html"),
            path="tools",
            nouns=("ToolDraft", "LibraryTool"),
        ),
    ]
