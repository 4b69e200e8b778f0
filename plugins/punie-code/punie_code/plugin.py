"""punie-code's hook implementations: navigation, refactoring and git tools, nouns, skill, terms.

Kept import-light (the tools and their dependencies load inside the hooks), so `punie plugins`
stays fast.

Tool kinds, which decide permission at the toolbox gate:

- Navigation (`definition`, `references`, ...) and git tools are `read`/`search`: they ask
  the language server or run read-only git, and never run project code.
- `rename_symbol`, `extract_function`, `move_symbol` are `read` too: by default they only
  return a plan. With `apply=True` they ask the same permission policy themselves, once for
  every file of the plan (shown as diffs), before writing anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from punie_core import Noun, Skill, Term, Tool, WorkspaceChange, hookimpl

NAVIGATION_TIMEOUT = 60.0
REFACTOR_TIMEOUT = 180.0


@hookimpl
def punie_tools() -> Iterator[Tool]:
    from punie_code import git, navigation, refactor

    for function in (navigation.definition, navigation.references, navigation.hover):
        yield Tool(function, kind="read", timeout=NAVIGATION_TIMEOUT)
    for function in (
        navigation.symbols,
        navigation.find_symbol,
        navigation.callers,
        navigation.callees,
    ):
        yield Tool(function, kind="search", timeout=NAVIGATION_TIMEOUT)
    yield Tool(navigation.diagnostics, kind="read", timeout=NAVIGATION_TIMEOUT)
    for function in (refactor.rename_symbol, refactor.extract_function, refactor.move_symbol):
        yield Tool(function, kind="read", timeout=REFACTOR_TIMEOUT)
    for function in (git.git_status, git.git_diff, git.git_log, git.git_blame):
        yield Tool(function, kind="read", timeout=git.GIT_TIMEOUT + 10)


@hookimpl
def punie_nouns() -> Iterator[Noun]:
    from punie_code import nouns

    for name in nouns.__all__:
        yield Noun(getattr(nouns, name))


@hookimpl
def punie_skills() -> Iterator[Skill]:
    yield Skill.from_package("punie_code", "skills/code-navigation")


@hookimpl
def punie_vocabulary() -> Iterator[Term]:
    yield Term("position", "path, line, column: 1-based, from a Symbol or Location")
    yield Term("plan", "a RefactorPlan; nothing is written until apply=True")


@hookimpl
def punie_workspace_changed(root, changes: Iterable[WorkspaceChange]) -> None:
    # Only a running server needs telling: a server started later reads the disk.
    from punie_code.server import running_server

    server = running_server(root)
    if server is not None:
        server.changed((c.path, c.kind, c.text) for c in changes)
