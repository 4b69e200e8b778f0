"""`punie train`: LoRA fine-tune a model on exported traces with mlx-lm (extra `punie[mlx]`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument(
        "--data", required=True, type=Path, help="folder from `punie traces export`"
    )
    parser.add_argument(
        "--base", required=True, help="base model: an mlx model folder or a Hugging Face repo"
    )
    parser.add_argument(
        "--out", required=True, type=Path, help="output folder; the model lands in OUT/model"
    )
    parser.add_argument("--iters", type=int, default=200, help="training iterations (default 200)")
    parser.add_argument(
        "--batch-size", type=int, default=4, help="examples per iteration (default 4)"
    )
    parser.add_argument("--learning-rate", type=float, default=1e-5, help="default 1e-5")
    parser.add_argument(
        "--num-layers", type=int, default=16, help="layers to adapt, -1 for all (default 16)"
    )
    parser.add_argument("--rank", type=int, default=8, help="LoRA rank (default 8)")
    parser.add_argument(
        "--max-seq-length", type=int, default=8192, help="tokens per example (default 8192)"
    )
    parser.add_argument(
        "--no-mask-prompt",
        action="store_true",
        help="train on whole examples, not only the last turn",
    )
    parser.add_argument(
        "--bits", type=int, default=5, help="quantization bits, 0 for none (default 5)"
    )
    parser.add_argument(
        "--group-size", type=int, default=64, help="quantization group size (default 64)"
    )
    parser.add_argument("--seed", type=int, default=0, help="training seed (default 0)")
    parser.add_argument(
        "--save-every", type=int, default=0, help="checkpoint interval (default: iters/10)"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="discard an earlier run in OUT instead of resuming it"
    )


def run(args: argparse.Namespace) -> int:
    from punie_core.flywheel.train import Trainer, TrainError, TrainOptions, model_string

    options = TrainOptions(
        data=args.data,
        base=args.base,
        out=args.out,
        iters=args.iters,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        num_layers=args.num_layers,
        rank=args.rank,
        max_seq_length=args.max_seq_length,
        mask_prompt=not args.no_mask_prompt,
        bits=args.bits,
        group_size=args.group_size,
        seed=args.seed,
        save_every=args.save_every,
    )
    try:
        model = Trainer(options).run(fresh=args.fresh)
    except TrainError as exc:
        print(f"punie train: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("punie train: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    print(f"model card: {model / 'README.md'}", file=sys.stderr)
    print(f"use it with: --model {model_string(model)}", file=sys.stderr)
    print(model_string(model))
    return 0
