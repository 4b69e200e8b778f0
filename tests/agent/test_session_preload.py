"""The first prompt imports pydantic-ai, openai and Monty in a worker thread, never on the loop."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.agent.conftest import ROOT

# Records the thread that first imports each watched module, in a fresh interpreter.
PROBE = r"""
import asyncio, json, sys, threading

WATCHED = {"pydantic_ai", "openai", "pydantic_monty"}
first = {}

class Probe:
    def find_spec(self, name, path=None, target=None):
        if name in WATCHED and name not in first:
            first[name] = threading.current_thread().name
        return None

sys.meta_path.insert(0, Probe())
mode, workspace = sys.argv[1], sys.argv[2]
from punie_core.agent.session import Session

async def main():
    ticks = 0
    async def tick():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)
    ticker = asyncio.create_task(tick())
    if mode == "preload":
        await Session.preload()
        output = None
    else:
        from punie_core.testing.scripted_model import ScriptedModelServer
        with ScriptedModelServer([{"text": "hi"}]) as server:
            session = Session(cwd=workspace, model=server.model_string, traces=False)
            output = (await session.prompt("hello")).output
            await session.aclose()
        from punie_core.sandbox.runner import shutdown_pool
        await shutdown_pool()
    ticker.cancel()
    print(json.dumps({"first": first, "output": output, "ticks": ticks}))

asyncio.run(main())
"""


def probe(mode: str, workspace: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode, str(workspace)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**__import__("os").environ, "PUNIE_LOAD_PLUGINS": ""},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_preload_imports_the_agent_libraries_in_a_worker_thread(workspace: Path) -> None:
    result = probe("preload", workspace)
    assert result["first"] == dict.fromkeys(
        ("pydantic_ai", "openai", "pydantic_monty"), "punie-preload"
    )
    assert result["ticks"] > 1  # the loop kept running while the thread imported


def test_a_first_prompt_keeps_the_heavy_imports_off_the_event_loop(workspace: Path) -> None:
    result = probe("prompt", workspace)
    assert result["output"] == "hi"
    assert set(result["first"]) == {"pydantic_ai", "openai", "pydantic_monty"}
    assert "MainThread" not in result["first"].values(), result["first"]
