"""The core plugin: Punie's own tools, registered through the same hooks as any plugin."""

from __future__ import annotations

from collections.abc import Iterator

from punie_core.plugins.hookspecs import hookimpl
from punie_core.plugins.records import Noun, Page, Skill, Tool, View

# A thin entry module, like any plugin's: the tools' modules (and their imports) load inside
# the hooks, so loading the toolbox for `punie plugins` or `punie stubs` stays fast.


@hookimpl
def punie_tools() -> Iterator[Tool]:
    from punie_core.builtin import disclosure, files

    yield Tool(files.read_file, kind="read")
    yield Tool(files.write_file, kind="edit")
    yield Tool(files.list_files, kind="search")
    yield Tool(files.run_command, kind="execute")
    yield Tool(disclosure.load_skill, kind="read")
    yield Tool(disclosure.tool_help, kind="read")
    yield from spec_tools()
    yield from toolmaking_tools()


@hookimpl
def punie_nouns() -> Iterator[Noun]:
    from punie_core.builtin.files import WriteResult
    from punie_core.plugins.context import CommandResult

    yield Noun(WriteResult)
    yield Noun(CommandResult)
    yield from spec_nouns()
    yield from toolmaking_nouns()


@hookimpl
def punie_views() -> Iterator[View | Page]:
    from punie_core.toolmaking import views

    yield from views.views()


@hookimpl
def punie_skills() -> Iterator[Skill]:
    yield Skill.from_package("punie_core.specs", "skills/spec-first")


def spec_tools() -> Iterator[Tool]:
    """Spec-driven work (`punie_core.specs`): layers, specs, requirement status, rule checks."""
    from punie_core.specs import tools

    yield tools.SpecTool(tools.context_layers, kind="read")
    yield tools.SpecTool(tools.spec_show, kind="read")
    # It runs pytest_run through the gate, which asks permission for running the tests.
    yield tools.SpecTool(tools.spec_status, kind="read", timeout=tools.PYTEST_TIMEOUT + 60)
    yield tools.SpecTool(tools.spec_check, kind="read")


def spec_nouns() -> Iterator[Noun]:
    from punie_core.specs import nouns, tools

    for model in (
        nouns.ContextFile,
        nouns.Requirement,
        nouns.RequirementStatus,
        nouns.Spec,
        nouns.SpecStatus,
        nouns.SpecTask,
        nouns.SpecViolation,
    ):
        yield tools.SpecNoun(model)


def toolmaking_tools() -> Iterator[Tool]:
    """Model-written tools (`punie_core.toolmaking`): make a checked tool, keep it."""
    from punie_core.toolmaking import tools

    # Checks run the draft's tests in the sandbox: give them a snippet's time several times over.
    yield Tool(tools.make_tool, kind="other", timeout=120.0)
    # It asks the person itself (explicitly, showing the source) before writing .punie/tools/.
    yield Tool(tools.promote_tool, kind="other")


def toolmaking_nouns() -> Iterator[Noun]:
    from punie_core.toolmaking import nouns

    yield Noun(nouns.ToolDraft)
    yield Noun(nouns.ToolCheck)
    yield Noun(nouns.LibraryTool)
