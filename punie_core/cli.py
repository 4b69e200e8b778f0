"""`punie`: the command line. Each command lives in its own module, imported only when it runs.

The top-level parser knows only command names and one-line help, so `punie --help` starts
without importing pydantic-ai, Monty, libcst or the ACP SDK.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from punie_core.commands import version

COMMANDS: dict[str, tuple[str, str]] = {
    "serve": (
        "punie_core.commands.serve",
        "run the ACP agent on stdio (with the web UI on loopback)",
    ),
    "init": (
        "punie_core.commands.init",
        "configure PyCharm (~/.jetbrains/acp.json) or print Zed's settings",
    ),
    "run": ("punie_core.commands.run", "answer one prompt headlessly in the current project"),
    "exec": ("punie_core.commands.exec", "run Code Mode code in the sandbox with every tool"),
    "check": ("punie_core.commands.check", "run every plugin's validators on files"),
    "plugins": (
        "punie_core.commands.plugins",
        "list installed plugins, what each adds, what failed",
    ),
    "stubs": ("punie_core.commands.introspect", "print the tool stub module the model is shown"),
    "prompt": ("punie_core.commands.introspect", "print the full system prompt"),
    "skills": ("punie_core.commands.introspect", "list the skills the model can load"),
    "mcp": (
        "punie_core.commands.mcp",
        "list the configured MCP servers and their tools; trust .mcp.json",
    ),
    "spec": (
        "punie_core.commands.spec",
        "the project's specs and context layers: list, show, status, new, check",
    ),
    "tools": (
        "punie_core.commands.tools",
        "the project's model-written tools: list, show, promote, remove",
    ),
    "traces": ("punie_core.commands.traces", "inspect and export training traces"),
    "train": ("punie_core.commands.train", "fine-tune a model on exported traces (LoRA, mlx-lm)"),
    "eval": ("punie_core.commands.eval", "evaluate a model on tasks that run the tools"),
    "models": (
        "punie_core.commands.models",
        "list the real models Punie installs from PyPI (gguf:NAME) and their state",
    ),
    "servers": (
        "punie_core.commands.servers",
        "list the model servers Punie keeps warm; stop them",
    ),
}


class LazyVersion(argparse.Action):
    """`--version` that looks the version up only when asked (importlib.metadata imports slowly)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        print(f"punie {version()}")
        parser.exit()


def build_parser(command: str | None) -> argparse.ArgumentParser:
    """The parser; only `command`'s module is imported to add its arguments."""
    parser = argparse.ArgumentParser(
        prog="punie",
        description="Punie: a small, fast coding agent for Python web developers on local models.",
    )
    parser.add_argument(
        "--version", action=LazyVersion, nargs=0, help="show punie's version and exit"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == command:
            module = importlib.import_module(module_name)
            module.add_arguments(command_parser, name)
            parser.set_defaults(command_parser=command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `punie` console script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    if command not in COMMANDS:
        command = None
    parser = build_parser(command)
    args, unknown = parser.parse_known_args(args_list)
    if unknown:
        # Name the command in the error, with its own usage line, not the top level's.
        owner = getattr(args, "command_parser", None) or parser
        owner.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is None:
        parser.print_help()
        return 2
    module = importlib.import_module(COMMANDS[args.command][0])
    try:
        if args.command == "serve":  # claims fds 0 and 1 for ACP frames itself (claim_stdio)
            return int(module.run(args) or 0)
        from punie_core.plugins.isolation import private_stdout

        # Plugin code and child processes writing to fd 1 must not corrupt `--json` output.
        with private_stdout():
            return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("punie: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`punie check . | head`): stop quietly, as other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
