"""`punie train`: LoRA fine-tuning with mlx-lm, then fuse, quantize and a model card.

Stages, each recorded by a marker in `OUT/stages/` so an interrupted run resumes where it
stopped (run the same command again):

1. `data`: copy the exported splits into `OUT/data` (empty splits left out: mlx-lm rejects an
   empty file) and count them.
2. `lora`: `mlx_lm`'s LoRA training in a child of this interpreter
   (`punie_core.flywheel.lora_runner`), checkpoints every `save_every` iterations; a resumed run
   continues from the newest checkpoint.
3. `fuse`: `python -m mlx_lm fuse --dequantize` merges the adapters into the base weights.
4. `quantize`: `python -m mlx_lm convert -q --q-bits N` (5 by default; 0 keeps full precision).
5. `card`: `OUT/model/README.md` and `OUT/model/punie-train.json`: data counts, losses, settings.

The model is then `--model mlx:OUT/model`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from punie_core.flywheel.progress import Bar
from punie_core.security.workspace import atomic_write_text

SPLITS = ("train", "valid", "test")
STAGES = ("data", "lora", "fuse", "quantize", "card")


class TrainError(Exception):
    """`punie train` cannot start or a stage failed; the message says what to do."""


@dataclass
class TrainOptions:
    """Settings of one training run (all of them go into the model card).

    Attributes:
        data: Folder with `train.jsonl` (and optionally `valid.jsonl`, `test.jsonl`).
        base: The base model: an mlx model folder or a Hugging Face repo.
        out: Output folder (`OUT/model` is the result).
        iters: Training iterations.
        batch_size: Examples per iteration (lowered to the size of the smallest split).
        learning_rate: Adam learning rate.
        num_layers: Layers to adapt (-1: all; more than the model has means all).
        rank: LoRA rank.
        max_seq_length: Examples whose trained turn starts beyond it are left out (Punie's
            system prompt and tool definitions alone take a few thousand tokens).
        mask_prompt: Train only on the last assistant turn of each example.
        bits: Quantization bits (0: keep the fused model unquantized).
        group_size: Quantization group size.
        seed: Training seed.
        save_every: Checkpoint interval in iterations (0: about ten per run).
    """

    data: Path
    base: str
    out: Path
    iters: int = 200
    batch_size: int = 4
    learning_rate: float = 1e-5
    num_layers: int = 16
    rank: int = 8
    max_seq_length: int = 8192
    mask_prompt: bool = True
    bits: int = 5
    group_size: int = 64
    seed: int = 0
    save_every: int = 0


def check_ready(options: TrainOptions) -> dict[str, int]:
    """Everything that can be checked before starting; returns the example count per split.

    Raises:
        TrainError: mlx-lm is missing, the data is missing, empty or not a dataset, or the
            base model folder does not exist.
    """
    for module in ("mlx", "mlx_lm"):
        if importlib.util.find_spec(module) is None:
            raise TrainError(
                "punie train needs mlx-lm, which is not installed in this environment:\n"
                "  pip install 'punie[mlx]'      (or: uv sync --extra mlx)"
            )
    train_file = options.data / "train.jsonl"
    if not train_file.is_file():
        raise TrainError(
            f"no training data at {train_file}: export traces first, for example\n"
            f"  punie traces export --format tools --out {options.data}"
        )
    counts = {name: count_examples(options.data / f"{name}.jsonl") for name in SPLITS}
    if counts["train"] == 0:
        raise TrainError(
            f"{train_file} holds no examples: collect validated traces\n"
            "(punie run, or Punie in your IDE) "
            "and export again; `punie traces stats` shows what you have"
        )
    base = Path(options.base).expanduser()
    looks_local = options.base.startswith((".", "/", "~")) or base.exists()
    if looks_local and not (base / "config.json").is_file():
        raise TrainError(
            f"base model {options.base} is not an mlx model folder (no config.json there)"
        )
    if options.iters < 1 or options.batch_size < 1:
        raise TrainError("--iters and --batch-size must be at least 1")
    if options.bits not in (0, 2, 3, 4, 5, 6, 8):
        raise TrainError(f"--bits {options.bits}: use 2, 3, 4, 5, 6 or 8 (0 to skip quantization)")
    return counts


def count_examples(path: Path) -> int:
    """Records in a JSONL split (0 when absent); every line must be a JSON object.

    Raises:
        TrainError: A line is not JSON, or the first record is no mlx-lm format.
    """
    if not path.is_file():
        return 0
    count = 0
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TrainError(f"{path}:{number}: not JSON ({exc.msg})") from None
            if count == 0 and not (
                isinstance(record, dict)
                and (
                    "messages" in record
                    or "text" in record
                    or {"prompt", "completion"} <= set(record)
                )
            ):
                raise TrainError(
                    f"{path}:{number}: not an mlx-lm record "
                    "(needs messages, prompt+completion or text)"
                )
            count += 1
    return count


def _fingerprint(options: TrainOptions) -> str:
    """What makes two runs the same run: settings and the data files' sizes and times."""
    settings = {k: str(v) for k, v in asdict(options).items() if k != "out"}
    for name in SPLITS:
        path = options.data / f"{name}.jsonl"
        if path.is_file():
            stat = path.stat()
            settings[name] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


