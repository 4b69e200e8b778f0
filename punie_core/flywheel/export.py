"""Export traces as mlx-lm training data: `train.jsonl`, `valid.jsonl`, `test.jsonl` (streaming).

A split that gets no example is left out (mlx-lm treats a missing split as empty but fails on
an empty file).

Formats (both are mlx-lm's chat dataset, detected from the first record):

* `tools`: `{"messages": [...], "tools": [...]}` with OpenAI tool calls on assistant turns and
  `tool` messages for results: rendered by the model's own chat template, for models whose
  template supports tools.
* `blocks`: `{"messages": [...]}` as a model in Punie's `blocks` tool format sees it: calls as
  ```python blocks, results as `Output:` user turns (for small local models, which Punie
  prompts this way; see docs/models.md).
* `chat`: `{"messages": [...]}` with the tool calls written as text in the assistant turn
  (`<tool_call>{"name", "arguments"}</tool_call>`, the Hermes/Qwen convention Punie recovers
  from text) and tool results as user turns in `<tool_response>` tags, for any chat template.

One example per assistant turn (mlx-lm's `--mask-prompt` trains the last assistant turn), so
every step of a trace is taught. Only validated traces are exported unless `--all`; error-then-fix
examples also come from traces that were not validated, since the fix itself ran. Each trace goes
wholly to one split, chosen by a hash of the seed and its id: the same traces and seed give the
same files. Memory stays constant: traces are read, converted and written one at a time.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from punie_core.agent.blocks import ATTACHED, LOOK, OUTPUT_PREFIX, block
from punie_core.flywheel.integrity import trace_tampering, validation_failures
from punie_core.flywheel.negatives import built_fix_examples
from punie_core.flywheel.turns import conversation

Format = Literal["tools", "chat", "blocks"]
SPLITS = ("train", "valid", "test")


@dataclass
class ExportOptions:
    """How to export.

    Attributes:
        format: `tools`, `chat` or `blocks`.
        include_all: Export traces that were not validated too (still never tampered ones).
        negatives: Include error-then-fix examples.
        seed: Seed of the split.
        fractions: Shares of train and valid (test takes the rest).
        arguments: Tool call arguments as a JSON `string` (OpenAI) or an `object` (some
            chat templates, Qwen2.5's among them, expect a mapping).
        feature: Only traces recorded while this feature was active (its folder name, number
            or slug, as `punie spec` takes them); None for every trace.
    """

    format: Format = "tools"
    include_all: bool = False
    negatives: bool = True
    seed: int = 0
    fractions: tuple[float, float] = (0.8, 0.1)
    arguments: Literal["string", "object"] = "string"
    feature: str | None = None


@dataclass
class ExportReport:
    """What an export read and wrote (also saved as `DIR/export.json`)."""

    format: str
    seed: int
    traces: int = 0
    exported_traces: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SPLITS, 0))
    kinds: dict[str, int] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_of(trace_id: str, seed: int, fractions: tuple[float, float] = (0.8, 0.1)) -> str:
    """The split of a trace: a stable hash of the seed and its id, not Python's salted hash."""
    digest = hashlib.sha256(f"{seed}:{trace_id}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    if position < fractions[0]:
        return "train"
    if position < fractions[0] + fractions[1]:
        return "valid"
    return "test"


def trace_examples(
    trace: dict[str, Any], options: ExportOptions
) -> tuple[list[tuple[str, dict[str, Any]]], str]:
    """The training records of one trace, with their kinds, and why none (when empty)."""
    if options.feature is not None and not feature_matches(trace.get("feature"), options.feature):
        return [], "other_feature"
    conv = conversation(trace)
    if conv is None:
        return [], "no_conversation"
    tampering = trace_tampering(trace)
    if tampering:
        return [], "tampered_tests"
    validated = not validation_failures(trace, tampering)
    keep_all = validated or options.include_all
    records: list[tuple[str, dict[str, Any]]] = []
    for kind, index in conv.examples():
        if kind == "fix" and not options.negatives:
            continue
        if keep_all or kind == "fix":
            records.append((kind, render(conv.messages[: index + 1], conv.tools, options)))
    if options.negatives:
        for messages in built_fix_examples(trace, conv):
            records.append(("fix", render(messages, conv.tools, options)))
    if not records:
        return [], "not_validated" if not keep_all else "no_examples"
    return records, ""


def feature_matches(recorded: Any, wanted: str) -> bool:
    """Whether a trace's `feature` is the one asked for: the same folder name, or its number
    (`001` for `001-user-auth`) or slug (`user-auth`). Traces without a feature never match."""
    if not isinstance(recorded, str) or not recorded:
        return False
    wanted = wanted.strip().strip("/")
    return (
        recorded == wanted or recorded.startswith(wanted + "-") or recorded.endswith("-" + wanted)
    )


def render(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]], options: ExportOptions
) -> dict[str, Any]:
    """One JSONL record in the chosen format."""
    if options.format == "chat":
        return {"messages": as_chat(messages)}
    if options.format == "blocks":
        return {"messages": as_blocks(messages)}
    rendered = messages
    if options.arguments == "object":
        # New dicts only where arguments change: the cleaned messages are shared between examples.
        rendered = [
            {
                **message,
                "tool_calls": [
                    {
                        **call,
                        "function": {
                            **call["function"],
                            "arguments": json.loads(call["function"]["arguments"]),
                        },
                    }
                    for call in message["tool_calls"]
                ],
            }
            if message.get("tool_calls")
            else message
            for message in messages
        ]
    record: dict[str, Any] = {"messages": rendered}
    if tools:
        record["tools"] = tools
    return record


