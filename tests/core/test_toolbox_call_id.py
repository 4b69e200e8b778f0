"""`current_call_id()`: a running tool sees the id its call's events carry."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from punie_core.plugins.context import ToolContext, using_context
from punie_core.plugins.hookspecs import hookimpl
from punie_core.plugins.loader import candidate_from_object, load_toolbox
from punie_core.plugins.records import Tool
from punie_core.plugins.toolbox import current_call_id


def seen_sync() -> str | None:
    """Return the call id this call runs under (a sync tool: runs in a worker thread)."""
    return current_call_id()


async def seen_async() -> str | None:
    """Return the call id this call runs under."""
    return current_call_id()


class _Plugin:
    @hookimpl
    def punie_tools(self) -> Iterator[Tool]:
        yield Tool(seen_sync, kind="read")
        yield Tool(seen_async, kind="read")


def test_a_running_tool_sees_its_own_call_id_and_none_outside(tmp_path: Path) -> None:
    candidate = candidate_from_object(_Plugin(), "call_id_fixture")
    toolbox = load_toolbox(entry_points=False, extra=[candidate], strict=True)
    events: list[Any] = []
    context = ToolContext.local(tmp_path, emit=events.append)

    async def main() -> list[str | None]:
        with using_context(context):
            return [
                await toolbox.call("seen_sync"),
                await toolbox.call("seen_async"),
                await toolbox.call("seen_async", call_id="given_7"),
            ]

    seen = asyncio.run(main())

    assert seen[2] == "given_7"
    assert all(seen) and len(set(seen)) == 3
    assert [e.call_id for e in events] == [seen[0], seen[0], seen[1], seen[1], "given_7", "given_7"]
    assert current_call_id() is None
