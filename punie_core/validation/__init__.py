"""Validation: the layered pipeline, the syntax gate, files, libcst helpers for validators."""
