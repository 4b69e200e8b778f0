"""`punie stubs`, `punie prompt`, `punie skills`: exactly what the model is shown."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """Options of `punie stubs`, `punie prompt` and `punie skills`."""
    if name == "prompt":
        parser.add_argument(
            "--tokens", action="store_true", help="also print the token estimate on stderr"
        )
    if name == "skills":
        parser.add_argument("name", nargs="?", help="print this skill's full text instead")


def run(args: argparse.Namespace) -> int:
    """Build the toolbox (reporting broken plugins once on stderr) and print one view of it."""
    from punie_core.plugins.loader import load_toolbox, warn_failures

    toolbox = load_toolbox()
    warn_failures(toolbox)
    if args.command in ("stubs", "prompt"):
        from punie_core.toolmaking.shelf import ToolShelf

        # What a session here gets: the project library's model-written tools, MCP tools.
        toolbox = with_mcp(ToolShelf(Path.cwd()).extend(toolbox))
    if args.command == "stubs":
        sys.stdout.write(toolbox.stubs)
    elif args.command == "prompt":
        from punie_core.plugins.prompt import system_prompt
        from punie_core.specs.index import context_index

        # With the context index (specs, standards, AGENTS.md) of the current directory, as
        # `instructions_for` gives it to the agent.
        index = context_index(Path.cwd())
        prompt = system_prompt(toolbox, index) if index else toolbox.prompt
        sys.stdout.write(prompt)
        if args.tokens:
            from punie_core.plugins.prompt import estimate_tokens

            print(f"~{estimate_tokens(prompt)} tokens", file=sys.stderr)
    elif args.name:
        try:
            skill = toolbox.skill(args.name)
        except LookupError as exc:
            print(f"punie: {exc.args[0]}", file=sys.stderr)
            return 1
        sys.stdout.write(skill.body.strip() + "\n")
    elif not toolbox.skills:
        print("no skills installed", file=sys.stderr)
    else:
        width = max(len(s.name) for s in toolbox.skills)
        for skill in toolbox.skills:
            description = " ".join(skill.description.split())
            print(f"{skill.name.ljust(width)}  ({skill.plugin})  {description}")
    return 0


def with_mcp(toolbox: Any) -> Any:
    """The toolbox a session in this directory gets: plus the configured MCP servers' tools
    (connected for the moment it takes to list them) and the `ide_*` tools."""
    import asyncio

    from punie_core.commands.exec import warn_mcp
    from punie_core.mcp.manager import session_servers

    servers = session_servers(Path.cwd().resolve(), [], permissions=None)
    if not servers.specs:
        warn_mcp(servers.statuses())
        return servers.toolbox(toolbox)

    async def connect() -> Any:
        servers.start()
        try:
            await servers.settle(servers.settle_timeout)
            return servers.toolbox(toolbox)
        finally:
            await servers.aclose()

    extended = asyncio.run(connect())
    warn_mcp(servers.statuses())
    return extended
