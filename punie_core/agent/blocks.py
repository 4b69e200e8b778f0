"""The words of the `blocks` tool format, shared by the agent and the trace export.

No pydantic-ai here: `punie traces export` renders traces in this format without importing it.
See `punie_core.agent.code_blocks` for the format itself.
"""

from __future__ import annotations

OUTPUT_PREFIX = "Output:\n"
"""What a block's result starts with when shown back to the model."""

PREFILL = "```python\n"
"""How a reply that must act before it answers is started (`code_blocks.opens_with_code`)."""

RETRY = "\nReply with the corrected ```python block."
"""What a failed block's output ends with: the next step, said plainly."""

ATTACHED = "\n\nThe files it names, as they are now:\n"
"""What precedes the files Punie's first look attached to the user's message."""

LOOK = "look_"
"""The tool call id prefix of Punie's first look (`code_blocks.first_look`)."""


APPLY = "apply_"
"""The tool call id prefix of a shown block Punie applied to a file (`agent.apply`)."""

APPLIED = (
    "Punie applied your code to the file: {result}\n"
    "Check the change with the project's tests or checks, then answer."
)
"""The output of an applied block: the write's result, and the next step (verify, then answer)."""


def block(code: str) -> str:
    """Code as the ```python block a model writes."""
    return f"{PREFILL}{code.strip(chr(10))}\n```"
