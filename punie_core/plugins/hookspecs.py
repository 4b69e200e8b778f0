"""The plugin contract: every hook a Punie plugin may implement (specifications only).

A plugin is any module or object with functions marked `@punie_core.hookimpl`, exposed
through the entry-point group `punie`. Collection hooks (`punie_<plural noun>`) take no
arguments and yield typed records from `punie_core.plugins.records`; the core calls them once per
plugin, stamps every record with its plugin and distribution, validates it and merges all
plugins' records sorted by name, so the same plugins always give the same prompt bytes.

Order of calls when the toolbox is built (`punie_core.plugins.loader.load_toolbox`): every plugin is
imported and registered first; then, plugin by plugin, `punie_tools`, `punie_nouns`,
`punie_skills`, `punie_validators`, `punie_vocabulary`, `punie_views`; then names claimed
twice are resolved; last, `punie_render_stub` for every tool and noun, sorted by name.
Anything a plugin gets wrong excludes that plugin as a whole. `punie_workspace_changed` is
an event hook, called after tool calls that changed files. docs/plugins/hooks.md is the
reference with examples.

Hook implementations never have parameters with default values (pluggy would not pass them;
the loader rejects such a plugin), and collection hooks cannot be wrappers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    from punie_core.plugins.changes import WorkspaceChange
    from punie_core.plugins.records import Noun, Page, Skill, Term, Tool, Validator, View

PROJECT = "punie"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class PunieSpecs:
    """All hooks a Punie plugin may implement."""

    @hookspec
    def punie_tools(self) -> Iterable[Tool]:
        """Provide the verbs (typed tools) this plugin adds to Code Mode.

        Called once when the toolbox is built, after every plugin is registered and before
        the stubs and the system prompt are rendered. Must be fast and free of side effects:
        import heavy libraries inside the tool functions, not here.

        Yields:
            `Tool` records. Each function is fully annotated, has a Google docstring with an
            `Args:` entry per parameter, and a name unique across all plugins (a clash is a
            reported conflict that excludes both plugins).

        Example:
            ```python
            @hookimpl
            def punie_tools():
                yield Tool(list_components, kind="search")
            ```
        """
        raise NotImplementedError

    @hookspec
    def punie_nouns(self) -> Iterable[Noun]:
        """Provide the domain nouns (Pydantic models) the model reads and builds.

        Called once when the toolbox is built. Nouns used as a tool's parameter or result
        are rendered in the stubs automatically; yield them here to name them in the
        prompt's vocabulary even when no tool mentions them, or to make sure they are shown.

        Yields:
            `Noun` records wrapping a `pydantic.BaseModel` subclass (a bare subclass is
            accepted and wrapped). Class names are unique across plugins.

        Example:
            ```python
            @hookimpl
            def punie_nouns():
                yield Noun(ComponentSpec)
            ```
        """
        raise NotImplementedError

    @hookspec
    def punie_skills(self) -> Iterable[Skill]:
        """Provide skill documents (Agent Skills `SKILL.md`) shipped as package data.

        Called once when the toolbox is built. The prompt lists each skill's name and
        description; the body is returned by the `load_skill(name)` tool on demand. A
        malformed SKILL.md excludes the whole plugin, with the file named in the report.

        Yields:
            `Skill` records, usually `Skill.from_package(__package__, "skills/NAME")`.

        Example:
            ```python
            @hookimpl
            def punie_skills():
                yield Skill.from_package("punie_tdom", "skills/tdom-components")
            ```
        """
        raise NotImplementedError

    @hookspec
    def punie_validators(self) -> Iterable[Validator]:
        """Provide validators for `punie check` and for every file the agent writes.

        Called once when the toolbox is built. The pipeline runs layers in order: `syntax`,
        `conventions` (then their fixes, then `syntax` again), `types`. A validator returns
        findings for bad code; raising means the validator is broken.

        Yields:
            `Validator` records with a unique name and documented rule ids.

        Example:
            ```python
            @hookimpl
            def punie_validators():
                yield Validator(
                    name="tdom_conventions",
                    layer="conventions",
                    rules={"TDOM001": "children passed as an attribute"},
                    check=check_tdom,
                    applies_to=lambda path, source: "tdom" in source,
                )
            ```
        """
        raise NotImplementedError

    @hookspec
    def punie_vocabulary(self) -> Iterable[Term]:
        """Provide the words of this plugin's domain, listed in the system prompt.

        Called once when the toolbox is built. Keep meanings to one short line: they are
        paid for in prompt tokens on every request.

        Yields:
            `Term` records.

        Example:
            ```python
            @hookimpl
            def punie_vocabulary():
                yield Term("component", "a function or dataclass returning a tdom Template")
            ```
        """
        raise NotImplementedError

    @hookspec
    def punie_views(self) -> Iterable[View | Page]:
        """Provide how the web UI shows this plugin's nouns, and pages of the plugin's own.

        Called once when the toolbox is built, last of the collection hooks. When a tool
        returns one of these nouns (or a list of them), the web UI renders it on the server
        with its `View`: a Jinja2 template rendered with escaping always on (`|safe`
        and `{% autoescape %}` are refused), then rebuilt from an allowlist of elements and
        attributes (no script, no event handlers, no `javascript:` links; frames only as
        `sandbox`ed `srcdoc` previews). A noun without a view is rendered from its Pydantic
        schema. A view that fails when rendering never breaks the page: the value is shown
        by the generic view with a notice. A malformed record excludes the plugin.

        Yields:
            `View` records (a noun class, a template for one value, optionally a template
            for a list and a `prepare(value) -> dict` for computed variables; when two
            plugins show the same noun, the first by plugin name wins) and `Page` records,
            served at `/plugins/<plugin>/<path>` with a policy that allows no script and
            without the user's token.

        Example:
            ```python
            @hookimpl
            def punie_views():
                yield View(ComponentSpec, "<h3>{{ value.name }}</h3>{{ generic(value.props) }}")
                yield Page("Components", "<h1>{{ title }}</h1>", nouns=("ComponentSpec",))
            ```
        """
        raise NotImplementedError

    @hookspec(firstresult=True)
    def punie_render_stub(self, record: Tool | Noun) -> str | None:
        """Render the Python stub text for one tool or noun.

        Called for every tool and noun when the stub module is built. The first non-`None`
        result wins; the core's default renderer is registered `trylast`, so a plugin can
        render its own records (or any other) differently. The result must be valid Python
        stub code that `ty` and `ast` accept and must define `record.name` at top level; a
        renderer that raises or answers anything else excludes its plugin.

        Args:
            record: The stamped `Tool` or `Noun` to render.

        Returns:
            The stub source, or `None` to leave it to the next implementation.

        Example:
            ```python
            @hookimpl
            def punie_render_stub(record):
                if isinstance(record, Tool) and record.name == "render":
                    return "def render(name: str) -> str:\\n    \\"\\"\\"Render a page.\\"\\"\\"\\n"
                return None
            ```
        """
        raise NotImplementedError

    @hookspec
    def punie_workspace_changed(self, root: Path, changes: tuple[WorkspaceChange, ...]) -> None:
        """React to files a tool call created, changed or deleted in the workspace.

        Called once after every tool call that wrote, moved or deleted files through the
        toolbox gate (whether it succeeded or failed part-way), locally or in the IDE (ACP
        `fs/write_text_file`), before the next tool call starts. Plugins that cache project
        state (an index, a language server) use it to stay current. Changes made outside
        Punie (the person's editor, `git checkout`, a shell command) are not reported: check
        the disk before answering if that matters. An implementation that raises is logged
        and skipped; the change stands and the other plugins are still told.

        Args:
            root: The workspace root (absolute).
            changes: One `WorkspaceChange` per file, sorted by path: `path` relative to
                `root`, `kind` (`created`, `changed`, `deleted`) and `text`, the new text
                exactly as written (None for a deletion, a binary or a very large file).

        Returns:
            Nothing; the return value is ignored.

        Example:
            ```python
            @hookimpl
            def punie_workspace_changed(root, changes):
                for change in changes:
                    INDEX.forget(root / change.path)
            ```
        """
        raise NotImplementedError


COLLECTION_HOOKS: dict[str, str] = {
    "punie_tools": "Tool",
    "punie_nouns": "Noun",
    "punie_skills": "Skill",
    "punie_validators": "Validator",
    "punie_vocabulary": "Term",
    "punie_views": "View",
}
"""Collection hook name -> the record type it yields."""
