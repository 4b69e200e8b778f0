"""Old import path of `workspace_path`, kept for plugins written against Punie 0.1's docs.

New code imports it from `punie_core` (the public API); this module only re-exports what
docs/plugins/ documented here.
"""

from punie_core.plugins.toolbox import workspace_path

__all__ = ["workspace_path"]
