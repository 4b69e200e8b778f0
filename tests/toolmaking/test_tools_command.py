"""`punie tools`: list, show, promote and remove (with rollback) on a real project library."""

from __future__ import annotations

import json
from pathlib import Path

from punie_core.cli import main
from punie_core.toolmaking.library import Draft, Library
from punie_core.toolmaking.nouns import ToolCheck
from tests.toolmaking.scenario import FUNCTION, TESTS

PASSED = [ToolCheck(kind=k, ok=True, message="ok") for k in ("parse", "signature", "tests")]


def draft(source: str = FUNCTION, version: int = 1) -> Draft:
    return Draft(
        name="count_todos",
        version=version,
        source=source,
        tests=TESTS,
        description="Count TODO markers.",
        checks=PASSED,
        signature="count_todos(path: str) -> int",
    )


def tools(project: Path, *args: str) -> int:
    return main(["tools", "--cwd", str(project), *args])


def test_drafts_are_listed_promoted_shown_and_rolled_back(tmp_path, capsys):
    library = Library(tmp_path)
    library.save_draft(draft())
    assert tools(tmp_path, "list", "--json") == 0
    (listed,) = json.loads(capsys.readouterr().out)["tools"]
    assert (listed["name"], listed["status"], listed["version"]) == ("count_todos", "draft", 1)

    assert tools(tmp_path, "promote", "count_todos") == 1  # no terminal, no --yes: not promoted
    assert "not promoted" in capsys.readouterr().err
    assert tools(tmp_path, "promote", "count_todos", "--yes") == 0
    library.save_draft(draft(FUNCTION.replace('"TODO"', '"TODO:"'), version=2))
    assert tools(tmp_path, "promote", "count_todos", "--yes") == 0
    capsys.readouterr()

    assert tools(tmp_path, "show", "count_todos", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == 2 and '"TODO:"' in shown["source"] and shown["tests"] == TESTS
    assert shown["versions"] == [1, 2]

    assert tools(tmp_path, "remove", "count_todos") == 0  # v2 goes, v1 is active again
    assert "v1 is active" in capsys.readouterr().out
    assert library.read_version("count_todos").source == FUNCTION


def test_unknown_tools_and_tampered_files_are_errors_that_say_so(tmp_path, capsys):
    assert tools(tmp_path, "show", "nope") == 1
    assert "no tool named 'nope'" in capsys.readouterr().err
    library = Library(tmp_path)
    library.save_draft(draft())
    library.promote("count_todos")
    library.source_path("count_todos", 1).write_text("def count_todos(path: str) -> int: ...\n")
    assert tools(tmp_path, "show", "count_todos") == 1
    assert "does not match its recorded sha256" in capsys.readouterr().err
    assert tools(tmp_path, "list") == 0
    assert "tampered" in capsys.readouterr().out
