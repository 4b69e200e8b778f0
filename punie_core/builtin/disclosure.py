"""Core tools for progressive disclosure: skill bodies and full tool documentation on demand."""

from __future__ import annotations

from punie_core.plugins.toolbox import current_toolbox


def load_skill(name: str) -> str:
    """Return the full text of a skill listed in the prompt, with its references.

    Args:
        name: The skill's name, as listed under Skills.
    """
    skill = current_toolbox().skill(name)
    parts = [f"# Skill: {skill.name}\n", skill.body.strip()]
    for ref_name, text in skill.references.items():
        parts.append(f"\n\n## Reference: {ref_name}\n\n{text.strip()}")
    return "\n".join(parts) + "\n"


def tool_help(name: str) -> str:
    """Return the full stub of a tool or type: signature, docstring and argument docs.

    Args:
        name: A tool name (for example `write_file`) or a type name (for example `WriteResult`).
    """
    toolbox = current_toolbox()
    text = toolbox.stub_texts.get(name)
    if text is None:
        known = ", ".join(sorted(toolbox.stub_texts))
        raise LookupError(f"no tool or type named {name!r}; known: {known}")
    return text
