"""`punie exec FILE|-`: run Code Mode code in the sandbox with every tool, rooted at a directory.

Exit status: 0 the snippet ran, 1 it failed (type error, exception, limit), 2 usage error.
With `--json`, stdout carries exactly one JSON object; otherwise the snippet's printed output
and its value go to stdout and the error to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """Add `exec`'s arguments."""
    parser.add_argument("file", metavar="FILE|-", help="the snippet to run ('-' reads stdin)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with the result")
    parser.add_argument(
        "--cwd", metavar="DIR", default=".", help="workspace root (default: the current directory)"
    )
    parser.add_argument(
        "--yes", action="store_true", help="allow tools that write files or run commands"
    )


def result_json(result: Any) -> dict[str, Any]:
    """The `--json` shape: ok, stdout, value, error, tool_calls (tool, ok, ms), ms."""
    error = result.error
    return {
        "ok": result.ok,
        "stdout": result.stdout,
        "value": result.value,
        "error": None
        if error is None
        else {"type": error.type, "message": error.message, "line": error.line},
        "tool_calls": [
            {"tool": c.tool, "ok": c.ok, "ms": round(c.ms, 3)} for c in result.tool_calls
        ],
        "ms": round(result.ms, 3),
    }


async def _run_with_mcp(code: str, toolbox: Any, context: Any) -> Any:
    """Run the snippet with the configured MCP servers' tools too (and the `ide_*` tools)."""
    from punie_core.mcp.manager import session_servers
    from punie_core.sandbox.runner import execute_code, shutdown_pool

    servers = session_servers(context.workspace.root, [], permissions=context.permissions).start()
    try:
        await servers.settle(servers.settle_timeout)
        warn_mcp(servers.statuses())
        return await execute_code(code, toolbox=servers.toolbox(toolbox), context=context)
    finally:
        await servers.aclose()
        await shutdown_pool()


def warn_mcp(statuses: list[Any]) -> None:
    """One stderr line per MCP server that failed or is untrusted, with why."""
    for status in statuses:
        if status.state in ("failed", "untrusted"):
            print(f"punie: MCP server {status.line()}", file=sys.stderr)


def _usage_error(message: str) -> int:
    print(f"punie exec: {message}", file=sys.stderr)
    return 2


def run(args: argparse.Namespace) -> int:
    """Run the snippet; return the exit status."""
    if args.file == "-":
        code = sys.stdin.read()
    else:
        try:
            code = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return _usage_error(f"cannot read {args.file}: {exc}")
    cwd = Path(args.cwd)
    if not cwd.is_dir():
        return _usage_error(f"--cwd {args.cwd}: not a directory")
    from punie_core.security.workspace import UnsafeWorkspace, check_root

    try:
        check_root(cwd.resolve())  # not `/`, not a home directory (docs/security.md)
    except UnsafeWorkspace as exc:
        return _usage_error(str(exc))

    import asyncio

    from punie_core.plugins.context import ToolContext
    from punie_core.plugins.loader import load_toolbox, warn_failures
    from punie_core.toolmaking.shelf import ToolShelf

    toolbox = load_toolbox()
    warn_failures(toolbox)
    toolbox = ToolShelf(Path(cwd)).extend(toolbox)  # the project library's tools
    context = ToolContext.local(cwd, yes=args.yes)
    result = asyncio.run(_run_with_mcp(code, toolbox, context))

    from punie_core.security.terminal import for_terminal, json_for_terminal

    # Output carries bytes from files and tools: on a terminal, no control sequence runs.
    shown = for_terminal if sys.stdout.isatty() else _unchanged
    if args.json:
        sys.stdout.write(json_for_terminal(result_json(result)) + "\n")
    else:
        sys.stdout.write(shown(result.stdout))
        if result.value_text is not None:
            sys.stdout.write(shown(result.value_text) + "\n")
        elif result.value is not None:
            value = result.value
            sys.stdout.write(shown(value if isinstance(value, str) else json.dumps(value)) + "\n")
        if result.error is not None:
            error = result.error
            text = error.traceback if error.traceback else error.message
            where = f" (line {error.line})" if error.line and not error.traceback else ""
            heading = "" if error.traceback else f"{error.type}{where}: "
            print(for_terminal(f"{heading}{text}"), file=sys.stderr)
    sys.stdout.flush()
    return 0 if result.ok else 1


def _unchanged(text: str) -> str:
    return text
