"""The sandbox's acceptance bar: escapes, exhaustion and tool-layer abuse end cleanly."""
