"""What the person sees of a session's MCP servers: one status noun per server, and an event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

State = Literal["connecting", "ready", "failed", "untrusted", "closed"]


class McpServerStatus(BaseModel):
    """One MCP server of a session.

    Attributes:
        name: The server's name (its tools are `<name>_<tool>`).
        transport: `stdio`, `http` or `sse`.
        source: `client` (the IDE passed it), `user` or `project` (config files).
        state: `connecting`, `ready`, `failed`, `untrusted` (a project file not trusted)
            or `closed`.
        tools: How many tools it gave (0 unless ready).
        error: Why it failed, in its own words (secrets masked), or None.
        skipped: Tools left out, with why (a name taken by a plugin tool, ...).
        ms: Milliseconds it took to connect (or to fail).
    """

    name: str
    transport: str
    source: str = "client"
    state: State = "connecting"
    tools: int = 0
    error: str | None = None
    skipped: list[str] = []
    ms: float = 0.0

    def line(self) -> str:
        """One line for people: `jetbrains (stdio, client): ready, 24 tools`."""
        head = f"{self.name} ({self.transport}, {self.source}): {self.state}"
        if self.state == "ready":
            head += f", {self.tools} tool{'s' if self.tools != 1 else ''}"
        if self.error:
            head += f": {self.error}"
        if self.skipped:
            head += f" (left out: {'; '.join(self.skipped)})"
        return head


@dataclass(frozen=True)
class McpServersChanged:
    """A session's MCP servers changed state (connected, failed, closed).

    Attributes:
        session_id: The session.
        servers: Every server's status, sorted by name.
    """

    session_id: str
    servers: list[McpServerStatus]


def summary_text(servers: list[McpServerStatus]) -> str:
    """The `/status` and agent-message text: one line per server."""
    if not servers:
        return "MCP servers: none"
    return "MCP servers:\n" + "\n".join(f"- {s.line()}" for s in servers)
