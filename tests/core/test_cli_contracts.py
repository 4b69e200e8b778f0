"""The CLI's usage contract on every command: `--help`, unknown flags, a reader that goes away."""

from __future__ import annotations

import subprocess

import pytest

from punie_core.cli import COMMANDS
from tests.helpers.cli import punie_command

from .conftest import ROOT, run_punie, subprocess_env

HELP_CASES = [[name] for name in COMMANDS] + [
    ["traces", "stats"],
    ["traces", "show"],
    ["traces", "export"],
]


@pytest.mark.parametrize("command", HELP_CASES, ids=" ".join)
def test_every_command_and_action_has_help(command: list[str]) -> None:
    result = run_punie(*command, "--help", fakes=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: punie {' '.join(command)}")


@pytest.mark.parametrize(
    "argv",
    [
        ["plugins", "--bogus"],
        ["stubs", "--bogus"],
        ["check", ".", "--bogus"],
        ["exec", "-", "--bogus"],
        ["run", "hi", "--bogus"],
        ["serve", "--bogus"],
        ["init", "--bogus"],
        ["traces", "stats", "--bogus"],
        ["eval", "--bogus"],
        ["train", "--data", "d", "--base", "b", "--out", "o", "--bogus"],
    ],
    ids=lambda argv: argv[0],
)
def test_an_unknown_flag_is_a_usage_error_naming_the_command(argv: list[str]) -> None:
    result = run_punie(*argv, env={"PUNIE_LOAD_PLUGINS": ""}, fakes=False)
    assert result.returncode == 2
    assert f"usage: punie {argv[0]}" in result.stderr
    assert f"punie {argv[0]}: error: unrecognized arguments: --bogus" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("command", ["serve", "run"])
def test_a_malformed_http_address_is_a_usage_error(command: str) -> None:
    argv = ["run", "hi"] if command == "run" else ["serve"]
    result = run_punie(*argv, "--http", "127.0.0.1:99999", fakes=False)
    assert result.returncode == 2
    assert f"punie {command}: error: argument --http: bad port" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_a_reader_that_goes_away_ends_the_command_quietly() -> None:
    # `punie stubs | head -1`: the pipe closes before the output is written.
    process = subprocess.Popen(
        [*punie_command(), "stubs"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=subprocess_env(PUNIE_LOAD_PLUGINS=""),
        cwd=ROOT,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err
