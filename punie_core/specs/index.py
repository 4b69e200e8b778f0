"""The context index in the system prompt: names and one-line descriptions, never bodies.

At most `INDEX_BUDGET` tokens, and the same bytes for the same project state (sorted, no
times, no absolute paths). When the full list is too long it is shortened step by step:
shorter descriptions, then none, then one line per folder, then one count per layer.
A project without context files gets no index at all (an empty string).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from punie_core.specs.discovery import Discovery, discover
from punie_core.specs.layers import clip

INDEX_BUDGET = 300
HEADER = (
    "Context files (read one: context_layers(name=...)[0].text; the feature's spec: spec_show(),"
    " spec_status(), spec_check(text=plan); load_skill(name='spec-first') before feature work):"
)


def _feature_line(found: Discovery) -> str | None:
    spec = found.spec()
    if spec is None or found.feature is None:
        return None
    done = sum(t.done for t in spec.tasks)
    parts = [_count(len(spec.requirements), "requirement")]
    if spec.criteria:
        parts.append(_count(len(spec.criteria), "success criterion", "success criteria"))
    if spec.tasks:
        parts.append(f"{done}/{len(spec.tasks)} tasks done")
    if spec.open_questions:
        parts.append(_count(len(spec.open_questions), "open question"))
    if spec.findings:
        parts.append(_count(len(spec.findings), "problem"))
    return f"- feature {spec.feature} ({found.feature.layout}, {spec.path}): {', '.join(parts)}"


def _count(number: int, one: str, many: str = "") -> str:
    return f"{number} {one if number == 1 else (many or one + 's')}"


def _lines(found: Discovery, step: int) -> list[str]:
    files = [e.file for e in found.entries if e.file.level != "feature"]
    lines: list[str] = []
    if step <= 2:
        limit = (60, 32, 0)[step]
        for f in files:
            scope = f" [{f.scope}]" if f.scope else ""
            note = "unreadable" if f.problem else (clip(f.description, limit) if limit else "")
            lines.append(f"- {f.name}{scope}" + (f": {note}" if note else ""))
    elif step == 3:
        # One line per folder of two files or more; a file alone keeps its own name.
        folders = Counter(f.name.rsplit("/", 1)[0] for f in files if "/" in f.name)
        seen: set[str] = set()
        for f in files:
            folder = f.name.rsplit("/", 1)[0] if "/" in f.name else ""
            if folder and folders[folder] > 1:
                if folder not in seen:
                    seen.add(folder)
                    lines.append(f"- {folder}/ ({folders[folder]} files)")
            else:
                lines.append(f"- {f.name}")
    else:
        levels = Counter(f.level for f in files)
        lines += [f"- {level}: {count} files" for level, count in levels.items()]
    feature = _feature_line(found)
    if feature:
        lines.append(feature)
    elif found.problem:
        lines.append(f"- feature: {clip(found.problem, 100)}")
    return lines


def render_index(found: Discovery, budget: int = INDEX_BUDGET) -> str:
    """The index text for a discovery (empty when there is nothing to list)."""
    from punie_core.plugins.prompt import estimate_tokens

    if not found.entries and found.feature is None and not found.problem:
        return ""
    text = ""
    for step in range(5):
        text = HEADER + "\n" + "\n".join(_lines(found, step))
        if estimate_tokens(text) <= budget:
            return text
    return text


def context_index(root: Path | str | None, budget: int = INDEX_BUDGET) -> str:
    """The index for the project at `root` (empty when it has no context files)."""
    if root is None or not Path(root).is_dir():
        return ""
    return render_index(discover(Path(root), strict=False), budget)
