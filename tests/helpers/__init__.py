"""Helpers shared by several test directories (imported as `tests.helpers.<module>`)."""
