"""The agent loop: the pydantic-ai agent, sessions, tool-call recovery, approvals, traces."""
