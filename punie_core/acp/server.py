"""Runs the ACP agent on a frame channel: answers at once, loads the SDK and the agent behind it.

The channel starts reading (and answering `initialize`) immediately; the ACP SDK and the
agent import in a worker thread meanwhile, then the SDK's connection takes every other frame.
If that import fails, every request gets a JSON-RPC internal error naming the cause, and the
process keeps answering until the client closes its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from punie_core.acp.channel import FrameChannel
from punie_core.agent.threads import in_daemon_thread

log = logging.getLogger("punie.acp")

IMPORT_DELAY = 1.0
"""Seconds the SDK import waits for the client's `initialize` to be answered first."""


def _import_agent_parts() -> tuple[type, type]:
    # Sessions reach the web UI's permission broker as they open; import it here, off the loop.
    importlib.import_module("punie_core.web")
    agent_module = importlib.import_module("punie_core.acp.agent")
    connection_module = importlib.import_module("acp.agent.connection")
    return agent_module.PunieAgent, connection_module.AgentSideConnection


async def serve_channel(
    channel: FrameChannel,
    *,
    model: str | None = None,
    trace_paths: list[Path] | None = None,
    on_agent: Callable[[Any], None] | None = None,
) -> None:
    """Serve ACP on `channel` until the client closes its end.

    Args:
        channel: The frame channel (stdio in `punie serve`, pipes in tests).
        model: The model string for every session.
        trace_paths: Where stored sessions are read from (default `$PUNIE_HOME/traces`).
        on_agent: Called with the `PunieAgent` once it exists (for other services of the
            process, such as the web UI, and for tests).
    """
    pump = asyncio.create_task(channel.pump(), name="punie-acp-frames")
    # `initialize` first, alone: the SDK import (a second of CPU) would slow its answer down.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(channel.initialized.wait()), IMPORT_DELAY)
    try:
        agent_class, connection_class = await in_daemon_thread(
            _import_agent_parts, "punie-load-acp"
        )
    except Exception as exc:
        log.exception("the ACP agent failed to load")
        channel.fail(f"Punie's ACP agent failed to load: {type(exc).__name__}: {exc}")
        await pump
        await channel.close()
        return
    agent = agent_class(model=model, channel=channel, trace_paths=trace_paths)
    connection = connection_class(agent, channel, listening=False)
    # From here on the agent answers everything; it adopts the sessions the channel opened.
    channel.agent_ready = True
    agent.adopt_early_sessions(channel.early_sessions)
    if on_agent is not None:
        on_agent(agent)
    try:
        await connection.listen()
    finally:
        await agent.shutdown()
        await connection.close()
        await channel.close()
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump


def claim_stdio() -> tuple[int, int]:
    """Reserve the process's stdin and stdout for protocol frames.

    Returns private copies of fds 0 and 1 for the channel, then points fd 0 at /dev/null and
    fd 1 (and `sys.stdout`) at stderr, so a stray `print`, a library's output or a child
    process can neither corrupt the JSON-RPC stream nor swallow the client's frames.
    """
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    frames_in = os.dup(0)
    frames_out = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return frames_in, frames_out
