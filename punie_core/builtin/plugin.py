"""The core plugin: Punie's own tools, registered through the same hooks as any plugin."""

from __future__ import annotations

from collections.abc import Iterator

from punie_core.plugins.hookspecs import hookimpl
from punie_core.plugins.records import Noun, Tool


@hookimpl
def punie_tools() -> Iterator[Tool]:
    from punie_core.builtin import disclosure, files

    yield Tool(files.read_file, kind="read")
    yield Tool(files.write_file, kind="edit")
    yield Tool(files.list_files, kind="search")
    yield Tool(files.run_command, kind="execute")
    yield Tool(disclosure.load_skill, kind="read")
    yield Tool(disclosure.tool_help, kind="read")


@hookimpl
def punie_nouns() -> Iterator[Noun]:
    from punie_core.builtin.files import WriteResult
    from punie_core.plugins.context import CommandResult

    yield Noun(WriteResult)
    yield Noun(CommandResult)
