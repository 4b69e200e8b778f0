"""MCP servers as tool sources: the IDE's (ACP `mcpServers`) and the config files', as typed tools.

`session_servers()` builds a session's `McpServers` (the client's servers, `$PUNIE_HOME/mcp.json`
and a trusted `.mcp.json`), which connects them in the background and extends the session's
toolbox with one typed function per MCP tool (`<server>_<tool>`) plus the curated `ide_*`
tools. Layer: between the agent and the plugin system (it builds toolbox records).
"""
