"""Punie's ACP agent (Agent Client Protocol over stdio) for PyCharm, Zed and other ACP clients.

Import the submodules you need. `protocol`, `channel` and `server` are light (no ACP SDK
import), so `initialize` and the first `session/new` are answered while the SDK and the agent
load; `agent`, `backends`, `permissions`, `reporting` and `history` use the SDK. See docs/ide.md.
"""
