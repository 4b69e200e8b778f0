"""Core tools for progressive disclosure: skill bodies and full tool documentation on demand."""

from __future__ import annotations

from typing import Any

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
    """Return a tool's full docs and result fields, a tool group's tools, or a term's meaning.

    Args:
        name: A tool name (for example `write_file`), a type name (for example `WriteResult`),
            a tool group shown as `group_*` in the prompt, or a vocabulary term.
    """
    return help_text(current_toolbox(), name)


def help_text(toolbox: Any, name: str) -> str:
    """What `tool_help(name)` shows for `toolbox` (see `tool_help`).

    Raises:
        LookupError: Nothing is called `name`; the message lists what is.
    """
    from typing import get_type_hints

    from punie_core.plugins.stubs import _models_in, signature_line

    name = name.strip().removesuffix("_*").removesuffix("()")
    text = toolbox.stub_texts.get(name)
    tool = next((t for t in toolbox.tools if t.name == name), None)
    if text is not None and tool is not None:
        # The result's fields: the prompt names no types, so this is where the model reads them.
        try:
            returned = list(dict.fromkeys(_models_in(get_type_hints(tool.function).get("return"))))
        except Exception:
            returned = []
        nouns = {noun.model: noun.name for noun in toolbox.nouns}
        extra = [
            toolbox.stub_texts[nouns[m]] for m in returned if nouns.get(m) in toolbox.stub_texts
        ]
        return "\n\n".join([text.rstrip(), *(e.rstrip() for e in extra)]) + "\n"
    if text is not None:
        return text
    grouped = [t for t in toolbox.tools if getattr(t, "prompt_group", None) == name]
    if grouped:
        lines = [
            f"{signature_line(toolbox.stub_texts[t.name], t.name)}: {t.description}"
            for t in grouped
        ]
        head = f"The {name} tools (tool_help(name=...) on one shows its docs):"
        return "\n".join([head, *lines]) + "\n"
    term = next((t for t in toolbox.vocabulary if t.name == name), None)
    if term is not None:
        return f"{term.name}: {term.meaning.strip()}\n"
    known = ", ".join(sorted(toolbox.stub_texts))
    raise LookupError(f"no tool or type named {name!r}; known: {known}")
