"""`punie mcp`: the MCP servers of a project (config files), connected, with their tools.

    punie mcp [--json] [--cwd DIR]     connect every configured server; show state and tools
    punie mcp trust [--cwd DIR]        trust the project's .mcp.json (this content) from now on

Servers come from `$PUNIE_HOME/mcp.json` and the project's `.mcp.json` (used only once trusted:
`punie mcp trust`, or a yes when `punie run` or the IDE asks). Env values and headers are never
printed. Exit status: 0 every server connected, 1 one failed or is untrusted, 2 bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("action", nargs="?", choices=("list", "trust"), default="list")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--cwd", default=".", help="the project directory (default: this one)")


def run(args: argparse.Namespace) -> int:
    root = Path(args.cwd).resolve()
    if not root.is_dir():
        print(f"punie mcp: --cwd {args.cwd!r} is not a directory", file=sys.stderr)
        return 2
    if args.action == "trust":
        return _trust(root)
    import asyncio

    return asyncio.run(_list(root, args.json))


def _trust(root: Path) -> int:
    from punie_core.mcp.config import ConfigProblem, parse_file, project_file
    from punie_core.mcp.trust import remember

    path = project_file(root)
    if not path.is_file():
        print(f"punie mcp: there is no {path}", file=sys.stderr)
        return 1
    content = path.read_bytes()
    try:
        specs = parse_file(content.decode("utf-8"), path, "project")
    except (ConfigProblem, UnicodeDecodeError) as exc:
        print(f"punie mcp: {exc}", file=sys.stderr)
        return 1
    remember(path, content)
    print(f"trusted {path} (this content; an edit asks again). Its servers:")
    for spec in specs:
        print(f"  {spec.describe()}")
    return 0


async def _list(root: Path, as_json: bool) -> int:
    from punie_core.mcp.manager import session_servers
    from punie_core.plugins.loader import load_toolbox

    servers = session_servers(root, [], permissions=None).start()
    try:
        await servers.settle(servers.settle_timeout)
        toolbox = servers.toolbox(load_toolbox())
        rows = servers.public()
    finally:
        await servers.aclose()
    tools: dict[str, list[str]] = {}
    for tool in toolbox.tools:
        server = getattr(tool, "server", "")
        if server:
            tools.setdefault(server, []).append(tool.name)
    for row in rows:
        row["tool_names"] = tools.get(row["name"], [])
    if as_json:
        from punie_core.security.terminal import json_for_terminal

        print(json_for_terminal({"servers": rows}))
    elif not rows:
        print("no MCP servers configured ($PUNIE_HOME/mcp.json, .mcp.json)")
    else:
        for row in rows:
            print(_line(row))
    return 0 if all(r["state"] == "ready" for r in rows) else 1


def _line(row: dict[str, Any]) -> str:
    from punie_core.mcp.status import McpServerStatus

    status = McpServerStatus.model_validate(
        {k: v for k, v in row.items() if k in McpServerStatus.model_fields}
    )
    text = status.line()
    if row.get("tool_names"):
        text += "\n    " + ", ".join(row["tool_names"])
    if status.state == "untrusted":
        text += "\n    run `punie mcp trust` to use the project's .mcp.json"
    return text
