"""Bad input through Code Mode: unwritable values, binary files, undecodable names, new files."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from punie_core.plugins.context import ToolContext
from tests.helpers.cli import run_cli

from .conftest import Runner


def test_an_int_too_long_for_json_ends_the_snippet_cleanly(run: Runner) -> None:
    result = run("10 ** 5000")
    assert not result.ok and result.error is not None
    assert result.error.type == "OutputLimitExceeded"
    assert "cannot be written as JSON" in result.error.message


def test_exec_prints_one_json_object_for_an_unwritable_value(workspace: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUNIE_")}
    env["PUNIE_LOAD_PLUGINS"] = ""
    argv = ("exec", "-", "--json", "--cwd", str(workspace))
    done = run_cli(*argv, env=env, input="[10 ** 5000]\n", timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert '"type": "OutputLimitExceeded"' in done.stdout


def test_reading_a_binary_file_says_it_is_not_text(run: Runner, workspace: Path) -> None:
    (workspace / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = run("read_file('logo.png')")
    assert not result.ok and result.error is not None
    assert result.error.type == "ValueError"
    assert result.error.message.startswith("logo.png is not UTF-8 text (a binary file?)")


def test_listing_leaves_out_names_that_are_not_utf8(run: Runner, workspace: Path) -> None:
    root = os.fsencode(workspace)
    with open(os.path.join(root, b"caf\xe9.py"), "w") as handle:
        handle.write("x = 1\n")
    os.mkdir(os.path.join(root, b"d\xfe"))
    with open(os.path.join(root, b"d\xfe", b"inner.py"), "w") as handle:
        handle.write("x = 1\n")
    result = run("list_files('**/*.py')")
    assert result.ok, result.error
    assert result.value == ["pkg/models.py", "pkg/views.py"]


def test_a_new_file_gets_the_usual_permissions_and_an_old_one_keeps_its_own(
    run: Runner, yes_context: ToolContext, workspace: Path
) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    (workspace / "run.sh").write_text("echo old\n")
    (workspace / "run.sh").chmod(0o750)
    code = "write_file('new.py', 'x = 1\\n')\nwrite_file('run.sh', 'echo new\\n')\n"
    result = run(code, context_=yes_context)
    assert result.ok, result.error
    assert stat.S_IMODE((workspace / "new.py").stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE((workspace / "run.sh").stat().st_mode) == 0o750
