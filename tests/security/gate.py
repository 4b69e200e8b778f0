"""Calling tools through the real gate, with every first-party plugin, for the hardening suite."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path
from typing import Any

from punie_core.plugins.context import (
    AskCallback,
    PermissionRequest,
    Permissions,
    ToolContext,
    using_context,
)
from punie_core.plugins.loader import load_toolbox
from punie_core.plugins.toolbox import Toolbox
from punie_core.security.workspace import Workspace


@functools.cache
def all_plugins() -> Toolbox:
    """Punie with every installed first-party plugin (quality, tdom, svcs)."""
    return load_toolbox(strict=False)


class Gate:
    """Tool calls in one workspace through `Toolbox.call`, recording what was asked."""

    def __init__(self, root: Path, *, answer: bool = True, permissions: Permissions | None = None):
        self.root = root
        self.asked: list[PermissionRequest] = []
        self.answer = answer
        self.permissions = permissions

    async def _ask(self, request: PermissionRequest) -> bool:
        self.asked.append(request)
        return self.answer

    def call(self, name: str, toolbox: Toolbox | None = None, **kwargs: Any) -> Any:
        """The tool's result, or the exception it ended with (returned, not raised)."""
        permissions = self.permissions or AskCallback(self._ask)
        context = ToolContext(workspace=Workspace.at(self.root), permissions=permissions)

        async def run() -> Any:
            with using_context(context):
                return await (toolbox or all_plugins()).call(name, kwargs=kwargs)

        try:
            return asyncio.run(run())
        except Exception as exc:  # the attack's outcome, inspected by the test
            return exc
