"""`punie serve` on awkward input: stdin that is not a pipe, prompts no model request can encode."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.helpers.cli import punie_command

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": 1, "clientCapabilities": {}},
}


def serve(stdin: object, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*punie_command(), "serve", "--no-http", *args],
        stdin=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=dict(os.environ),
        timeout=60,
    )


def test_stdin_from_dev_null_ends_serve_at_once(workspace: Path) -> None:
    # /dev/null is a character device that epoll refuses: it used to wait forever.
    with open(os.devnull, "rb") as devnull:
        done = serve(devnull, workspace)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and "Traceback" not in done.stderr


def test_frames_from_a_regular_file_are_answered(workspace: Path, tmp_path: Path) -> None:
    frames = tmp_path / "frames.jsonl"
    frames.write_text(json.dumps(INITIALIZE) + "\n")
    with open(frames, "rb") as handle:
        done = serve(handle, workspace)
    assert done.returncode == 0, done.stderr
    [line] = done.stdout.splitlines()
    assert json.loads(line)["result"]["protocolVersion"] == 1


def test_a_log_file_that_cannot_be_opened_falls_back_to_stderr(
    workspace: Path, tmp_path: Path
) -> None:
    frames = tmp_path / "frames.jsonl"
    frames.write_text(json.dumps(INITIALIZE) + "\n")
    bad_log = str(tmp_path / "missing" / "punie.log")
    with open(frames, "rb") as handle:
        done = serve(handle, workspace, "--log-file", bad_log)
    assert done.returncode == 0, done.stderr
    assert f"punie serve: cannot log to {bad_log}" in done.stderr
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout)["id"] == 1


def test_a_prompt_with_lone_surrogates_becomes_encodable_text() -> None:
    # `"\\udcff"` in a client's JSON decodes to a lone surrogate; left in, the model request
    # failed to encode, and so did every later prompt of the session.
    from acp.schema import TextContentBlock

    from punie_core.acp.agent import prompt_text

    text = prompt_text([TextContentBlock(type="text", text="caf\udcff ok")])
    assert text == "caf? ok"
    text.encode("utf-8")
