"""The context index in the system prompt: only names and one-line descriptions, bounded, stable."""

from __future__ import annotations

import os
from pathlib import Path

from punie_core.agent.pydantic_agent import instructions_for
from punie_core.plugins.loader import load_toolbox
from punie_core.plugins.prompt import estimate_tokens
from punie_core.specs.index import INDEX_BUDGET, context_index
from tests.specs.projects import agent_os_base, spec_kit_project, write_tree


def big_project(root: Path, org: Path) -> Path:
    """Every layer at once, with more files than fit the budget with their descriptions."""
    agent_os_base(org)
    for i in range(8):
        (org / f"profiles/base/standards/global/rule-{i}.md").write_text(
            f"# Organisation rule number {i} about services, logging, errors and reviews\n"
        )
    spec_kit_project(root)
    files: dict[str, str] = {
        "AGENTS.md": "# Shop agents guide\n",
        "app/AGENTS.md": "# App conventions for views and services\n",
        "app/api/AGENTS.md": "# API handlers: versioning, pagination, errors\n",
        ".kiro/steering/product.md": "# Product: a shop for rare teas\n",
        ".kiro/steering/tech.md": "# Tech stack: Starlette, SQLite, tdom\n",
        "agent-os/product/mission.md": "# Mission: rare teas, shipped fast\n",
    }
    for i in range(12):
        files[f"agent-os/standards/area-{i % 4}/standard-{i}.md"] = (
            f"# Standard {i}: how we write handlers, tests, migrations and templates\n"
        )
    return write_tree(root, files)


def test_the_index_of_all_three_layers_stays_within_300_tokens(tmp_path: Path, org: Path) -> None:
    root = big_project(tmp_path / "shop", org)
    index = context_index(root)
    assert estimate_tokens(index) <= INDEX_BUDGET == 300
    assert index.splitlines()[0].startswith(
        "Context files (read one: context_layers(name=...)[0].text;"
    )
    assert index.splitlines()[-1] == (
        "- feature 001-user-auth (spec-kit, specs/001-user-auth): 4 requirements, "
        "1 success criterion, 1/3 tasks done, 1 open question"
    )
    assert "constitution" in index and "app/api/AGENTS.md" in index
    # Bodies never go in: only names and one-line descriptions.
    assert "MUST NOT use `print`" not in index


def test_the_index_is_byte_stable_for_a_project_state(tmp_path: Path, org: Path) -> None:
    root = big_project(tmp_path / "shop", org)
    first = context_index(root)
    os.utime(root / "AGENTS.md")  # a touched file with the same content
    assert context_index(root) == first
    (root / "agent-os/standards/area-9.md").write_text("# A new standard\n")
    assert context_index(root) != first


def test_small_projects_list_every_file_with_its_description(tmp_path: Path) -> None:
    index = context_index(spec_kit_project(tmp_path / "shop"))
    assert index.splitlines()[1:] == [
        "- constitution: Shop Constitution",
        "- feature 001-user-auth (spec-kit, specs/001-user-auth): 4 requirements, "
        "1 success criterion, 1/3 tasks done, 1 open question",
    ]


def test_no_context_files_means_no_index_and_the_prompt_is_unchanged(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "bare", {"app.py": "x = 1\n"})
    toolbox = load_toolbox(entry_points=False)
    assert context_index(root) == ""
    assert instructions_for(toolbox, "code", root) == toolbox.prompt


def test_the_system_prompt_with_every_layer_stays_under_the_first_request_budget(
    tmp_path: Path, org: Path
) -> None:
    root = big_project(tmp_path / "shop", org)
    toolbox = load_toolbox(entry_points=False)
    prompt = instructions_for(toolbox, "code", root)
    assert prompt.startswith(toolbox.prompt.rstrip("\n"))  # the toolbox's part stays a prefix
    assert prompt.rstrip().endswith("1 open question")
    assert estimate_tokens(prompt) <= 900
    # The spec tools cost one folded line when no project needs them.
    assert "spec_*: 4 more tools" in toolbox.prompt and "SpecStatus(" not in toolbox.prompt
