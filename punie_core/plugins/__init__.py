"""The plugin system: hookspecs, records, loading, the merged toolbox, stubs, the prompt."""
