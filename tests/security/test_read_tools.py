"""Class 2: read tools never run project code, read outside the workspace or write anywhere.

A hostile repository tried: file links to a credentials file, `extend` and `cache-dir` in its
ruff configuration, ty source roots elsewhere, its own `.venv/bin/ruff` and `.venv/bin/ty`,
and relative imports above the root.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from punie_core.plugins.context import AutoApprove, RefuseAll, ToolContext, using_context
from punie_core.validation.files import iter_source_files, project_root, resolve_module

from .gate import Gate

SECRET = "sk_live_0123456789abcdef"


@pytest.fixture
def hostile(tmp_path: Path) -> dict[str, Path]:
    app = tmp_path / "app"
    app.mkdir()
    (app / "pyproject.toml").write_text("[project]\nname = 'app'\nversion = '0'\n")
    (app / "views.py").write_text("x = 1\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    # A "credentials" file whose text a linter would quote: an undefined name.
    (outside / "credentials.py").write_text(f"print({SECRET})\n")
    (outside / "ruff.toml").write_text(f'line-length = "{SECRET}"\n')
    return {"app": app, "outside": outside, "tmp": tmp_path}


def digest(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*"))


@pytest.mark.parametrize("tool", ["ruff_check", "typecheck", "ruff_format"])
def test_a_file_link_out_of_the_workspace_never_reaches_a_result(hostile, tool: str) -> None:
    (hostile["app"] / "creds.py").symlink_to(hostile["outside"] / "credentials.py")
    result = Gate(hostile["app"], permissions=RefuseAll()).call(tool)
    assert not isinstance(result, Exception), result
    assert SECRET not in repr(result)
    assert "creds.py" not in repr(result)


def test_ruff_extend_outside_the_workspace_is_refused_without_quoting_it(hostile) -> None:
    (hostile["app"] / "ruff.toml").write_text(f'extend = "{hostile["outside"] / "ruff.toml"}"\n')
    for tool in ("ruff_check", "ruff_format"):
        result = Gate(hostile["app"], permissions=RefuseAll()).call(tool)
        assert isinstance(result, PermissionError), result
        assert "extend" in str(result) and "rule:" in str(result)
        assert SECRET not in str(result)


def test_a_config_file_that_links_outside_is_refused(hostile) -> None:
    (hostile["app"] / ".ruff.toml").symlink_to(hostile["outside"] / "ruff.toml")
    result = Gate(hostile["app"], permissions=RefuseAll()).call("ruff_check")
    assert isinstance(result, PermissionError) and SECRET not in str(result)


def test_ty_source_roots_outside_the_workspace_are_refused(hostile) -> None:
    (hostile["app"] / "ty.toml").write_text(
        f'[environment]\nextra-paths = ["{hostile["outside"]}"]\n'
    )
    result = Gate(hostile["app"], permissions=RefuseAll()).call("typecheck")
    assert isinstance(result, PermissionError) and "extra-paths" in str(result)


def test_ruff_cache_dir_in_the_configuration_writes_nothing_there(hostile) -> None:
    cache = hostile["outside"] / "cache"
    (hostile["app"] / "ruff.toml").write_text(f'cache-dir = "{cache}"\n')
    before = digest(hostile["outside"])
    for tool in ("ruff_check", "ruff_format"):
        result = Gate(hostile["app"], permissions=RefuseAll()).call(tool)
        assert not isinstance(result, Exception), result
    assert digest(hostile["outside"]) == before
    assert not cache.exists()


def fake_venv(app: Path, marker: Path) -> None:
    """A `.venv` whose ruff, ty and python are the repository's own scripts."""
    bin_dir = app / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (app / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    real = os.path.realpath(sys.executable)
    (bin_dir / "python").write_text(f'#!/bin/sh\necho ran python >> {marker}\nexec {real} "$@"\n')
    (bin_dir / "python").chmod(0o755)
    for name in ("ruff", "ty"):
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\necho ran {name} >> {marker}\necho '[]'\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_the_projects_own_ruff_and_ty_never_run(hostile) -> None:
    marker = hostile["outside"] / "PWNED"
    fake_venv(hostile["app"], marker)
    gate = Gate(hostile["app"], permissions=RefuseAll())
    for tool in ("ruff_check", "ruff_format", "typecheck"):
        result = gate.call(tool)
        assert not isinstance(result, Exception), (tool, result)
        assert "(punie)" in result.tool, result.tool
    # Writes run the validators (ruff, ty) too.
    written = Gate(hostile["app"], permissions=AutoApprove()).call(
        "write_file", path="new.py", content="import os\n"
    )
    assert not isinstance(written, Exception), written
    assert not marker.exists()


def test_walks_skip_links_out_of_the_workspace(hostile) -> None:
    app = hostile["app"]
    (app / "creds.py").symlink_to(hostile["outside"] / "credentials.py")
    (app / "inner.py").symlink_to(app / "views.py")  # a link inside is fine
    os.mkfifo(app / "pipe.py")  # a FIFO would block any reader
    with using_context(ToolContext.local(app)):
        found = [Path(p).name for p in iter_source_files([app])]
    assert found == ["inner.py", "views.py"]
    listed = Gate(app, permissions=RefuseAll()).call("list_files", pattern="*.py")
    assert "creds.py" not in listed and "inner.py" in listed


def test_list_components_skips_a_component_file_linked_from_outside(hostile) -> None:
    (hostile["outside"] / "secret_components.py").write_text(
        "from string.templatelib import Template\n\n"
        "def SecretCard() -> Template:\n    return t'<p>secret</p>'\n"
    )
    (hostile["app"] / "components.py").symlink_to(hostile["outside"] / "secret_components.py")
    result = Gate(hostile["app"], permissions=RefuseAll()).call("list_components")
    assert not isinstance(result, Exception), result
    assert "SecretCard" not in repr(result)


def test_imports_never_resolve_above_the_workspace(hostile) -> None:
    app = hostile["app"]
    (hostile["tmp"] / "above.py").write_text("def Card(): ...\n")
    (app / "pkg").mkdir()
    importer = app / "pkg" / "views.py"
    importer.write_text("from ...above import Card\n")
    with using_context(ToolContext.local(app)):
        assert resolve_module(importer, "above", 3, app) is None
        assert resolve_module(importer, "views", 2, app) == app / "views.py"
        # A project marker above the workspace does not widen the project.
        (hostile["tmp"] / "setup.cfg").write_text("")
        (app / "pyproject.toml").unlink()
        assert project_root(importer) == app
