"""The LoRA training child: `python -m punie_core.flywheel.lora_runner CONFIG.json`.

It runs mlx-lm's own training (`mlx_lm.lora.train_model`, the function behind `mlx_lm.lora
--train`) with the options in CONFIG.json, and reports progress as JSON lines on stdout:
`{"event": "train", "iteration", "train_loss", ...}`, `{"event": "val", ...}`,
`{"event": "test", "test_loss"}`, `{"event": "done"}`. mlx-lm's own console output goes to
stderr (the parent keeps it as the stage log). Iterations are reported globally: a resumed run
adds `iteration_offset`.
"""

from __future__ import annotations

import json
import os
import sys
import types
from typing import Any, TextIO


def _emit(stream: TextIO, event: str, **data: Any) -> None:
    clean = {k: (v.item() if hasattr(v, "item") else v) for k, v in data.items()}
    stream.write(json.dumps({"event": event, **clean}) + "\n")
    stream.flush()


class _Kept:
    """A dataset restricted to some of its examples (mlx-lm datasets index and `process`)."""

    def __init__(self, dataset: Any, indices: list[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: int) -> Any:
        return self.dataset[self.indices[index]]

    def process(self, record: Any) -> Any:
        return self.dataset.process(record)

    def __len__(self) -> int:
        return len(self.indices)


def trainable(dataset: Any, max_seq_length: int) -> tuple[Any, int, int]:
    """Drop examples whose trained part would be cut off by `max_seq_length`.

    mlx-lm truncates long examples; with a masked prompt longer than the limit nothing is
    left to train on and the loss becomes NaN. Returns `(dataset, dropped, longest)`.
    """
    kept: list[int] = []
    longest = 0
    for index in range(len(dataset)):
        processed = dataset.process(dataset[index])
        tokens, offset = processed if isinstance(processed, tuple) else (processed, 0)
        longest = max(longest, len(tokens))
        if offset < min(len(tokens), max_seq_length):
            kept.append(index)
    return _Kept(dataset, kept), len(dataset) - len(kept), longest


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m punie_core.flywheel.lora_runner CONFIG.json", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        config = json.load(handle)
    # Events keep the real stdout; everything mlx-lm prints goes to stderr.
    events = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    import numpy as np
    from mlx_lm import lora
    from mlx_lm.tuner.callbacks import TrainingCallback
    from mlx_lm.tuner.datasets import CacheDataset, load_dataset
    from mlx_lm.tuner.trainer import evaluate
    from mlx_lm.utils import load

    offset = int(config.pop("iteration_offset", 0))
    want_test = bool(config.pop("report_test_loss", True))
    args: dict[str, Any] = vars(lora.build_parser().parse_args([]))
    for key, value in lora.CONFIG_DEFAULTS.items():
        if args.get(key) is None:
            args[key] = value
    args.update(config)
    args["train"] = True
    args["test"] = False
    options = types.SimpleNamespace(**args)

    class Report(TrainingCallback):
        def on_train_loss_report(self, train_info: dict[str, Any]) -> None:
            info = dict(train_info)
            info["iteration"] = int(info.get("iteration", 0)) + offset
            _emit(events, "train", **info)

        def on_val_loss_report(self, val_info: dict[str, Any]) -> None:
            info = dict(val_info)
            info["iteration"] = int(info.get("iteration", 0)) + offset
            _emit(events, "val", **info)

    np.random.seed(options.seed)
    loaded: Any = load(options.model)  # (model, tokenizer); its annotation allows a config too
    model, tokenizer = loaded[0], loaded[1]
    train_set, valid_set, test_set = load_dataset(options, tokenizer)
    sets = {}
    for name, dataset in (("train", train_set), ("valid", valid_set), ("test", test_set)):
        if len(dataset):
            dataset, dropped, longest = trainable(dataset, options.max_seq_length)
            _emit(
                events, "lengths", split=name, kept=len(dataset), dropped=dropped, longest=longest
            )
        sets[name] = dataset
    train_set, valid_set, test_set = sets["train"], sets["valid"], sets["test"]
    if not len(train_set):
        _emit(events, "error", message="every training example is longer than --max-seq-length")
        return 3
    options.batch_size = min(options.batch_size, len(train_set), len(valid_set) or len(train_set))
    if len(valid_set) < options.batch_size:
        valid_set = []
    _emit(
        events,
        "start",
        iters=options.iters,
        offset=offset,
        train=len(train_set),
        valid=len(valid_set),
    )
    lora.train_model(options, model, train_set, valid_set, Report())
    if want_test and len(test_set) >= options.batch_size:
        model.eval()
        loss = evaluate(
            model=model,
            dataset=CacheDataset(test_set),
            batch_size=options.batch_size,
            num_batches=options.test_batches,
            max_seq_length=options.max_seq_length,
        )
        _emit(events, "test", test_loss=float(loss), examples=len(test_set))
    _emit(events, "done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
