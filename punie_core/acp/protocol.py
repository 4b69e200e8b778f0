"""What Punie advertises over ACP, as plain JSON: capabilities, modes, config options, commands.

This module imports nothing heavy, so the stdio channel can answer `initialize` while the ACP
SDK and the agent still load in the background. The SDK-side agent builds its typed responses
from the same dictionaries, so the fast answer and the SDK's answer cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The modes are the agent's (the web UI offers the same ones); re-exported for the ACP side.
from punie_core.agent.modes import ACCEPT_EDITS as ACCEPT_EDITS
from punie_core.agent.modes import ASK as ASK
from punie_core.agent.modes import DEFAULT_MODE as DEFAULT_MODE
from punie_core.agent.modes import MODE_IDS as MODE_IDS
from punie_core.agent.modes import MODES as MODES
from punie_core.agent.modes import READ_ONLY as READ_ONLY
from punie_core.agent.modes import Mode as Mode

PROTOCOL_VERSION = 1
"""The ACP protocol version Punie speaks (the Python and TypeScript SDKs' v1)."""


MODE_OPTION_ID = "mode"
"""The id of the session config option that mirrors the session mode."""


@dataclass(frozen=True)
class Command:
    """A slash command announced to the IDE (`available_commands_update`).

    Attributes:
        name: The name without the leading slash.
        description: What it does.
        hint: Input hint when the command takes an argument.
    """

    name: str
    description: str
    hint: str | None = None


COMMANDS: tuple[Command, ...] = (
    Command("help", "List Punie's slash commands and session modes"),
    Command("mode", "Switch the session mode", hint=" | ".join(MODE_IDS)),
    Command("plugins", "List installed plugins and what each adds to the agent"),
    Command("status", "Show the mode, the model and the MCP servers with their tools"),
)


def agent_version() -> str:
    """Punie's version (the package constant: importing `importlib.metadata` costs ~50 ms)."""
    from punie_core import __version__

    return __version__


def initialize_result(params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `initialize` result: protocol version, honest capabilities and agent info.

    Args:
        params: The client's `initialize` params (only `protocolVersion` matters: Punie
            answers with its own version, which is the client's when it asked for v1).
    """
    return {
        "protocolVersion": PROTOCOL_VERSION,
        "agentCapabilities": {
            "loadSession": True,
            "promptCapabilities": {"image": False, "audio": False, "embeddedContext": True},
            # MCP servers of session/new and session/load: stdio, streamable HTTP and SSE.
            "mcpCapabilities": {"http": True, "sse": True},
            "sessionCapabilities": {"list": {}},
        },
        "authMethods": [],
        "agentInfo": {"name": "punie", "title": "Punie", "version": agent_version()},
    }


def mode_state(current: str) -> dict[str, Any]:
    """The `modes` object of `session/new` and `session/load` results."""
    return {
        "currentModeId": current,
        "availableModes": [
            {"id": mode.id, "name": mode.name, "description": mode.description} for mode in MODES
        ],
    }


def config_options(current_mode: str) -> list[dict[str, Any]]:
    """The full list of session config options (the mode, as a `category: mode` select).

    Zed shows config options instead of modes when both are present, so both stay in step.
    """
    return [
        {
            "type": "select",
            "id": MODE_OPTION_ID,
            "name": "Mode",
            "description": "How Punie treats file changes and commands",
            "category": "mode",
            "currentValue": current_mode,
            "options": [
                {"value": mode.id, "name": mode.name, "description": mode.description}
                for mode in MODES
            ],
        }
    ]


def available_commands() -> list[dict[str, Any]]:
    """The slash commands, as `AvailableCommand` objects."""
    result = []
    for command in COMMANDS:
        entry: dict[str, Any] = {"name": command.name, "description": command.description}
        if command.hint:
            entry["input"] = {"hint": command.hint}
        result.append(entry)
    return result
