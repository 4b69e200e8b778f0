"""`punie serve`: the ACP agent on stdio, for PyCharm, Zed and other ACP clients.

stdout carries only JSON-RPC frames; logs go to stderr (or `--log-file` / `PUNIE_LOG`).
`main` runs the ACP connection and any other service of the same process (the web UI) as
tasks of one asyncio loop; the process ends when the client closes stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Awaitable, Coroutine
from typing import Any

from punie_core.commands import http_address


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument(
        "--model",
        "-m",
        help="model string: local, local:NAME, local:http://HOST:PORT/v1, openai:... "
        "(default: PUNIE_MODEL, then the config file, then local)",
    )
    parser.add_argument(
        "--log-file", help="write logs to this file instead of stderr (or set PUNIE_LOG)"
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log protocol-level details")
    parser.add_argument(
        "--http",
        metavar="HOST:PORT",
        type=http_address,
        help="web UI address (default: 127.0.0.1, a free port)",
    )
    parser.add_argument("--no-http", action="store_true", help="do not start the web UI")


def run(args: argparse.Namespace) -> int:
    from punie_core.acp.server import claim_stdio

    frames_in, frames_out = claim_stdio()
    setup_logging(args.log_file or os.environ.get("PUNIE_LOG"), args.verbose)
    code = 130
    with contextlib.suppress(KeyboardInterrupt):
        code = asyncio.run(main(args, frames_in, frames_out))
    exit_now(code)
    return code


def exit_now(code: int) -> None:
    """End the process without the interpreter's teardown of every module.

    The client has gone; tearing down pydantic-ai, the SDK's schema and the plugins object by
    object takes seconds on a small machine and helps nobody. Exit handlers (the sandbox's
    pool, logging) still run, and the output streams are flushed first.
    """
    import atexit

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


STARTUP_GRACE = 2.0
"""Seconds other services wait for each of the client's first requests before starting anyway."""


async def main(args: argparse.Namespace, frames_in: int, frames_out: int) -> int:
    """Run the ACP agent (and the other services of this process) until the client leaves."""
    from punie_core.acp.channel import open_stdio
    from punie_core.acp.server import serve_channel

    channel = await open_stdio(frames_in, frames_out)
    acp = asyncio.create_task(serve_channel(channel, model=args.model), name="punie-acp")
    # IDEs wait for `initialize` and `session/new` before showing the agent (and give up after
    # a while): other services start, and import what they need, once those are answered.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(channel.initialized.wait()), STARTUP_GRACE)
        await asyncio.wait_for(asyncio.shield(channel.session_opened.wait()), STARTUP_GRACE)
    others: list[Coroutine[Any, Any, Any]] = []
    # Other services of this process (the web UI) are appended to `others` here.
    if not args.no_http:
        from punie_core.web import run_web

        others.append(run_web(args.http, project=os.getcwd(), model=args.model, command="serve"))
    try:
        await run_until_first_ends(acp, others)
    finally:
        await close_sandboxes()
    return 0


async def close_sandboxes() -> None:
    """Close the sandbox's worker pool while the loop still runs (the atexit hook is a fallback).

    The ACP agent closes it when the client leaves, but a web UI prompt may have used it since.
    """
    if "punie_core.sandbox.runner" in sys.modules:
        with contextlib.suppress(Exception):
            await sys.modules["punie_core.sandbox.runner"].shutdown_pool()


async def run_until_first_ends(
    main_task: Awaitable[Any], others: list[Coroutine[Any, Any, Any]]
) -> None:
    """Run `main_task` with `others`; when it ends, cancel the others (failures are logged)."""
    tasks = [asyncio.create_task(coroutine) for coroutine in others]
    for task in tasks:
        task.add_done_callback(_log_failure)
    try:
        await main_task
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logging.getLogger("punie").error("a service of this process failed: %r", task.exception())


def setup_logging(log_file: str | None, verbose: bool) -> None:
    """Logs to stderr or a file, never stdout."""
    handler: logging.Handler = logging.StreamHandler(sys.stderr)
    if log_file:
        try:
            handler = logging.FileHandler(os.path.expanduser(log_file), encoding="utf-8")
        except OSError as exc:
            # The IDE is waiting for `initialize`: a bad log path must not cost it the agent.
            print(
                f"punie serve: cannot log to {log_file} ({exc}); logging to stderr", file=sys.stderr
            )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("punie").setLevel(logging.DEBUG if verbose else logging.INFO)
