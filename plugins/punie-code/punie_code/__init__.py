"""punie-code: navigation on ty server, scope-aware refactoring and typed read-only git."""
