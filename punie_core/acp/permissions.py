"""Permission policy for an ACP session: the session mode decides, or the IDE asks the person.

In the `ask` mode every write and every command is shown as a pending tool call (with its
diff and exact arguments) and asked with `session/request_permission`: allow once, allow
always (this same call, for the rest of the session: `approval_key`; other arguments are asked
again) or reject. `accept-edits` lets file changes through without asking
and still asks for commands; `read-only` refuses both without asking. Sensitive files
(`conftest.py`, `pyproject.toml`, ...) are always asked, never allowed "always".
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from acp.schema import AllowedOutcome, PermissionOption, ToolCallUpdate

from punie_core.acp.protocol import DEFAULT_MODE, READ_ONLY
from punie_core.acp.reporting import ToolCallReporter, acp_kind
from punie_core.agent.modes import approval_key, mode_decision
from punie_core.plugins.context import PermissionRequest

log = logging.getLogger("punie.acp")

ALLOW_ONCE = "allow-once"
ALLOW_ALWAYS = "allow-always"
REJECT = "reject"


@dataclass
class AcpPermissions:
    """The `Permissions` of one ACP session.

    Attributes:
        session_id: The ACP session.
        client: The SDK's connection to the client (`request_permission`).
        reporter: Shows the pending tool call before asking.
        mode: The session mode (`ask`, `accept-edits` or `read-only`).
        always: Tools the person allowed for the rest of the session.
    """

    session_id: str
    client: Any
    reporter: ToolCallReporter
    mode: str = DEFAULT_MODE
    always: set[str] = field(default_factory=set)

    @property
    def hint(self) -> str:
        """Why a call was refused without asking (appended to the tool's error)."""
        if self.mode == READ_ONLY:
            return "the session is in read-only mode; switch the mode to allow changes"
        return "rejected in the IDE"

    async def approve(self, request: PermissionRequest) -> bool:
        """True when the call may run: by the mode, by an earlier "always", or by the person."""
        self.reporter.remember(request)
        decided = mode_decision(self.mode, request, self.always)
        if decided is not None:
            return decided
        return await self.ask(request)

    async def ask(self, request: PermissionRequest) -> bool:
        """Ask the person in the IDE; a cancelled prompt counts as a refusal."""
        acp_id = await self.reporter.announce(request)
        options = [PermissionOption(option_id=ALLOW_ONCE, name="Allow once", kind="allow_once")]
        if not request.sensitive:
            options.append(
                PermissionOption(
                    option_id=ALLOW_ALWAYS,
                    name=f"Always allow {request.title} in this session",
                    kind="allow_always",
                )
            )
        options.append(PermissionOption(option_id=REJECT, name="Reject", kind="reject_once"))
        tool_call = ToolCallUpdate(
            tool_call_id=acp_id,
            title=request.title,
            kind=acp_kind(request.kind),
            status="pending",
            raw_input=json.loads(json.dumps(request.arguments, default=repr)),  # exact arguments
        )
        try:
            response = await self.client.request_permission(
                session_id=self.session_id, tool_call=tool_call, options=options
            )
        except ConnectionError:
            return False
        outcome = response.outcome
        if not isinstance(outcome, AllowedOutcome):
            return False
        if outcome.option_id == ALLOW_ALWAYS and not request.sensitive:
            # The same call again, not the tool: other arguments are asked again.
            self.always.add(approval_key(request))
            return True
        return outcome.option_id == ALLOW_ONCE
