"""`punie plugins`: what is installed, what each plugin adds, and why any is excluded."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from punie_core.security.terminal import for_terminal
from punie_core.toolmaking.library import Library

if TYPE_CHECKING:
    from punie_core.plugins.records import PluginInfo

KINDS = ("tools", "nouns", "skills", "validators", "vocabulary")
SINGULAR = {
    "tools": "tool",
    "nouns": "noun",
    "skills": "skill",
    "validators": "validator",
    "vocabulary": "term",
}


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """Options of `punie plugins`."""
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="list every name each plugin adds"
    )


def summary(info: PluginInfo) -> str:
    """What an active plugin adds (`3 tools, 1 skill`), or why it is not active."""
    if info.status != "active":
        return info.error or ""
    counts = []
    for kind in KINDS:
        count = len(info.records.get(kind, []))
        if count:
            plural = "terms" if kind == "vocabulary" else kind
            counts.append(f"{count} {SINGULAR[kind] if count == 1 else plural}")
    return ", ".join(counts) or "nothing"


def table(plugins: tuple[PluginInfo, ...], verbose: bool) -> str:
    """The plugin list as aligned text columns."""
    rows = [("NAME", "DISTRIBUTION", "VERSION", "STATUS", "ADDS / ERROR")]
    rows += [(i.name, i.distribution, i.version, i.status, summary(i)) for i in plugins]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for index, row in enumerate(rows):
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
            + "  "
            + row[4]
        )
        info = plugins[index - 1] if index else None
        if verbose and info is not None:
            for kind in KINDS:
                if info.names(kind):
                    lines.append(f"    {kind}: {', '.join(info.names(kind))}")
            if info.hooks:
                lines.append(f"    hooks: {', '.join(info.hooks)}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Print the plugin report; broken plugins are in it, so they are not repeated on stderr."""
    import sys

    from punie_core.commands import version
    from punie_core.plugins.loader import load_toolbox

    toolbox = load_toolbox()
    # The project's model-written tools (`punie tools`): not a plugin, but part of the toolbox.
    library = Library(Path.cwd()).entries()
    if args.json:
        payload = {
            "punie": version(),
            "plugins": [info.as_dict() for info in toolbox.plugins],
            "library": [entry.model_dump() for entry in library],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        sys.stdout.write(table(toolbox.plugins, args.verbose))
        if library:
            names = ", ".join(f"{e.name} v{e.version} ({e.status})" for e in library)
            sys.stdout.write(f"\nproject library (punie tools): {for_terminal(names)}\n")
    return 0
