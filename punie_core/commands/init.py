"""`punie init`: add Punie to PyCharm's ACP agents (`~/.jetbrains/acp.json`) or print Zed's.

The JetBrains file is merged, never replaced: other agents and top-level keys stay as they
are, an existing Punie entry keeps its extra keys and environment, and the previous file is
copied to `acp.json.<time>.bak` before the new one is written (atomically). `--zed` prints the
`agent_servers` snippet for `~/.config/zed/settings.json` instead (Zed's settings file may hold
comments, so Punie does not edit it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

DEFAULT_NAME = "Punie"


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--zed", action="store_true", help="print the Zed settings snippet instead")
    parser.add_argument(
        "--model", "-m", help="model string passed to `punie serve --model` (default: none)"
    )
    parser.add_argument(
        "--name", default=DEFAULT_NAME, help=f"the agent's name in the IDE (default {DEFAULT_NAME})"
    )
    parser.add_argument(
        "--file", type=Path, help="the JetBrains file to merge into (default ~/.jetbrains/acp.json)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the merged file, write nothing"
    )


def punie_command() -> list[str]:
    """The absolute command that starts this Punie (IDEs do not inherit the shell's PATH)."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "punie" and script.exists():
        return [str(script.absolute())]
    beside = Path(sys.executable).with_name("punie")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("punie")
    if found:
        return [str(Path(found).absolute())]
    return [sys.executable, "-m", "punie_core.cli"]


def serve_args(model: str | None) -> list[str]:
    return ["serve", *(["--model", model] if model else [])]


def jetbrains_entry(command: list[str], model: str | None) -> dict[str, Any]:
    """The `agent_servers` entry for `~/.jetbrains/acp.json`."""
    return {"command": command[0], "args": [*command[1:], *serve_args(model)], "env": {}}


def zed_settings(name: str, command: list[str], model: str | None) -> dict[str, Any]:
    """The `agent_servers` part of Zed's settings (`type: custom` is required by current Zed)."""
    entry = {
        "type": "custom",
        "command": command[0],
        "args": [*command[1:], *serve_args(model)],
        "env": {},
        "default_mode": "ask",
    }
    return {"agent_servers": {name: entry}}


class InitError(Exception):
    """The existing file cannot be merged (the message says why; nothing was written)."""


def merged_config(existing: str | None, name: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The JetBrains config with Punie's entry merged in.

    Raises:
        InitError: The existing text is not a JSON object with an object `agent_servers`.
    """
    if existing is None or not existing.strip():
        config: dict[str, Any] = {}
    else:
        try:
            config = json.loads(existing)
        except json.JSONDecodeError as exc:
            raise InitError(
                f"it is not valid JSON ({exc}); fix or move it, then run `punie init` again"
            ) from None
        if not isinstance(config, dict):
            raise InitError("it is not a JSON object")
    servers = config.setdefault("agent_servers", {})
    if not isinstance(servers, dict):
        raise InitError('its "agent_servers" is not an object')
    previous = servers.get(name)
    if isinstance(previous, dict):
        env = previous.get("env") if isinstance(previous.get("env"), dict) else {}
        servers[name] = {**previous, **entry, "env": {**env, **entry["env"]}}
    else:
        servers[name] = dict(entry)
    # PyCharm passes its own MCP server (inspections, rename, run configurations, search) only
    # with `use_idea_mcp`, and the MCP servers configured in the IDE with `use_custom_mcp`;
    # values the person set themselves are kept.
    servers[name].setdefault("use_idea_mcp", True)
    defaults = config.setdefault("default_mcp_settings", {})
    if isinstance(defaults, dict):
        defaults.setdefault("use_idea_mcp", True)
        defaults.setdefault("use_custom_mcp", True)
    return config


def backup_path(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.{stamp}.bak")
    number = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.{stamp}-{number}.bak")
        number += 1
    return candidate


def run(args: argparse.Namespace) -> int:
    command = punie_command()
    if args.zed:
        snippet = zed_settings(args.name, command, args.model)
        print('Add this to ~/.config/zed/settings.json (merge into an existing "agent_servers"):')
        print(json.dumps(snippet, indent=2))
        return 0
    path: Path = args.file or Path.home() / ".jetbrains" / "acp.json"
    try:
        existing = path.read_text(encoding="utf-8") if path.exists() else None
        config = merged_config(existing, args.name, jetbrains_entry(command, args.model))
    except (InitError, OSError, UnicodeDecodeError) as exc:
        print(f"punie init: cannot update {path}: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(config, indent=2) + "\n"
    if args.dry_run:
        print(text, end="")
        return 0
    if existing is not None and json.loads(existing) == config:
        print(f"{path} already has the {args.name} agent; nothing to change")
        return 0
    from punie_core.security.workspace import atomic_write_text

    if existing is not None:
        backup = backup_path(path)
        shutil.copy2(path, backup)
        print(f"backed up {path} to {backup}")
    atomic_write_text(path, text)
    print(f"added the {args.name} agent to {path}: {' '.join([*command, *serve_args(args.model)])}")
    print(
        "In PyCharm: AI Chat, open the agent list, pick Punie (restart the IDE if it is missing)."
    )
    return 0
