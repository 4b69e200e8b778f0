"""Punie's ACP agent (Agent Client Protocol over stdio) for PyCharm, Zed and other ACP clients.

Import the submodules you need: `protocol` and `channel` are light (no ACP SDK import) so
`initialize` is answered before the SDK and the agent finish loading; `agent`, `backends`,
`permissions`, `reporting` and `history` use the SDK.
"""
