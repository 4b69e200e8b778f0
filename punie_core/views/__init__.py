"""Nouns as HTML for the web UI: plugin views, the generic schema view, and the sanitizer."""

from __future__ import annotations

from punie_core.views.generic import shape
from punie_core.views.render import (
    Rendered,
    ViewError,
    ViewSet,
    compile_template,
    editor_link,
    noun_from_annotation,
    noun_of,
)
from punie_core.views.sanitize import safe_href, sanitize_html

__all__ = [
    "Rendered",
    "ViewError",
    "ViewSet",
    "compile_template",
    "editor_link",
    "noun_from_annotation",
    "noun_of",
    "safe_href",
    "sanitize_html",
    "shape",
]
