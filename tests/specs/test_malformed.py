"""Malformed and empty spec files: a clear finding naming the file, never a crash."""

from __future__ import annotations

from pathlib import Path

from punie_core.specs.discovery import discover
from punie_core.specs.index import context_index
from tests.specs.projects import write_tree


def test_an_empty_spec_is_a_finding_naming_the_file(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", {"specs/001-empty/spec.md": "\n\n"})
    spec = discover(root).spec()
    assert spec is not None and spec.requirements == []
    assert spec.findings == [
        "specs/001-empty/spec.md: the file is empty",
        "specs/001-empty: no requirements with ids found "
        "(expected `- **FR-001**: System MUST ...` lines)",
    ]
    [entry] = [e.file for e in discover(root).entries]
    assert entry.problem == "the file is empty" and entry.tokens == 0


def test_a_spec_folder_without_files_and_a_spec_that_is_a_folder(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "specs/001-nothing").mkdir(parents=True)
    (root / ".kiro/specs/odd/requirements.md").mkdir(parents=True)
    found = discover(root, "001")
    assert found.spec().findings == ["specs/001-nothing: the spec folder has no Markdown files"]
    odd = discover(root, "odd").spec()
    assert odd.layout == "kiro" and odd.findings[0].startswith(".kiro/specs/odd")


def test_binary_unclosed_comments_duplicates_and_empty_requirements(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "p",
        {
            "specs/001-x/spec.md": (
                "# Spec\n\n- **FR-001**: System MUST work\n- **FR-001**: System MUST work again\n"
                "- **FR-002**:\n<!-- an unclosed comment\n- **FR-003**: hidden\n"
            ),
            "specs/001-x/tasks.md": b"- [ ] T001 \xff\xfe broken bytes\n",
        },
    )
    spec = discover(root).spec()
    assert [r.id for r in spec.requirements] == ["FR-001", "FR-002"]
    assert spec.findings == [
        "specs/001-x/spec.md:6: an HTML comment is never closed (`-->`): "
        "the rest of the file is hidden",
        "specs/001-x/spec.md:4: FR-001 is defined twice (first at specs/001-x/spec.md:3)",
        "specs/001-x/spec.md:5: FR-002 has no text",
        "specs/001-x/tasks.md: not UTF-8 text (invalid start byte at byte 11)",
    ]


def test_a_broken_index_yml_is_listed_with_its_problem_and_the_rest_still_loads(
    tmp_path: Path,
) -> None:
    root = write_tree(
        tmp_path / "p",
        {
            "agent-os/standards/index.yml": "global: [unclosed\n",
            "agent-os/standards/global/style.md": "# Style\n",
        },
    )
    files = {e.file.name: e.file for e in discover(root).entries}
    assert files["standards/index.yml"].problem.startswith("not valid YAML")
    assert files["standards/global/style"].description == "Style"
    assert "standards/index.yml: unreadable" in context_index(root)


def test_a_huge_context_file_is_not_read(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", {"AGENTS.md": "x" * (300 * 1024)})
    [entry] = discover(root).entries
    assert entry.file.problem == "larger than 256 KiB: not read"


def test_a_spec_with_open_questions(tmp_path: Path, call) -> None:
    root = write_tree(
        tmp_path / "p",
        {
            "specs/004-export/spec.md": """
                # Feature Specification: Export

                - **FR-001**: System MUST export orders as [NEEDS CLARIFICATION: CSV or JSON?]
                - **FR-002**: System MUST email the export

                ## Open Questions

                - Who may export other people's orders?
                - [x] Is there a size limit? (resolved: 10 MB)
                1. How long are exports kept?
            """,
        },
    )
    spec = call(root, "spec_show")
    assert spec.open_questions == [
        "FR-001: CSV or JSON? (specs/004-export/spec.md:3)",
        "Who may export other people's orders? (specs/004-export/spec.md:8)",
        "How long are exports kept? (specs/004-export/spec.md:10)",
    ]
    assert [r.id for r in spec.requirements] == ["FR-001", "FR-002"]