class Trainer:
    """Runs the stages for one `TrainOptions`, resuming from stage markers."""

    def __init__(self, options: TrainOptions, *, echo: Callable[[str], None] | None = None) -> None:
        self.options = options
        self.out = options.out.resolve()
        self.stages_dir = self.out / "stages"
        self.logs = self.out / "logs"
        self.echo = echo or (lambda text: print(text, file=sys.stderr))

    # -- markers -----------------------------------------------------------------------------

    def done(self, stage: str) -> dict[str, Any] | None:
        marker = self.stages_dir / f"{stage}.json"
        if not marker.is_file():
            return None
        try:
            return json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def mark(self, stage: str, **info: Any) -> None:
        atomic_write_text(self.stages_dir / f"{stage}.json", json.dumps(info, indent=2) + "\n")

    def prepare(self, fresh: bool) -> None:
        """Create `OUT`; refuse to resume a run with other settings."""
        plan = self.out / "stages" / "plan.json"
        fingerprint = _fingerprint(self.options)
        if fresh:
            for name in ("stages", "logs", "data", "lora", "adapters", "fused", "model"):
                shutil.rmtree(self.out / name, ignore_errors=True)
        elif plan.is_file():
            recorded = json.loads(plan.read_text(encoding="utf-8")).get("fingerprint")
            if recorded != fingerprint:
                raise TrainError(
                    f"{self.out} holds a run with other settings or data; "
                    "use --fresh to start over "
                    "or choose another --out"
                )
        self.stages_dir.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        settings = {k: str(v) for k, v in asdict(self.options).items()}
        atomic_write_text(
            plan, json.dumps({"fingerprint": fingerprint, "settings": settings}, indent=2) + "\n"
        )

    # -- the stages --------------------------------------------------------------------------

    def run(self, *, fresh: bool = False) -> Path:
        """Run (or resume) every stage; return the model folder."""
        counts = check_ready(self.options)
        self.prepare(fresh)
        redo = False
        for stage in STAGES:
            if self.done(stage) is not None and not redo:
                self.echo(f"{stage}: already done (resuming)")
                continue
            # Every stage after one that ran again works from its new output.
            redo = True
            (self.stages_dir / f"{stage}.json").unlink(missing_ok=True)
            getattr(self, f"stage_{stage}")(counts)
        return self.out / "model"

    def stage_data(self, counts: dict[str, int]) -> None:
        bar = Bar("data", total=len(SPLITS))
        data = self.out / "data"
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        for index, name in enumerate(SPLITS, 1):
            if counts[name]:
                shutil.copyfile(self.options.data / f"{name}.jsonl", data / f"{name}.jsonl")
            bar.update(index)
        export_report = self.options.data / "export.json"
        if export_report.is_file():
            shutil.copyfile(export_report, data / "export.json")
        bar.finish(", ".join(f"{name} {counts[name]}" for name in SPLITS))
        self.mark("data", counts=counts)

    def _batch_size(self, counts: dict[str, int]) -> int:
        sizes = [counts["train"]] + ([counts["valid"]] if counts["valid"] else [])
        return max(1, min(self.options.batch_size, *sizes))

    def _num_layers(self) -> int:
        config = Path(self.options.base).expanduser() / "config.json"
        try:
            layers = int(json.loads(config.read_text(encoding="utf-8")).get("num_hidden_layers", 0))
        except (OSError, ValueError, json.JSONDecodeError):
            return self.options.num_layers
        if self.options.num_layers < 0 or (layers and self.options.num_layers >= layers):
            return -1
        return self.options.num_layers

    def _checkpoint(self) -> tuple[int, Path | None]:
        """The newest checkpoint: `(global iteration, file)`, or `(0, None)`."""
        best: tuple[int, Path | None] = (0, None)
        for run_dir in sorted((self.out / "lora").glob("from-*")):
            offset = int(run_dir.name.removeprefix("from-"))
            for checkpoint in run_dir.glob("*_adapters.safetensors"):
                try:
                    local = int(checkpoint.name.split("_", 1)[0])
                except ValueError:
                    continue
                if offset + local > best[0]:
                    best = (offset + local, checkpoint)
        return best

    def stage_lora(self, counts: dict[str, int]) -> None:
        options = self.options
        lora_dir = self.out / "lora"
        lora_dir.mkdir(parents=True, exist_ok=True)
        losses_path = lora_dir / "losses.jsonl"
        offset, checkpoint = self._checkpoint()
        offset = min(offset, options.iters)
        kept = []
        if losses_path.is_file():
            for line in losses_path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if record.get("iteration", 0) <= offset and record.get("event") in ("train", "val"):
                    kept.append(line)
        atomic_write_text(losses_path, "".join(line + "\n" for line in kept))
        run_dir = lora_dir / f"from-{offset:07d}"
        batch_size = self._batch_size(counts)
        remaining = options.iters - offset
        if remaining > 0:
            save_every = options.save_every or max(1, options.iters // 10)
            config = {
                "model": options.base,
                "data": str(self.out / "data"),
                "fine_tune_type": "lora",
                "iters": remaining,
                "batch_size": batch_size,
                "learning_rate": options.learning_rate,
                "num_layers": self._num_layers(),
                "lora_parameters": {"rank": options.rank, "dropout": 0.0, "scale": 20.0},
                "max_seq_length": options.max_seq_length,
                "mask_prompt": options.mask_prompt,
                "seed": options.seed + offset,
                "steps_per_report": 1,
                "steps_per_eval": max(1, min(200, options.iters)),
                "val_batches": 25,
                "test_batches": 100,
                "save_every": save_every,
                "adapter_path": str(run_dir),
                "resume_adapter_file": str(checkpoint) if checkpoint else None,
                "iteration_offset": offset,
                "report_test_loss": counts["test"] > 0,
            }
            if offset:
                self.echo(f"lora: resuming at iteration {offset} from {checkpoint}")
            self._train(config, losses_path, run_dir, offset)
        else:
            run_dir = checkpoint.parent if checkpoint else run_dir
        adapters = self.out / "adapters"
        shutil.rmtree(adapters, ignore_errors=True)
        adapters.mkdir(parents=True)
        final = run_dir / "adapters.safetensors"
        if not final.is_file():
            if checkpoint is None:
                raise TrainError(f"no adapters found under {lora_dir}; run again with --fresh")
            final = checkpoint
        shutil.copyfile(final, adapters / "adapters.safetensors")
        shutil.copyfile(run_dir / "adapter_config.json", adapters / "adapter_config.json")
        self.mark("lora", iterations=options.iters, batch_size=batch_size)

    def _train(self, config: dict[str, Any], losses_path: Path, run_dir: Path, offset: int) -> None:
        run_dir.mkdir(parents=True, exist_ok=True)
        config_path = run_dir / "runner.json"
        atomic_write_text(config_path, json.dumps(config, indent=2) + "\n")
        log_path = self.logs / "lora.log"
        bar = Bar("lora", total=self.options.iters)
        bar.update(offset)
        failure = ""
        with open(log_path, "ab") as log, open(losses_path, "a", encoding="utf-8") as losses:
            process = subprocess.Popen(
                [sys.executable, "-m", "punie_core.flywheel.lora_runner", str(config_path)],
                stdout=subprocess.PIPE,
                stderr=log,
                env=_child_env(self.options.base),
                text=True,
            )
            try:
                assert process.stdout is not None
                for line in process.stdout:
                    try:
                        event = json.loads(line)
                    except json.JSONDecodeError:
                        continue
                    kind = event.get("event")
                    if kind in ("train", "val", "test"):
                        losses.write(json.dumps(event) + "\n")
                        losses.flush()
                    if kind == "lengths" and event["dropped"]:
                        self.echo(
                            f"lora: {event['dropped']} {event['split']} examples are longer than "
                            f"--max-seq-length {self.options.max_seq_length} "
                            f"(longest {event['longest']} tokens) "
                            "and are left out"
                        )
                    elif kind == "error":
                        failure = str(event.get("message"))
                    if kind == "train":
                        bar.update(int(event["iteration"]), f"loss {event['train_loss']:.3f}")
                    elif kind == "val":
                        bar.update(note=f"val {event['val_loss']:.3f}")
                code = process.wait()
            except BaseException:
                process.kill()
                process.wait()
                raise
        if code != 0:
            if failure:
                raise TrainError(
                    f"{failure} ({self.options.max_seq_length} tokens): raise --max-seq-length"
                )
            raise TrainError(
                f"lora training failed (exit {code}); log {log_path}:\n{_tail(log_path)}"
            )
        bar.finish()

    def _command_stage(self, stage: str, command: list[str]) -> None:
        log_path = self.logs / f"{stage}.log"
        bar = Bar(stage)
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=_child_env(self.options.base)
            )
            ticker = threading.Event()

            def tick() -> None:
                while not ticker.wait(0.5):
                    bar.update()

            thread = threading.Thread(target=tick, daemon=True)
            thread.start()
            try:
                code = process.wait()
            except BaseException:
                process.kill()
                process.wait()
                raise
            finally:
                ticker.set()
                thread.join()
        if code != 0:
            raise TrainError(f"{stage} failed (exit {code}); log {log_path}:\n{_tail(log_path)}")
        bar.finish()

    def stage_fuse(self, counts: dict[str, int]) -> None:
        fused = self.out / "fused"
        shutil.rmtree(fused, ignore_errors=True)
        command = [
            sys.executable, "-m", "mlx_lm", "fuse",
            "--model", self.options.base,
            "--adapter-path", str(self.out / "adapters"),
            "--save-path", str(fused),
            # Full precision out (a no-op for an unquantized base): the next stage quantizes
            # at the chosen bits, which a quantized model could not be again.
            "--dequantize",
        ]  # fmt: skip
        self._command_stage("fuse", command)
        self.mark("fuse", path=str(fused))

    def stage_quantize(self, counts: dict[str, int]) -> None:
        model = self.out / "model"
        shutil.rmtree(model, ignore_errors=True)
        if self.options.bits == 0:
            shutil.copytree(self.out / "fused", model)
            self.echo("quantize: skipped (--bits 0)")
        else:
            self._command_stage(
                "quantize",
                [
                    sys.executable, "-m", "mlx_lm", "convert",
                    "--hf-path", str(self.out / "fused"),
                    "--mlx-path", str(model),
                    "-q", "--q-bits", str(self.options.bits),
                    "--q-group-size", str(self.options.group_size),
                ],
            )  # fmt: skip
        self.mark("quantize", bits=self.options.bits)

    def stage_card(self, counts: dict[str, int]) -> None:
        card = model_card(self.options, self.out, counts)
        model = self.out / "model"
        atomic_write_text(model / "punie-train.json", json.dumps(card, indent=2) + "\n")
        atomic_write_text(model / "README.md", render_card(card))
        self.mark("card")


