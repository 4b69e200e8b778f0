"""Session modes: how much a session may change without asking (shared by the IDE and the web UI).

`ask` asks before every file change and every command; `accept-edits` changes files without
asking and still asks before commands; `read-only` refuses both without asking. Sensitive files
(`conftest.py`, `pyproject.toml`, ...) are always asked, whatever the mode allows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from punie_core.plugins.context import PermissionRequest


@dataclass(frozen=True)
class Mode:
    """A session mode: how the agent treats writes and commands.

    Attributes:
        id: Stable identifier sent by clients in `session/set_mode`.
        name: Label shown in the IDE.
        description: One line on what the mode allows.
    """

    id: str
    name: str
    description: str


ASK = "ask"
ACCEPT_EDITS = "accept-edits"
READ_ONLY = "read-only"

MODES: tuple[Mode, ...] = (
    Mode(ASK, "Ask", "Ask before every file change and every command"),
    Mode(ACCEPT_EDITS, "Accept edits", "Change files without asking; still ask before commands"),
    Mode(READ_ONLY, "Read only", "Read and analyse only: every file change and command is refused"),
)
MODE_IDS = tuple(mode.id for mode in MODES)
DEFAULT_MODE = ASK

EDIT_KINDS = frozenset({"edit", "delete", "move"})
"""Tool kinds that change files (as opposed to `execute`: running commands)."""


def mode_decision(
    mode: str, request: PermissionRequest, always: frozenset[str] | set[str] = frozenset()
) -> bool | None:
    """What the mode alone decides for a call: True (allowed), False (refused), None (ask).

    Args:
        mode: The session mode.
        request: The call asking permission.
        always: Calls the person allowed for the rest of the session (`approval_key`s).
    """
    if mode == READ_ONLY:
        return False
    if request.sensitive:
        return None
    if mode == ACCEPT_EDITS and request.kind in EDIT_KINDS:
        return True
    if approval_key(request) in always:
        return True
    return None


def approval_key(request: PermissionRequest) -> str:
    """What an "always allow" covers: a safe class of calls, never a tool's every use.

    File changes (`edit`, `delete`, `move`) are one class per tool: the sensitive files those
    could reach are asked every time anyway. Anything else (commands, tests) is keyed by its
    exact arguments: `run_command("ls")` allows `ls` only, `pytest_run` only with the same
    options and paths, so a later call with other (dangerous) arguments is asked again.
    """
    if request.kind in EDIT_KINDS:
        return request.tool
    return request.tool + json.dumps(request.arguments, sort_keys=True, default=repr)
