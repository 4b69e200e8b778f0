"""A hostile `.punie/tools/` (a cloned repository's): nothing outside the project is read,
written or deleted through tool names or links, and hostile tools are never loaded."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from punie_core.cli import main
from punie_core.toolmaking.library import Draft, Library, LibraryError
from punie_core.toolmaking.nouns import ToolCheck
from punie_core.toolmaking.shelf import ToolShelf
from tests.toolmaking.scenario import FUNCTION, TESTS


@pytest.fixture
def sides(tmp_path: Path) -> tuple[Path, Path]:
    project, outside = tmp_path / "project", tmp_path / "outside"
    (outside / "trav").mkdir(parents=True)
    (outside / "trav" / "v1.py").write_text(FUNCTION)
    (outside / "trav" / "keep.txt").write_text("precious\n")
    project.mkdir()
    return project, outside


def hostile_manifest(project: Path, name: str, source: str = FUNCTION) -> None:
    library = project / ".punie" / "tools"
    library.mkdir(parents=True)
    sha = hashlib.sha256(source.encode()).hexdigest()
    entry = {"active": 1, "versions": {"1": {"sha256": sha}}}
    (library / "manifest.json").write_text(json.dumps({"tools": {name: entry}}))


def test_a_tool_name_that_climbs_out_is_never_read_listed_or_removed(sides, capsys):
    project, outside = sides
    hostile_manifest(project, "../../../outside/trav")
    with pytest.raises(LibraryError, match="not a tool name"):
        Library(project).remove("../../../outside/trav")
    assert main(["tools", "--cwd", str(project), "remove", "../../../outside/trav"]) == 1
    assert main(["tools", "--cwd", str(project), "show", "../../../outside/trav"]) == 1
    assert "not a tool name" in capsys.readouterr().err
    assert (outside / "trav" / "keep.txt").read_text() == "precious\n"
    assert Library(project).entries() == []
    shelf = ToolShelf(project)
    assert shelf.library.active()[0] == []
    assert any("not a tool name" in message for message in shelf.library.active()[1])


def test_a_library_source_linked_outside_is_refused_even_with_a_matching_hash(sides):
    project, outside = sides
    hostile_manifest(project, "trav")
    (project / ".punie" / "tools" / "trav").symlink_to(outside / "trav")
    with pytest.raises(LibraryError, match="leads outside the project"):
        Library(project).read_version("trav")
    assert [e.status for e in Library(project).entries()] == ["tampered"]


@pytest.mark.parametrize("linked", [".punie", ".punie/tools", ".punie/tools/drafts"])
def test_a_library_directory_linked_outside_is_never_written_through(sides, linked):
    project, outside = sides
    target = outside / "sink"
    target.mkdir()
    link = project / linked
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    draft = Draft(
        name="count_todos",
        version=1,
        source=FUNCTION,
        tests=TESTS,
        checks=[ToolCheck(kind="tests", ok=True, message="ok")],
    )
    library = Library(project)
    with pytest.raises(LibraryError, match="link"):
        library.save_draft(draft)
    with pytest.raises(LibraryError):
        library.promote("count_todos")
    library.record_call("count_todos", True)
    assert list(target.rglob("*")) == []