def as_chat(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Tool calls and results written as text, for chat templates without tool support."""
    out: list[dict[str, str]] = []
    for message in messages:
        role = message["role"]
        if role == "tool":
            text = f"<tool_response>\n{message['content']}\n</tool_response>"
            if (
                out
                and out[-1]["role"] == "user"
                and out[-1]["content"].startswith("<tool_response>")
            ):
                out[-1]["content"] += "\n" + text  # parallel results share one turn
            else:
                out.append({"role": "user", "content": text})
            continue
        content = message["content"]
        if role == "assistant" and message.get("tool_calls"):
            calls = [
                "<tool_call>\n"
                + json.dumps(
                    {
                        "name": c["function"]["name"],
                        "arguments": json.loads(c["function"]["arguments"]),
                    },
                    ensure_ascii=False,
                )
                + "\n</tool_call>"
                for c in message["tool_calls"]
            ]
            content = "\n".join([content, *calls]) if content else "\n".join(calls)
        out.append({"role": role, "content": content})
    return out


def as_blocks(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The conversation as a model in the `blocks` tool format sees it (`agent.code_blocks`).

    Code Mode calls are ```python blocks in the assistant turn, results are `Output:` user
    turns, and Punie's first look is attached to the user's message.
    """
    out: list[dict[str, str]] = []
    looks: set[str] = set()
    for message in messages:
        role = message["role"]
        calls = message.get("tool_calls") or []
        if role == "assistant" and calls and all(c["id"].startswith(LOOK) for c in calls):
            looks.update(c["id"] for c in calls)
            continue
        if role == "tool":
            if message.get("tool_call_id") in looks and out and out[-1]["role"] == "user":
                out[-1] = {
                    "role": "user",
                    "content": out[-1]["content"] + ATTACHED + message["content"],
                }
            else:
                out.append({"role": "user", "content": OUTPUT_PREFIX + message["content"]})
            continue
        content = message.get("content") or ""
        if calls:
            blocks = [block(_code_of(c["function"])) for c in calls]
            content = "\n".join([content, *blocks]) if content else "\n".join(blocks)
        out.append({"role": role, "content": content})
    return out


def _code_of(function: dict[str, Any]) -> str:
    arguments = function["arguments"]
    if isinstance(arguments, str):
        arguments = json.loads(arguments)
    if function["name"] == "execute_code" and isinstance(arguments.get("code"), str):
        return arguments["code"]
    listed = ", ".join(f"{key}={value!r}" for key, value in arguments.items())
    return f"print({function['name']}({listed}))"


class _SplitWriter:
    """Three JSONL files written to temporary names and renamed into place when complete."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.temps = {name: out / f".{name}.jsonl.tmp" for name in SPLITS}
        self.files = {name: open(path, "w", encoding="utf-8") for name, path in self.temps.items()}  # noqa: SIM115

    def write(self, split: str, record: dict[str, Any]) -> None:
        self.files[split].write(json.dumps(record, ensure_ascii=False) + "\n")

    def commit(self, counts: dict[str, int]) -> dict[str, str]:
        """Move the files into place; an empty split leaves no file (mlx-lm rejects empty ones)."""
        final = {}
        for name, handle in self.files.items():
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            target = self.out / f"{name}.jsonl"
            if counts[name]:
                os.replace(self.temps[name], target)
                final[name] = str(target)
            else:
                self.temps[name].unlink()
                target.unlink(missing_ok=True)  # an older export's split must not linger
        return final

    def abort(self) -> None:
        for name, handle in self.files.items():
            handle.close()
            self.temps[name].unlink(missing_ok=True)


def export(traces: Iterable[dict[str, Any]], out: Path, options: ExportOptions) -> ExportReport:
    """Convert traces to `out/{train,valid,test}.jsonl` and `out/export.json`.

    The three files appear together or not at all (written under temporary names first);
    an earlier export in `out` is replaced only when this one completes.
    """
    report = ExportReport(format=options.format, seed=options.seed)
    skipped: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    writer = _SplitWriter(out)
    try:
        for trace in traces:
            report.traces += 1
            records, reason = trace_examples(trace, options)
            if not records:
                skipped[reason] += 1
                continue
            split = split_of(str(trace.get("id") or report.traces), options.seed, options.fractions)
            report.exported_traces += 1
            for kind, record in records:
                writer.write(split, record)
                report.examples[split] += 1
                kinds[kind] += 1
    except BaseException:
        writer.abort()
        raise
    report.files = writer.commit(report.examples)
    report.skipped = dict(sorted(skipped.items()))
    report.kinds = dict(sorted(kinds.items()))
    from punie_core.security.workspace import atomic_write_text

    atomic_write_text(out / "export.json", json.dumps(report.as_dict(), indent=2) + "\n")
    return report


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a JSONL file (for checks and counts)."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
