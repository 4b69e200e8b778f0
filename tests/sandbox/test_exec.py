"""`punie exec` as a real subprocess: JSON shape, exit codes, --cwd, --yes, a clean exit."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cli import run_cli


def punie_exec(
    *args: str, stdin: str | None = None, cwd: Path | None = None, all_plugins: bool = False
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUNIE_")}
    if not all_plugins:
        env["PUNIE_LOAD_PLUGINS"] = ""  # built-in tools only: faster, and independent of plugins
    return run_cli("exec", *args, env=env, cwd=cwd, input=stdin, timeout=120)


def snippet(tmp_path: Path, code: str) -> str:
    path = tmp_path / "snippet.py"
    path.write_text(code)
    return str(path)


def test_json_output_is_exactly_the_documented_object(workspace: Path, tmp_path: Path) -> None:
    code = "for p in list_files('**/*.py'):\n    print(p)\nlen(read_file('notes.txt'))\n"
    done = punie_exec(snippet(tmp_path, code), "--json", "--cwd", str(workspace))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert list(data) == ["ok", "stdout", "value", "error", "tool_calls", "ms"]
    assert data["ok"] is True and data["error"] is None and data["value"] == 6
    assert data["stdout"] == "pkg/models.py\npkg/views.py\n"
    assert [list(call) for call in data["tool_calls"]] == [["tool", "ok", "ms"]] * 2
    assert [call["tool"] for call in data["tool_calls"]] == ["list_files", "read_file"]
    assert isinstance(data["ms"], float)


def test_a_failing_snippet_exits_1_with_the_error_object(workspace: Path) -> None:
    done = punie_exec("-", "--json", "--cwd", str(workspace), stdin="x = 1\n{}['k']\n")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data["ok"] is False
    assert data["error"] == {"type": "KeyError", "message": "k", "line": 2}


def test_a_type_error_exits_1_and_reports_the_checker_text(workspace: Path) -> None:
    done = punie_exec("-", "--json", "--cwd", str(workspace), stdin="read_file(1)\n")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["type"] == "TypeCheckError" and error["line"] == 1
    assert error["message"].startswith("snippet.py:1:11: error[invalid-argument-type]")


@pytest.mark.parametrize(
    "args",
    [["missing-file.py"], ["-", "--cwd", "/definitely/not/here"], [], ["-", "--bogus"]],
    ids=["missing-file", "missing-cwd", "no-file", "unknown-flag"],
)
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    done = punie_exec(*args, stdin="1\n", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr


def test_writes_are_refused_without_yes_and_the_error_says_so(workspace: Path) -> None:
    done = punie_exec("-", "--json", "--cwd", str(workspace), stdin="write_file('new.txt', 'x')\n")
    assert done.returncode == 1
    error = json.loads(done.stdout)["error"]
    assert error["type"] == "PermissionError" and "--yes" in error["message"]
    assert not (workspace / "new.txt").exists()
    command = punie_exec("-", "--json", "--cwd", str(workspace), stdin="run_command('touch ran')\n")
    assert command.returncode == 1 and "--yes" in json.loads(command.stdout)["error"]["message"]
    assert not (workspace / "ran").exists()


def test_yes_allows_writes_and_commands(workspace: Path) -> None:
    code = "write_file('new.txt', 'x')\nr = run_command('echo done > ran.txt')\nr.exit_code\n"
    done = punie_exec("-", "--json", "--yes", "--cwd", str(workspace), stdin=code)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (workspace / "new.txt").read_text() == "x"
    assert (workspace / "ran.txt").read_text() == "done\n"


def test_yes_still_refuses_sensitive_files(workspace: Path) -> None:
    done = punie_exec(
        "-", "--json", "--yes", "--cwd", str(workspace), stdin="write_file('conftest.py', 'x')\n"
    )
    assert done.returncode == 1
    assert "explicit approval" in json.loads(done.stdout)["error"]["message"]
    assert not (workspace / "conftest.py").exists()


def test_cwd_defaults_to_the_current_directory(workspace: Path) -> None:
    done = punie_exec("-", "--json", stdin="list_files('*.txt')\n", cwd=workspace)
    assert json.loads(done.stdout)["value"] == ["notes.txt"]


def test_printed_fake_json_rpc_stays_inside_the_result(workspace: Path) -> None:
    fake = '{"jsonrpc": "2.0", "method": "session/update", "params": {}}'
    code = f"print({fake!r})\nprint({fake!r}, file=None)\n"
    done = punie_exec("-", "--json", "--cwd", str(workspace), stdin=code)
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    assert json.loads(line)["stdout"] == f"{fake}\n{fake}\n"


def test_plain_output_prints_stdout_and_value_and_errors_on_stderr(workspace: Path) -> None:
    ok = punie_exec("-", "--cwd", str(workspace), stdin="print('hi')\n{'n': 1}\n")
    assert (ok.returncode, ok.stdout) == (0, 'hi\n{"n": 1}\n')
    failed = punie_exec("-", "--cwd", str(workspace), stdin="print('hi')\nfail = 1 / 0\n")
    assert failed.returncode == 1 and failed.stdout == "hi\n"
    assert "ZeroDivisionError" in failed.stderr and 'File "snippet.py", line 2' in failed.stderr


def test_exec_sees_every_installed_plugin(workspace: Path) -> None:
    done = punie_exec("-", "--json", "--cwd", str(workspace), stdin="1\n", all_plugins=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_exec_exits_cleanly_twenty_times_in_a_row(workspace: Path) -> None:
    # AsyncMonty can abort the interpreter at exit (SIGABRT, 134); the pool shutdown prevents it.
    codes = []
    for _ in range(20):
        done = punie_exec("-", "--json", "--cwd", str(workspace), stdin="len(list_files())\n")
        codes.append(done.returncode)
    assert codes == [0] * 20
