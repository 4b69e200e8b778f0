"""Navigation and refactoring never read, show or rewrite anything outside the workspace:
ty configuration naming places outside, files that are links out, files with hard links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from code_helpers import Caller, write_tree
from punie_code.nouns import NavUnavailable, RefactorPlan

from punie_core import ToolRefused

SECRET = "AKIA-OUTSIDE-SECRET"

PROJECT = {
    "pkg/__init__.py": "",
    "pkg/mod.py": """
        def helper(x):
            return x + 1
        """,
    "pkg/use.py": """
        from pkg.other import SECRET_TOKEN, leaked
        x = SECRET_TOKEN
        y = leaked()
        """,
}
OTHER = f"""from pkg.mod import helper
print(helper(1))
SECRET_TOKEN = "{SECRET}"


def leaked():
    return helper(2)
"""


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "other.py").write_text(OTHER)
    return folder


@pytest.fixture
def linked(tmp_path: Path, outside: Path, caller) -> Caller:
    """A workspace whose `pkg/other.py` is a link to a module outside it."""
    root = write_tree(tmp_path / "ws", PROJECT)
    (root / "pkg" / "other.py").symlink_to(outside / "other.py")
    return caller(root)


def test_ty_configuration_naming_a_folder_outside_stops_navigation(
    tmp_path: Path, outside: Path, caller
) -> None:
    root = write_tree(
        tmp_path / "cfg",
        {
            "pyproject.toml": f'[tool.ty.environment]\nextra-paths = ["{outside}"]\n',
            "use.py": "from other import SECRET_TOKEN\nx = SECRET_TOKEN\n",
        },
    )
    call = caller(root)
    for tool in ("hover", "definition", "references"):
        result = call(tool, path="use.py", line=2, column=5)
        assert isinstance(result, NavUnavailable), result
        assert "extra-paths" in result.reason and SECRET not in result.reason
    assert isinstance(call("find_symbol", query="SECRET_TOKEN"), NavUnavailable)


def test_ty_configuration_changed_while_the_server_runs_stops_it(
    tmp_path: Path, outside: Path, caller
) -> None:
    root = write_tree(
        tmp_path / "cfg",
        {"pyproject.toml": "[project]\nname = 'x'\n", "use.py": "from other import SECRET_TOKEN\n"},
    )
    call = caller(root)
    assert not isinstance(call("hover", path="use.py", line=1, column=19), NavUnavailable)
    (root / "sub").mkdir()
    (root / "sub" / "ty.toml").write_text(f'[environment]\npython = "{outside}"\n')
    result = call("hover", path="use.py", line=1, column=19)
    assert isinstance(result, NavUnavailable) and "environment.python" in result.reason


def test_a_linked_ty_config_file_is_refused(tmp_path: Path, outside: Path, caller) -> None:
    (outside / "ty.toml").write_text(f'[environment]\nextra-paths = ["{outside}"]\n')
    root = write_tree(tmp_path / "cfg", {"use.py": "A = 1\n"})
    (root / "ty.toml").symlink_to(outside / "ty.toml")
    result = caller(root)("hover", path="use.py", line=1, column=1)
    assert isinstance(result, NavUnavailable) and "link to a file outside" in result.reason


def test_navigation_never_shows_a_file_linked_from_outside(linked: Caller) -> None:
    results = [
        linked("hover", path="pkg/use.py", line=2, column=5),
        linked("definition", path="pkg/use.py", line=2, column=5),
        linked("references", path="pkg/use.py", line=2, column=5),
        linked("find_symbol", query="SECRET_TOKEN"),
        linked("find_symbol", query="leaked"),
        linked("callers", path="pkg/mod.py", line=1, column=5),
        linked("references", path="pkg/mod.py", line=1, column=5),
        linked("diagnostics"),
    ]
    assert not any(isinstance(r, NavUnavailable) for r in results), results
    shown = repr(results)
    assert SECRET not in shown
    assert "other.py" not in shown and "outside" not in shown
    # The workspace's own uses are still found.
    assert {loc.path for loc in results[6].locations} == {"pkg/mod.py"}


def test_navigation_never_reads_a_folder_linked_from_outside(
    tmp_path: Path, outside: Path, caller
) -> None:
    (outside / "lib").mkdir()
    (outside / "lib" / "__init__.py").write_text("")
    (outside / "lib" / "keys.py").write_text(f'KEY = "{SECRET}"\n')
    root = write_tree(tmp_path / "ws", {"use.py": "from lib.keys import KEY\nx = KEY\n"})
    (root / "lib").symlink_to(outside / "lib", target_is_directory=True)
    call = caller(root)
    results = [
        call("hover", path="use.py", line=2, column=5),
        call("definition", path="use.py", line=2, column=5),
        call("find_symbol", query="KEY"),
    ]
    assert SECRET not in repr(results) and "keys.py" not in repr(results)


def test_a_rename_preview_never_shows_a_file_linked_from_outside(
    linked: Caller, outside: Path
) -> None:
    plan = linked("rename_symbol", path="pkg/mod.py", line=1, column=5, new_name="helper2")
    assert isinstance(plan, RefactorPlan)
    assert plan.files == ["pkg/mod.py"]
    assert SECRET not in repr(plan) and "print(" not in repr(plan)
    applied = linked(
        "rename_symbol", path="pkg/mod.py", line=1, column=5, new_name="helper3", apply=True
    )
    assert (outside / "other.py").read_text() == OTHER
    assert "helper3" in (linked.root / "pkg" / "mod.py").read_text() or applied.conflicts


def test_rope_never_reads_a_file_linked_from_outside(linked: Caller, outside: Path) -> None:
    with pytest.raises((PermissionError, ToolRefused), match="outside"):
        linked("extract_function", path="pkg/other.py", start_line=2, end_line=2, name="f")
    plan = linked("move_symbol", path="pkg/mod.py", name="helper", destination="pkg/util.py")
    assert SECRET not in repr(plan) and "pkg/other.py" not in plan.files


def test_a_file_with_another_hard_link_is_never_rewritten(tmp_path: Path, caller) -> None:
    root = write_tree(tmp_path / "ws", PROJECT | {"pkg/use.py": "from pkg.mod import helper\n"})
    elsewhere = tmp_path / "elsewhere.py"
    os.link(root / "pkg" / "use.py", elsewhere)
    call = caller(root)
    plan = call("rename_symbol", path="pkg/mod.py", line=1, column=5, new_name="helper2")
    assert any("hard links" in c and "pkg/use.py" in c for c in plan.conflicts)
    applied = call(
        "rename_symbol", path="pkg/mod.py", line=1, column=5, new_name="helper2", apply=True
    )
    assert not applied.applied
    assert elsewhere.read_text() == "from pkg.mod import helper\n"
    assert "def helper(" in (root / "pkg" / "mod.py").read_text()


def test_a_file_replaced_by_a_link_out_while_the_server_runs_is_hidden(
    tmp_path: Path, outside: Path, caller
) -> None:
    root = write_tree(tmp_path / "ws", PROJECT | {"pkg/other.py": 'SECRET_TOKEN = "mine"\n'})
    call = caller(root)
    before = call("hover", path="pkg/use.py", line=2, column=5)
    assert "mine" in repr(before)
    (root / "pkg" / "other.py").unlink()
    (root / "pkg" / "other.py").symlink_to(outside / "other.py")
    after = call("hover", path="pkg/use.py", line=2, column=5)
    assert SECRET not in repr(after)


def test_a_hard_link_made_while_the_person_decides_stops_the_plan(tmp_path: Path, caller) -> None:
    root = write_tree(tmp_path / "ws", PROJECT | {"pkg/use.py": "from pkg.mod import helper\n"})
    elsewhere = tmp_path / "elsewhere.py"
    call = caller(root)
    call.during_approval = lambda: os.link(root / "pkg" / "use.py", elsewhere)
    with pytest.raises(OSError, match="hard links"):
        call("rename_symbol", path="pkg/mod.py", line=1, column=5, new_name="helper2", apply=True)
    assert elsewhere.read_text() == "from pkg.mod import helper\n"
    assert "def helper(" in (root / "pkg" / "mod.py").read_text()
