"""Core tests: loader, stubs, prompt, CLI, hooks and the pytest plugin for authors."""
