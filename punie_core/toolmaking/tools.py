"""`make_tool` and `promote_tool`: the model makes a tool, a person approves it into the library."""

from __future__ import annotations

from punie_core.plugins.context import PermissionRequest, tool_context
from punie_core.plugins.toolbox import current_call_id, current_toolbox, require_approval
from punie_core.toolmaking.checks import check_draft
from punie_core.toolmaking.library import Draft, LibraryError, now
from punie_core.toolmaking.nouns import LibraryTool, ToolDraft
from punie_core.toolmaking.shelf import ToolShelf
from punie_core.toolmaking.source import signature_text, source_hash


def _shelf() -> ToolShelf:
    shelf = getattr(current_toolbox(), "shelf", None)
    if shelf is None:
        raise RuntimeError("tool making needs a session (this toolbox has no tool shelf)")
    return shelf


async def make_tool(name: str, source: str, tests: list[str], description: str) -> ToolDraft:
    """Make a reusable tool from a Python function; check it, then use it.

    Write one function: fully annotated (str, int, float, bool, list, dict, None or a noun),
    with a Google docstring whose `Args:` names every parameter, calling only tools, nouns and
    builtins. Give at least two tests: snippets that call it and `assert` on the result.
    Checks run in order: parse, signature, typecheck, tests, lint, replay. When all pass the
    tool is callable from the next snippet of this session; `promote_tool(name)` asks the user
    to keep it in the project. When one fails, fix what it names and call make_tool again.

    Args:
        name: The function's name (snake_case, not an existing tool's).
        source: The function's source code.
        tests: Two or more snippets with asserts that call the function.
        description: One line: what the tool is for.
    """
    shelf = _shelf()
    toolbox = shelf.extend(current_toolbox())
    version = shelf.library.next_version(name)
    run = await check_draft(
        name, source, tests, toolbox=toolbox, context=tool_context(), history=shelf.snippets
    )
    signature = signature_text(run.shape) if run.shape is not None else ""
    draft = Draft(
        name=name,
        version=version,
        source=source,
        tests=list(tests),
        description=" ".join(description.split()),
        checks=run.checks,
        signature=signature,
        session=shelf.session_id,
        model=shelf.model,
        created=now(),
    )
    shelf.record_made(draft)
    if run.ok and run.shape is not None:
        shelf.add_draft(draft, run.shape)
    return ToolDraft(
        name=name,
        version=version,
        sha256=source_hash(source),
        signature=signature,
        ok=run.ok,
        checks=run.checks,
    )


async def promote_tool(name: str) -> LibraryTool:
    """Ask the user to keep a checked draft tool in the project library.

    The user sees the source and its check results and must approve explicitly. A promoted
    tool is available to every later session in this project.

    Args:
        name: The draft's name (made with make_tool in this session).
    """
    shelf = _shelf()
    try:
        draft = shelf.draft(name)
    except LibraryError as exc:
        raise LookupError(str(exc)) from None
    if not draft.ok:
        raise ValueError(f"draft {name!r} did not pass its checks: make it again first")
    checks = ", ".join(f"{c.kind} {'ok' if c.ok else 'FAILED'}" for c in draft.checks)
    target = f".punie/tools/{name}/v{draft.version}.py"
    await require_approval(
        PermissionRequest(
            call_id=current_call_id() or "",
            tool="promote_tool",
            kind="edit",
            title=f"promote_tool({name}): keep {draft.signature} as {target} ({checks})",
            arguments={
                "name": name,
                "version": draft.version,
                "source": draft.source,
                "tests": draft.tests,
                "checks": [c.model_dump() for c in draft.checks],
            },
            paths=(target,),
            # A tool every later session runs: a person decides, never an auto-approval.
            sensitive=True,
        )
    )
    if name not in {d.name for d in shelf.library.drafts()}:
        shelf.library.save_draft(draft)
    entry = shelf.library.promote(name)
    shelf.promoted(name)
    return entry
