"""Discovery of the organisation, project and feature layers in every supported layout."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from punie_core.specs.discovery import discover
from punie_core.specs.features import FeatureNotFound
from punie_core.specs.layers import agents_chain
from tests.specs.projects import (
    agent_os_base,
    agent_os_project,
    git,
    kiro_project,
    nested_agents_project,
    spec_kit_project,
    write_tree,
)


def names(found, level: str) -> list[str]:
    return [e.file.name for e in found.entries if e.file.level == level]


def test_spec_kit_constitution_and_the_feature_named_by_the_git_branch(tmp_path: Path) -> None:
    root = spec_kit_project(tmp_path / "shop")
    found = discover(root)
    assert [f.name for f in found.features] == ["001-user-auth", "002-search"]
    assert found.feature is not None and found.feature.name == "001-user-auth"
    assert found.chosen_by == "branch"
    constitution = next(e.file for e in found.entries if e.file.name == "constitution")
    assert constitution.source == "spec-kit constitution"
    assert constitution.path == ".specify/memory/constitution.md"
    assert constitution.tokens > 20 and constitution.description == "Shop Constitution"
    assert names(found, "feature") == ["feature/spec", "feature/plan", "feature/tasks"]


def test_spec_kit_spec_reads_requirements_criteria_tasks_and_open_questions(tmp_path: Path) -> None:
    spec = discover(spec_kit_project(tmp_path / "shop")).spec()
    assert spec is not None and spec.layout == "spec-kit" and spec.path == "specs/001-user-auth"
    assert [r.id for r in spec.requirements] == ["FR-001", "FR-002", "FR-003", "FR-004"]
    assert spec.requirements[1].text == "System MUST reject malformed email addresses"
    assert [c.id for c in spec.criteria] == ["SC-001"]  # FR-999 sits in an HTML comment
    assert [(t.id, t.done, t.requirement_ids) for t in spec.tasks] == [
        ("T001", True, []),
        ("T002", False, ["FR-001", "FR-002"]),
        ("T003", False, ["FR-004"]),
    ]
    assert spec.tasks[0].text == "Create the users table in app/models.py"
    assert spec.open_questions == [
        "FR-004: how many failed logins? (specs/001-user-auth/spec.md:26)"
    ]
    assert spec.findings == []


def test_a_story_label_links_a_task_to_the_requirements_under_that_story(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "p",
        {
            "specs/003-cart/spec.md": """
                # Feature Specification: Cart

                ### User Story 1 - Add to cart (Priority: P1)

                **Functional Requirements**:

                - **FR-001**: System MUST add items to the cart

                ### User Story 2 - Empty the cart (Priority: P2)

                - **FR-002**: System MUST empty the cart on request
            """,
            "specs/003-cart/tasks.md": "- [ ] T001 [P] [US2] Empty-cart button\n",
        },
    )
    spec = discover(root).spec()
    assert [(t.id, t.requirement_ids) for t in spec.tasks] == [("T001", ["FR-002"])]


def test_the_feature_can_be_named_explicitly_by_number_slug_or_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = spec_kit_project(tmp_path / "shop")
    assert discover(root, "002").feature.name == "002-search"
    assert discover(root, "search").chosen_by == "explicit"
    monkeypatch.setenv("SPECIFY_FEATURE", "002-search")
    assert discover(root).feature.name == "002-search"
    with pytest.raises(
        FeatureNotFound,
        match=r"no spec folder for feature 'payments'; known: 001-user-auth, 002-search",
    ):
        discover(root, "payments")
    lenient = discover(root, "payments", strict=False)
    assert lenient.feature is None and "payments" in lenient.problem


def test_without_a_matching_branch_the_most_recently_changed_spec_is_active(tmp_path: Path) -> None:
    root = spec_kit_project(tmp_path / "shop")
    git(root, "checkout", "-q", "-b", "main-work")
    old = time.time() - 3600
    for path in (root / "specs").rglob("*"):
        os.utime(path, (old, old))
    (root / "specs/002-search/spec.md").write_text("# Search\n\n- **FR-001**: System MUST search\n")
    found = discover(root)
    assert (found.feature.name, found.chosen_by) == ("002-search", "recent")


def test_kiro_steering_requirements_with_ears_criteria_and_task_references(tmp_path: Path) -> None:
    found = discover(kiro_project(tmp_path / "tea"))
    steering = {e.file.name: e.file for e in found.entries if e.file.source == "kiro steering"}
    assert set(steering) == {"steering/components", "steering/product", "steering/tech"}
    assert steering["steering/components"].scope == "app/components/*.py"
    assert steering["steering/tech"].scope == ""
    spec = found.spec()
    assert spec.layout == "kiro" and spec.feature == "password-reset"
    assert [r.id for r in spec.requirements] == ["1.1", "1.2", "2.1"]
    assert spec.requirements[0].text.startswith("WHEN a user asks for a reset THEN")
    assert [(t.id, t.done, t.requirement_ids) for t in spec.tasks] == [
        ("1", True, ["1.1", "1.2"]),
        ("2", False, ["1.1"]),
        ("3", False, ["2.1", "9.9"]),
    ]
    assert spec.findings == [
        ".kiro/specs/password-reset/tasks.md:9: task 3 names 9.9, which no requirement defines"
    ]


def test_agent_os_profiles_inherit_base_first_and_the_project_picks_its_profile(
    tmp_path: Path, org: Path
) -> None:
    agent_os_base(org)
    found = discover(agent_os_project(tmp_path / "shop"))
    org_files = {e.file.name: e.file for e in found.entries if e.file.level == "org"}
    assert set(org_files) == {"org/backend/api", "org/global/style"}
    # rails overrides base's backend/api; global/style comes from base.
    assert org_files["org/backend/api"].source == "agent-os profile rails"
    assert org_files["org/backend/api"].description == "REST endpoints, versioning and errors"
    assert org_files["org/backend/api"].path.endswith("profiles/rails/standards/backend/api.md")
    assert org_files["org/global/style"].source == "agent-os profile base"
    project = {e.file.name: e.file for e in found.entries if e.file.level == "project"}
    assert (
        project["standards/global/naming"].description == "How modules, classes and tests are named"
    )
    # "Needs description" placeholders fall back to the file's own heading.
    assert project["standards/testing/test-writing"].description == "Writing tests"
    assert {"product/mission", "product/roadmap"} <= set(project)
    spec = found.spec()
    assert spec.layout == "agent-os" and spec.feature == "2026-01-20-1430-checkout"
    assert [r.id for r in spec.requirements] == ["REQ-001", "REQ-002"]
    assert [(t.id, t.done, t.requirement_ids) for t in spec.tasks] == [
        ("1", True, ["REQ-001"]),
        ("2", False, ["REQ-002"]),
    ]
    assert spec.open_questions == [
        "Which payment provider? (agent-os/specs/2026-01-20-1430-checkout/shape.md:10)"
    ]


def test_without_a_project_profile_the_base_default_profile_is_used(
    tmp_path: Path, org: Path
) -> None:
    agent_os_base(org)
    root = write_tree(tmp_path / "plain", {"AGENTS.md": "# Plain\n"})
    sources = {e.file.name: e.file.source for e in discover(root).entries if e.file.level == "org"}
    assert sources == {
        "org/backend/api": "agent-os profile base",
        "org/global/style": "agent-os profile base",
    }


def test_a_circular_profile_chain_is_a_finding_not_a_crash(tmp_path: Path, org: Path) -> None:
    write_tree(
        org,
        {
            "config.yml": (
                "default_profile: a\nprofiles:\n  a:\n"
                "    inherits_from: b\n  b:\n    inherits_from: a\n"
            ),
            "profiles/a/standards/x.md": "# X\n",
            "profiles/b/standards/y.md": "# Y\n",
        },
    )
    [entry] = [e for e in discover(tmp_path).entries if e.file.level == "org"]
    assert entry.file.problem == "profile inheritance is circular: a -> b -> a"
    assert entry.file.path == str(org / "config.yml")


def test_the_org_folder_may_be_a_symlink_or_a_configured_shared_checkout(
    tmp_path: Path, org: Path, isolated_punie_home: Path
) -> None:
    shared = write_tree(
        tmp_path / "shared-standards",
        {
            "python.md": "# Python\n\n- Code MUST NOT use `eval`.\n",
            "security/secrets.md": "# Secrets\n",
            "index.yml": "root:\n  python:\n    description: Python style for every service\n",
        },
    )
    org.symlink_to(shared, target_is_directory=True)
    project = tmp_path / "project"
    project.mkdir()
    files = {e.file.name: e.file for e in discover(project).entries}
    assert files["org/python"].description == "Python style for every service"
    assert files["org/security/secrets"].source == "standards"
    org.unlink()
    other = write_tree(tmp_path / "other-checkout", {"web.md": "# Web\n"})
    (isolated_punie_home / "config.toml").write_text(f'standards = "{other}"\n')
    assert [e.file.name for e in discover(project).entries] == ["org/web"]


def test_agents_md_nested_two_levels_closest_to_the_edited_file_wins(tmp_path: Path) -> None:
    root = nested_agents_project(tmp_path / "shop")
    found = discover(root)
    agents = {e.file.name: e.file.scope for e in found.entries if e.file.source == "AGENTS.md"}
    assert agents == {"AGENTS.md": "", "app/AGENTS.md": "app/", "app/api/AGENTS.md": "app/api/"}
    chain = agents_chain(root, "app/api/views.py")
    assert [p.relative_to(root).as_posix() for p in chain] == [
        "app/api/AGENTS.md",
        "app/AGENTS.md",
        "AGENTS.md",
    ]
    assert [p.relative_to(root).as_posix() for p in agents_chain(root, "scripts/tool.py")] == [
        "AGENTS.md"
    ]


def test_a_project_without_context_files_has_no_layers(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "bare", {"app.py": "x = 1\n"})
    found = discover(root)
    assert found.entries == [] and found.feature is None and found.spec() is None


def test_requirements_in_a_table_and_words_that_only_look_like_ids(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "p",
        {
            "specs/001-a/spec.md": (
                "| id | requirement |\n|---|---|\n| FR-001 | System MUST read files |\n"
                "| **FR-002** | System MUST [NEEDS CLARIFICATION: which encodings?] |\n"
            ),
            "specs/001-a/tasks.md": "- [ ] T001 Read UTF-8 and ISO-8601 dates for FR-001, FR-009\n",
        },
    )
    spec = discover(root).spec()
    assert [r.id for r in spec.requirements] == ["FR-001", "FR-002"]
    assert spec.open_questions == ["FR-002: which encodings? (specs/001-a/spec.md:4)"]
    assert spec.tasks[0].requirement_ids == ["FR-001", "FR-009"]
    assert spec.findings == [
        "specs/001-a/tasks.md:1: task T001 names FR-009, which no requirement defines"
    ]
