"""The spec tools the model calls: context_layers, spec_show, spec_status, spec_check."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from punie_core.plugins.context import tool_context
from punie_core.plugins.records import Noun, Tool
from punie_core.specs.discovery import Discovery, discover
from punie_core.specs.nouns import ContextFile, Spec, SpecStatus, SpecViolation

PYTEST_TIMEOUT = 600.0
PROMPT_GROUP = "spec"
"""The spec tools and nouns are one folded line in the generic prompt; a project with context
files gets them named in its context index instead (`punie_core.specs.index`)."""


@dataclass(frozen=True)
class SpecTool(Tool):
    """A spec tool: folded into one `spec_*` line of the prompt, and not a direct tool."""

    prompt_group: str | None = PROMPT_GROUP


@dataclass(frozen=True)
class SpecNoun(Noun):
    """A spec noun: shown by `tool_help`, not in the prompt's Types section."""

    prompt_group: str | None = PROMPT_GROUP


def _root() -> Path:
    return tool_context().workspace.root


def layer_files(found: Discovery, name: str | None = None) -> list[ContextFile]:
    """The discovered files; with `name` (a name or path), that file with its text.

    Raises:
        LookupError: No context file has that name or path.
    """
    if name is None:
        return [entry.file for entry in found.entries]
    wanted = name.strip()
    for entry in found.entries:
        if wanted in (entry.file.name, entry.file.path):
            from punie_core.specs.layers import read_text

            text, _ = read_text(entry.absolute, entry.within)
            return [entry.file.model_copy(update={"text": text})]
    known = ", ".join(e.file.name for e in found.entries) or "none"
    raise LookupError(f"no context file named {name!r}; known: {known}")


def context_layers(name: str | None = None) -> list[ContextFile]:
    """List the organisation, project and feature context files found.

    Without `name`: every file with its level (`org`, `project`, `feature`), source
    (layout), path, scope (the folder an AGENTS.md governs: the closest one to the edited
    file wins), one-line description and size in tokens; `text` is empty. With `name` (a
    name or path from that list): that one file, with its `text`. Files that could not be
    read are listed with `problem` set.

    Args:
        name: A context file's name or path, to read its text.
    """
    return layer_files(discover(_root()), name)


def spec_show(feature: str | None = None) -> Spec:
    """Show the feature's spec: requirements, criteria, tasks, open questions.

    The feature is the active one unless named: explicit, else the git branch
    (`001-user-auth`), else the most recently changed spec folder. `findings` names the file
    of every problem (empty or malformed files, duplicate ids, tasks naming unknown ids).

    Args:
        feature: A spec folder name, its number (`001`) or slug (`user-auth`).
    """
    found = discover(_root(), feature)
    spec = found.spec()
    if spec is None:
        raise LookupError(
            "this project has no spec folder (specs/NNN-name, agent-os/specs/DATE-slug or "
            ".kiro/specs/NAME); `punie spec new NAME` writes one"
        )
    return spec


async def spec_status(feature: str | None = None) -> SpecStatus:
    """Run the tests; report each requirement passing, failing or uncovered.

    Runs the whole suite once with `pytest_run()` and links tests to requirements by
    `@pytest.mark.spec("FR-001")` (on the test, its class or the module's `pytestmark`) and
    by the id in a test's name (`test_fr_001_...`) or docstring. A requirement is `passing`
    when covering tests ran and all passed, `failing` when one failed or errored,
    `uncovered` when none ran. Success criteria appear only when a test covers them.

    Args:
        feature: A spec folder name, its number or slug (default: the active feature).
    """
    from punie_core.plugins.toolbox import current_toolbox
    from punie_core.specs.linking import statuses

    root = _root()
    found = await asyncio.to_thread(discover, root, feature)
    spec = found.spec()
    if spec is None:
        raise LookupError("this project has no spec folder; `punie spec new NAME` writes one")
    toolbox = current_toolbox()
    if "pytest_run" not in {t.name for t in toolbox.tools}:
        raise LookupError("spec_status needs pytest_run: install punie-quality")
    result = await toolbox.call("pytest_run", kwargs={"timeout": PYTEST_TIMEOUT})
    found_statuses, findings = await asyncio.to_thread(
        statuses,
        root,
        [r.id for r in spec.requirements],
        result,
        [c.id for c in spec.criteria],
    )
    return SpecStatus(
        feature=spec.feature,
        requirements=found_statuses,
        passing=sum(s.status == "passing" for s in found_statuses),
        failing=sum(s.status == "failing" for s in found_statuses),
        uncovered=sum(s.status == "uncovered" for s in found_statuses),
        tasks_done=sum(t.done for t in spec.tasks),
        tasks_total=len(spec.tasks),
        findings=[*spec.findings, *findings],
    )


def spec_check(text: str) -> list[SpecViolation]:
    """Check a plan or diff against the MUST/SHOULD rules in context.

    Checks prohibitions of every layer ("MUST NOT use `print`", "NEVER commit secrets",
    "use httpx instead of requests") against the text; for a unified diff only added lines
    count, and an AGENTS.md applies only to files in its folder. Returns the broken rules
    with their file and line (empty when none is broken).

    Args:
        text: A plan in prose or a unified diff.
    """
    from punie_core.specs.rules import check

    found = discover(_root(), strict=False)
    return check(text, found.entries)
