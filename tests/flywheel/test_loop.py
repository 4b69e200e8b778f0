"""The whole flywheel on a tiny model built here: collect, export, train, serve, evaluate.

Traces come from real `punie run` processes answering prompts against the scripted model
server; the export is loaded by mlx-lm's own dataset code with the tiny model's tokenizer;
`punie train` runs mlx-lm's LoRA, fuse and quantize; the result is served by mlx_lm.server
through `--model mlx:...` and evaluated by `punie eval`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from punie_core.flywheel.export import read_jsonl, split_of
from punie_core.flywheel.tasks import default_tasks_dir
from punie_core.testing.scripted_model import ScriptedModelServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

FIXTURE = default_tasks_dir() / "fix-calc-bug" / "project"
BROKEN = "r = pytest_run()\nprint(r.failed)\nprint(r.tests[5].nodeid)"  # IndexError when it runs
FIX = (
    "src = read_file('app/calc.py')\n"
    "write_file('app/calc.py', src.replace('return a - b', 'return a + b'))\n"
    "r = pytest_run()\n"
    "print(r.success, r.passed)"
)
TAMPER = "run_command('rm tests/test_calc.py')\nprint(run_command('python -m pytest -q').exit_code)"
TYPO = "r = pytest_run()\nprint(r.faild)"
COUNT = "r = pytest_run()\nprint(r.failed)"


def code(snippet: str) -> dict:
    return {"tool_calls": [{"name": "execute_code", "arguments": {"code": snippet}}]}


SCRIPT = [
    code(BROKEN),
    code(FIX),
    {"text": "add() subtracted; fixed, and the tests pass."},  # error, then fix
    {"text": "404 means Not Found."},  # a direct answer
    code(TAMPER),
    {"text": "The tests pass now."},  # deletes the failing test: never validated
    code(TYPO),
    code(COUNT),
    {"text": "One test fails."},  # a type error the host retries
]
PROMPTS = [
    "The tests in tests/test_calc.py fail. Fix app/calc.py.",
    "What does HTTP 404 mean?",
    "Make the tests pass.",
    "How many tests fail?",
]


def punie(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PUNIE_NO_FAST_EXIT": "1"}
    return subprocess.run(
        [sys.executable, "-m", "punie_core.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_collect_export_train_serve_evaluate(tmp_path: Path) -> None:
    pytest.importorskip("mlx_lm", reason="the mlx extra is not installed (uv sync --extra mlx)")
    # 1. Collect: real `punie run` prompts, each in its own copy of the project.
    with ScriptedModelServer(SCRIPT) as server:
        for index, prompt in enumerate(PROMPTS):
            project = tmp_path / f"project{index}"
            shutil.copytree(FIXTURE, project)
            done = punie(
                "run",
                prompt,
                "--model",
                server.model_string,
                "--yes",
                "--cwd",
                str(project),
                "--quiet",
            )
            assert done.returncode == 0, done.stderr
        assert len(server.chat_requests) == len(SCRIPT)

    stats = json.loads(punie("traces", "stats", "--json").stdout)
    assert stats["traces"] == 4
    assert stats["validation"]["validated"] == 3 and stats["validation"]["tampered_tests"] == 1
    assert stats["retries"]["total"] >= 1 and stats["snippets"]["failed"] == 2
    assert stats["field_access"]["rate"] > 0.5
    assert stats["tools"]["pytest_run"]["calls"] >= 3 and stats["outcomes"] == {"end_turn": 4}

    # The tiny model's tokenizer learns from the collected traces, so their prompts stay short.
    from punie_core.flywheel.sources import iter_traces, trace_files
    from tests.helpers.tiny_mlx import CHAT_TEMPLATE, build_tiny_model

    traces = list(iter_traces(trace_files()))
    corpus = [
        json.dumps(t["tools"]) + t["system_prompt"] + json.dumps(t["messages"][1:]) for t in traces
    ]
    examples = ["def test_add():\n    assert add(1, 2) == 3\n", "print(r.exit_code)"]
    tiny = build_tiny_model(tmp_path / "tiny", [*corpus, CHAT_TEMPLATE, *examples])

    # 2. Export: pick a seed whose split keeps a trace in train and one in valid.
    ids = [t["id"] for t in traces]
    seed = next(s for s in range(200) if {"train", "valid"} <= {split_of(i, s) for i in ids})
    data = tmp_path / "data"
    exported = punie(
        "traces", "export", "--format", "tools", "--out", str(data), "--seed", str(seed), "--json"
    )
    assert exported.returncode == 0, exported.stderr
    report = json.loads(exported.stdout)
    assert report["exported_traces"] == 3 and report["skipped"] == {"tampered_tests": 1}
    assert report["kinds"] == {"answer": 3, "fix": 2}
    records = [r for path in sorted(data.glob("*.jsonl")) for r in read_jsonl(path)]
    assert len(records) == 5 and all(
        r["messages"][0]["role"] == "system" and r["tools"] for r in records
    )
    # Error-then-fix examples: the failed snippet's error is the tool result, the fix the target.
    fixes = [
        r
        for r in records
        if r["messages"][-1].get("tool_calls") and r["messages"][-2]["role"] == "tool"
    ]
    errors = sorted(r["messages"][-2]["content"] for r in fixes)
    assert len(fixes) == 2 and "IndexError" in errors[0] and "faild" in errors[1], errors

    # mlx-lm's own loader, with the tiny model's tokenizer and chat template, accepts every split.
    from types import SimpleNamespace

    from mlx_lm.tuner.datasets import load_local_dataset
    from mlx_lm.utils import load_tokenizer

    tokenizer = load_tokenizer(tiny)
    splits = load_local_dataset(data, tokenizer, SimpleNamespace(mask_prompt=True))
    assert sum(len(split) for split in splits) == 5
    for split in splits:
        for i in range(len(split)):
            tokens, offset = split.process(split[i])
            assert 0 < offset < len(tokens)  # the prompt is masked, the last turn is trained

    # 3. Train: LoRA, fuse, 5-bit quantization, model card.
    out = tmp_path / "trained"
    train_args = [
        "train", "--data", str(data), "--base", str(tiny), "--out", str(out),
        "--iters", "4", "--batch-size", "1", "--num-layers", "-1", "--learning-rate", "1e-4",
    ]  # fmt: skip
    trained = punie(*train_args)
    assert trained.returncode == 0, trained.stderr
    model_string = trained.stdout.strip().splitlines()[-1]
    assert model_string == f"mlx:{(out / 'model').resolve()}"
    for stage in ("data", "lora", "fuse", "quantize"):
        assert f"{stage}" in trained.stderr
    card = json.loads((out / "model" / "punie-train.json").read_text())
    assert (
        card["data"]["examples"]["train"]
        + card["data"]["examples"]["valid"]
        + card["data"]["examples"]["test"]
        == 5
    )
    assert card["data"]["kinds"] == {"answer": 3, "fix": 2} and card["quantization"]["bits"] == 5
    assert card["losses"]["train_first"] > 0 and card["losses"]["train_last"] > 0
    assert json.loads((out / "model" / "config.json").read_text())["quantization"]["bits"] == 5
    assert "train loss" in (out / "model" / "README.md").read_text()

    # Resume: lose the last checkpoint and every later stage, as a crash would; run again.
    last_run = sorted((out / "lora").glob("from-*"))[-1]
    (last_run / "adapters.safetensors").unlink()
    (last_run / "0000004_adapters.safetensors").unlink()
    (out / "stages" / "lora.json").unlink()  # later stages then run again from the new adapters
    resumed = punie(*train_args)
    assert resumed.returncode == 0, resumed.stderr
    assert "data: already done" in resumed.stderr and "resuming at iteration 3" in resumed.stderr
    assert "fuse: already done" not in resumed.stderr and (out / "stages" / "card.json").is_file()
    losses = [json.loads(line) for line in (out / "lora" / "losses.jsonl").read_text().splitlines()]
    assert [e["iteration"] for e in losses if e["event"] == "train"] == [1, 2, 3, 4]

    # 4. Serve the result through `--model mlx:...` and evaluate it on a few tasks.
    results_path = tmp_path / "results.json"
    tasks = ["--only", "direct-http-404", "--only", "count-lines"]
    evaluated = punie("eval", "--model", model_string, *tasks, "--out", str(results_path))
    assert evaluated.returncode == 0, evaluated.stderr
    results = json.loads(results_path.read_text())
    assert results["model"] == model_string and [t["id"] for t in results["tasks"]] == [
        "count-lines",
        "direct-http-404",
    ]
    for task in results["tasks"]:
        assert task["requests"] >= 1 and task["input_tokens"] > 0, task
        assert task["stop_reason"] in ("end_turn", "error", "max_turn_requests")
    assert "pass rate" in evaluated.stdout and "tool-vs-direct accuracy" in evaluated.stdout
