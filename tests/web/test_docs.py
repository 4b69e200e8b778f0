"""docs/web.md's example client works against a live agent (the code is taken from the page)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "web.md"

pytestmark = pytest.mark.slow


def example_client() -> str:
    section = DOC.read_text(encoding="utf-8").split("## Example client", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_documented_example_client_follows_a_session_and_answers_its_approval(agent, tmp_path):
    code = 'write_file(path="docs.txt", content="written\\n")'
    session = agent.session(
        [
            {"tool_calls": [{"name": "execute_code", "arguments": {"code": code}}]},
            {"text": "Wrote docs.txt."},
        ]
    )
    script = tmp_path / "client.py"
    script.write_text(example_client())
    client = subprocess.Popen(
        [sys.executable, str(script), agent.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert client.stdout.readline().startswith("following New session")
    outcome = agent.prompt(session, "write the docs")
    out, err = client.communicate("y\n", timeout=60)
    assert client.returncode == 0, err
    assert "allow write_file(docs.txt)? [y/N]" in out
    assert "[write_file -> WriteResult]" in out
    assert "Wrote docs.txt." in out and out.rstrip().endswith("-- end_turn")
    assert outcome.result(10).stop_reason == "end_turn"
    assert (session.cwd / "docs.txt").read_text() == "written\n"


def test_every_api_path_is_in_the_docs():
    from punie_core.web.openapi import openapi_spec

    text = DOC.read_text(encoding="utf-8")
    for path in openapi_spec()["paths"]:
        if path != "/api/openapi.json":
            assert path.replace("{session_id}", "{id}") in text, path