def _child_env(base: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    if Path(base).expanduser().exists():
        env["HF_HUB_OFFLINE"] = "1"  # a local base model must never reach for the hub
    return env


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join("  " + line for line in text.strip().splitlines()[-lines:])


def model_string(model_dir: Path) -> str:
    """The `--model` value that serves this model through a managed mlx_lm.server."""
    return f"mlx:{model_dir.resolve()}"


def model_card(options: TrainOptions, out: Path, counts: dict[str, int]) -> dict[str, Any]:
    """The facts of a run: data, settings, losses, result."""
    losses = []
    losses_path = out / "lora" / "losses.jsonl"
    if losses_path.is_file():
        for line in losses_path.read_text(encoding="utf-8").splitlines():
            try:
                losses.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    train = [e for e in losses if e.get("event") == "train"]
    val = [e for e in losses if e.get("event") == "val"]
    test = [e for e in losses if e.get("event") == "test"]
    export_info: dict[str, Any] = {}
    export_path = out / "data" / "export.json"
    if export_path.is_file():
        export_info = json.loads(export_path.read_text(encoding="utf-8"))
    return {
        "model": model_string(out / "model"),
        "base": options.base,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {
            "folder": str(options.data.resolve()),
            "examples": counts,
            "format": export_info.get("format"),
            "traces_exported": export_info.get("exported_traces"),
            "traces_read": export_info.get("traces"),
            "kinds": export_info.get("kinds"),
        },
        "settings": {k: v for k, v in asdict(options).items() if k not in ("data", "base", "out")},
        "losses": {
            "train_first": train[0]["train_loss"] if train else None,
            "train_last": train[-1]["train_loss"] if train else None,
            "val": [{"iteration": e["iteration"], "loss": e["val_loss"]} for e in val],
            "test": test[-1]["test_loss"] if test else None,
        },
        "quantization": {"bits": options.bits, "group_size": options.group_size}
        if options.bits
        else None,
    }


def render_card(card: dict[str, Any]) -> str:
    """The model card as Markdown."""
    data, losses, settings = card["data"], card["losses"], card["settings"]

    def fmt(value: Any) -> str:
        return (
            f"{value:.4f}" if isinstance(value, float) else "n/a" if value is None else str(value)
        )

    val = ", ".join(f"{e['iteration']}: {fmt(e['loss'])}" for e in losses["val"]) or "n/a"
    quant = card["quantization"]
    quant_text = f"{quant['bits']}-bit, group size {quant['group_size']}" if quant else "none"
    lines = [
        "---",
        "library_name: mlx",
        f"base_model: {card['base']}",
        "tags: [mlx, lora, punie]",
        "---",
        "",
        "# Punie fine-tune",
        "",
        f"LoRA fine-tune of `{card['base']}` on Punie traces, "
        f"made by `punie train` on {card['created']}.",
        "",
        "Use it:",
        "",
        "```",
        f'punie run --model {card["model"]} "..."',
        f"punie eval --model {card['model']}",
        "```",
        "",
        "## Data",
        "",
        f"- folder: `{data['folder']}` ({fmt(data['format'])} format)",
        f"- examples: train {data['examples']['train']}, valid {data['examples']['valid']}, "
        f"test {data['examples']['test']}",
        f"- traces: {fmt(data['traces_exported'])} exported of {fmt(data['traces_read'])} read",
        f"- example kinds: {fmt(data['kinds'])}",
        "",
        "## Training",
        "",
        f"- iterations {settings['iters']}, batch size {settings['batch_size']}, "
        f"learning rate {settings['learning_rate']}, LoRA rank {settings['rank']}, "
        f"layers {settings['num_layers']}, max length {settings['max_seq_length']}, "
        f"mask prompt {settings['mask_prompt']}, seed {settings['seed']}",
        f"- train loss: {fmt(losses['train_first'])} (first) -> {fmt(losses['train_last'])} (last)",
        f"- validation loss by iteration: {val}",
        f"- test loss: {fmt(losses['test'])}",
        f"- quantization: {quant_text}",
        "",
    ]
    return "\n".join(lines)
