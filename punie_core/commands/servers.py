"""`punie servers`: the model servers Punie started and keeps warm; stop them.

punie servers [--json]           list them: model, port, pid, in use or idle, keep-alive
punie servers stop KEY|MODEL     stop one (its key, or a model path/name it serves)
punie servers stop --all         stop every one
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("action", nargs="?", choices=["list", "stop"], default="list")
    parser.add_argument("which", nargs="?", help="with stop: a server key, or the model it serves")
    parser.add_argument("--all", action="store_true", help="with stop: stop every server")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    from punie_core.models.servers import running_servers, stop_server

    found = running_servers()
    if args.action == "stop":
        if args.all == bool(args.which):
            print(
                "punie servers stop: name one server (KEY or MODEL) or pass --all", file=sys.stderr
            )
            return 2
        chosen = found if args.all else [s for s in found if _matches(s, args.which)]
        if not chosen and not args.all:
            print(f"punie servers stop: no running server matches {args.which!r}", file=sys.stderr)
            return 1
        for server in chosen:
            stop_server(server["key"])
            print(f"stopped {server['key']} ({server['target']}, pid {server['pid']})")
        return 0
    if args.json:
        print(json.dumps({"servers": found}, indent=2))
        return 0
    if not found:
        print("no model servers running")
        return 0
    for server in found:
        use = "in use" if server["in_use"] else f"idle {server['idle_s']:.0f} s"
        print(
            f"{server['key']}  {server['kind']} {server['target']}\n"
            f"    http://127.0.0.1:{server['port']}/v1  pid {server['pid']}  {use}, "
            f"keep-alive {server['keep_alive']:g} s  log {server['log']}"
        )
    return 0


def _matches(server: dict, which: str) -> bool:
    from pathlib import Path

    return which in (server["key"], server["target"], Path(server["target"]).name) or (
        which.removeprefix("gguf:") in Path(server["target"]).name
    )
