"""The model-written tools one session sees: the project library's, and the session's own drafts.

A `ToolShelf` rides on the session's toolbox (`Toolbox.shelf`). Library tools join the toolbox
when the session starts, so the prompt lists them and stays byte-stable until the library
changes. A draft that passes its checks bumps `revision`; the sandbox sees the new revision
before the next snippet and type-checks and runs it with `extend(toolbox)`, the toolbox plus the
drafts. Made tools are `Tool` records like any other: every call passes the toolbox gate, and
their code runs only in Monty.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
from pathlib import Path
from typing import Any

from punie_core.plugins.stubs import check_stub, render_tool
from punie_core.plugins.toolbox import Toolbox
from punie_core.toolmaking.checks import MADE_BY, Snippet
from punie_core.toolmaking.library import Draft, Library, LibraryError
from punie_core.toolmaking.source import DraftError, ToolSource, made_tool, read_tool

HISTORY = 20
"""Snippets kept for the replay check."""


class ToolShelf:
    """Library tools and drafts of one session in one project.

    Attributes:
        library: The project's library.
        session_id: The session the drafts belong to.
        model: The model writing them (recorded with each draft).
        revision: Bumped whenever the set of made tools changes.
        refused: One message per library tool that was refused (a file changed outside Punie).
        snippets: The session's latest snippets (for the replay check).
        made: Drafts made since `take_trace_record` (for the trace).
        usage: Calls and failures per made tool since `take_trace_record`.
    """

    def __init__(self, root: Path, *, session_id: str = "", model: str = "") -> None:
        self.library = Library(root)
        self.session_id = session_id
        self.model = model
        self.revision = 0
        self.refused: list[str] = []
        self.snippets: collections.deque[Snippet] = collections.deque(maxlen=HISTORY)
        self.made: list[dict[str, Any]] = []
        self.usage: dict[str, dict[str, int]] = {}
        self._drafts: dict[str, tuple[Draft, ToolSource]] = {}
        self._library: list[tuple[str, str, int]] | None = None  # (name, source, version)
        self._extended: dict[int, tuple[Toolbox, int, Toolbox]] = {}

    # --- the toolbox ------------------------------------------------------------------------

    def extend(self, toolbox: Toolbox) -> Toolbox:
        """`toolbox` with this shelf's made tools (replacing any made tools it had).

        The same object while neither `toolbox` nor the made tools change (the sandbox keeps
        one warm session per toolbox).
        """
        cached = self._extended.get(id(toolbox))
        if cached is not None and cached[0] is toolbox and cached[1] == self.revision:
            return cached[2]
        extended = self._extend(toolbox)
        self._extended[id(toolbox)] = (toolbox, self.revision, extended)
        self._extended[id(extended)] = (extended, self.revision, extended)
        return extended

    def _extend(self, toolbox: Toolbox) -> Toolbox:
        nouns = {noun.name: noun.model for noun in toolbox.nouns}
        kept = [t for t in toolbox.tools if t.plugin not in MADE_BY]
        taken = {t.name for t in kept}
        texts = {k: v for k, v in toolbox.stub_texts.items() if k in taken or k in nouns}
        made = []
        for name, source, version, plugin in self._made_sources():
            if name in taken:
                continue  # a plugin now provides that name: plugins win
            try:
                shape = read_tool(source, name, tools=set(), nouns=nouns, check_calls=False)
                tool = made_tool(shape, plugin=plugin, on_call=self._count)
                text = render_tool(tool)
                check_stub(text, name, function=True)
            except (DraftError, Exception) as exc:  # a tool that no longer fits is left out
                self.refused.append(f"tool {name!r} v{version}: {exc}")
                continue
            made.append(tool)
            texts[name] = text
        tools = tuple(sorted([*kept, *made], key=lambda t: t.name))
        return dataclasses.replace(toolbox, tools=tools, stub_texts=texts, shelf=self)

    def _made_sources(self) -> list[tuple[str, str, int, str]]:
        if self._library is None:
            versions, self.refused = self.library.active()
            self._library = [(v.name, v.source, v.version) for v in versions]
        found = {
            name: (name, source, version, "library") for name, source, version in self._library
        }
        for name, (draft, _) in self._drafts.items():
            found[name] = (name, draft.source, draft.version, "draft")
        return [found[name] for name in sorted(found)]

    # --- drafts -----------------------------------------------------------------------------

    def add_draft(self, draft: Draft, shape: ToolSource) -> None:
        """Make a checked draft usable from the next snippet on, and keep it for promotion."""
        self._drafts[draft.name] = (draft, shape)
        self.revision += 1
        # Kept on disk for `punie tools promote`; a library that cannot be written (a `.punie`
        # linked elsewhere) costs only that: promoting says why.
        with contextlib.suppress(LibraryError):
            self.library.save_draft(draft)

    def draft(self, name: str) -> Draft:
        """This session's draft `name`, else one kept on disk.

        Raises:
            LibraryError: No such draft.
        """
        if name in self._drafts:
            return self._drafts[name][0]
        return self.library.draft(name)

    def promoted(self, name: str) -> None:
        """The draft `name` is in the library now: reload it from there."""
        self._drafts.pop(name, None)
        self._library = None
        self.revision += 1

    # --- what the session records ------------------------------------------------------------

    def record_snippet(self, code: str, result: Any) -> None:
        """Keep a snippet the session ran (the replay check reads them)."""
        self.snippets.append(Snippet(code, result))

    def record_made(self, draft: Draft) -> None:
        self.made.append(
            {"name": draft.name, "version": draft.version, "sha256": draft.sha256, "ok": draft.ok}
        )

    def _count(self, name: str, plugin: str, ok: bool) -> None:
        usage = self.usage.setdefault(name, {"calls": 0, "failures": 0})
        usage["calls"] += 1
        usage["failures"] += 0 if ok else 1
        if plugin == "library":
            self.library.record_call(name, ok)

    def take_trace_record(self) -> dict[str, Any]:
        """What the trace of the prompt that just ended records, then start counting afresh."""
        record = {"made_tools": self.made, "made_tool_calls": self.usage}
        self.made, self.usage = [], {}
        return record


def attach_shelf(toolbox: Toolbox, root: Path, *, session_id: str = "", model: str = "") -> Toolbox:
    """`toolbox` with a new shelf for `root`: the library's tools joined, drafts to come.

    A toolbox that already has a shelf for the same root is returned as it is.
    """
    shelf = getattr(toolbox, "shelf", None)
    if shelf is not None and shelf.library.root == Path(root):
        return toolbox
    return ToolShelf(Path(root), session_id=session_id, model=model).extend(toolbox)


__all__ = ["LibraryError", "ToolShelf", "attach_shelf"]
