"""`punie stubs`, `punie prompt`, `punie skills`: exactly what the model is shown."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """Options of `punie stubs`, `punie prompt` and `punie skills`."""
    if name == "prompt":
        parser.add_argument(
            "--tokens", action="store_true", help="also print the token estimate on stderr"
        )
    if name == "skills":
        parser.add_argument("name", nargs="?", help="print this skill's full text instead")


def run(args: argparse.Namespace) -> int:
    """Build the toolbox (reporting broken plugins once on stderr) and print one view of it."""
    from punie_core.plugins.loader import load_toolbox, warn_failures

    toolbox = load_toolbox()
    warn_failures(toolbox)
    if args.command == "stubs":
        sys.stdout.write(toolbox.stubs)
    elif args.command == "prompt":
        sys.stdout.write(toolbox.prompt)
        if args.tokens:
            from punie_core.plugins.prompt import estimate_tokens

            print(f"~{estimate_tokens(toolbox.prompt)} tokens", file=sys.stderr)
    elif args.name:
        try:
            skill = toolbox.skill(args.name)
        except LookupError as exc:
            print(f"punie: {exc.args[0]}", file=sys.stderr)
            return 1
        sys.stdout.write(skill.body.strip() + "\n")
    elif not toolbox.skills:
        print("no skills installed", file=sys.stderr)
    else:
        width = max(len(s.name) for s in toolbox.skills)
        for skill in toolbox.skills:
            description = " ".join(skill.description.split())
            print(f"{skill.name.ljust(width)}  ({skill.plugin})  {description}")
    return 0
