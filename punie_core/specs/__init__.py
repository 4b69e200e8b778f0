"""Spec-driven work: organisation, project and feature context, specs checked against tests."""
