"""Old import path of the tool context, kept for plugins written against Punie 0.1's docs.

New code imports these names from `punie_core` (the public API); this module only re-exports
what docs/plugins/ documented here.
"""

from punie_core.plugins.context import ToolContext, tool_context, using_context

__all__ = ["ToolContext", "tool_context", "using_context"]
