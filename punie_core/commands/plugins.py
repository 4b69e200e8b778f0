"""`punie plugins`: what is installed, what each plugin adds, and why any is excluded."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--verbose", "-v", action="store_true", help="list every name each plugin adds")


def run(args: argparse.Namespace) -> int:
    from punie_core.cli import version
    from punie_core.plugins import load_toolbox

    toolbox = load_toolbox()
    if args.json:
        payload = {"punie": version(), "plugins": [info.as_dict() for info in toolbox.plugins]}
        print(json.dumps(payload, indent=2))
        return 0
    rows = [("NAME", "DISTRIBUTION", "VERSION", "STATUS", "ADDS / ERROR")]
    for info in toolbox.plugins:
        if info.status == "active":
            adds = ", ".join(
                f"{len(info.names(kind))} {kind if len(info.names(kind)) != 1 else kind[:-1]}"
                for kind in ("tools", "nouns", "skills", "validators")
                if info.names(kind)
            )
        else:
            adds = info.error or ""
        rows.append((info.name, info.distribution, info.version, info.status, adds))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4])
        if args.verbose and row[0] != "NAME":
            info = next(i for i in toolbox.plugins if i.name == row[0])
            for kind in ("tools", "nouns", "skills", "validators"):
                if info.names(kind):
                    print(f"    {kind}: {', '.join(info.names(kind))}")
    return 0
