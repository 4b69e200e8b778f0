"""`punie stubs`, `punie prompt`, `punie skills`: exactly what the model is shown."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    if name == "prompt":
        parser.add_argument("--tokens", action="store_true", help="also print the token estimate on stderr")


def run(args: argparse.Namespace) -> int:
    from punie_core.plugins import load_toolbox, warn_failures

    toolbox = load_toolbox()
    warn_failures(toolbox)
    if args.command == "stubs":
        sys.stdout.write(toolbox.stubs)
    elif args.command == "prompt":
        sys.stdout.write(toolbox.prompt)
        if args.tokens:
            from punie_core.prompt import estimate_tokens

            print(f"~{estimate_tokens(toolbox.prompt)} tokens", file=sys.stderr)
    else:
        for skill in toolbox.skills:
            print(f"{skill.name}  ({skill.plugin})  {skill.description.strip()}")
    return 0
