"""`punie run` on awkward input: undecodable prompts, `--http` alone, mlx folders, traces."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from punie_core.agent.traces import read_traces
from punie_core.models.servers import ServerFailed, child_command
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import punie


def test_a_prompt_that_is_not_utf8_is_answered_and_traced(
    workspace: Path, punie_home: Path
) -> None:
    with ScriptedModelServer([{"text": "Done."}]) as server:
        # "caf\udcff" reaches the child as the bytes b"caf\xff" (a Latin-1 terminal's é).
        argv = ("run", "caf\udcff", "--model", server.model_string, "--cwd", str(workspace))
        done = punie(*argv, "--json")
        [chat] = [r for r in server.requests if r.path.endswith("/chat/completions")]
        sent = chat.body["messages"][-1]["content"]
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["output"] == "Done."
    assert "caf\ufffd" in str(sent)
    [trace] = list(read_traces([punie_home / "traces"]))
    assert trace["query"] == "caf\ufffd"


def test_http_alone_starts_the_web_ui(workspace: Path) -> None:
    with ScriptedModelServer([{"text": "Done."}]) as server:
        argv = ("run", "hi", "--model", server.model_string, "--cwd", str(workspace))
        done = punie(*argv, "--http", "127.0.0.1:0", "--json")
    assert done.returncode == 0, done.stderr
    assert re.search(r"web UI at http://127\.0\.0\.1:\d+/\?token=\S+", done.stderr)


@pytest.mark.skipif(importlib.util.find_spec("mlx_lm") is None, reason="needs punie[mlx]")
def test_an_mlx_path_that_is_not_a_model_folder_fails_before_starting(tmp_path: Path) -> None:
    with pytest.raises(ServerFailed, match="model folder not found"):
        child_command("mlx", str(tmp_path / "missing"), 1234)
    with pytest.raises(ServerFailed, match="not an mlx model folder"):
        child_command("mlx", str(tmp_path), 1234)
    (tmp_path / "config.json").write_text("{}")
    assert str(tmp_path) in child_command("mlx", str(tmp_path), 1234)
    # A Hugging Face repo id is left to mlx_lm.server.
    assert "org/model" in child_command("mlx", "org/model", 1234)


def test_a_record_with_undecodable_text_is_still_written(tmp_path: Path) -> None:
    from punie_core.agent.traces import append_trace

    path = append_trace({"id": "t1", "output": "bad\udcffname.py"}, tmp_path / "t.jsonl")
    [record] = list(read_traces([path]))
    assert record["output"] == "bad?name.py"
