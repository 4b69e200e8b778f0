"""Punie's own tools, registered through the same hooks as every plugin's (the plugin `core`)."""
