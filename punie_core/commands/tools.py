"""`punie tools`: the project's library of model-written tools and the drafts waiting for it.

punie tools list [--json]                 library tools and drafts, with use counts
punie tools show NAME [--version N] [--json]   source, tests and checks
punie tools promote NAME [--yes]          keep a checked draft in the library (asks first)
punie tools remove NAME [--version N]     remove a draft or a version (the previous one
                                          becomes active: a rollback)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from punie_core.security.terminal import for_terminal
from punie_core.toolmaking.library import Library, LibraryError
from punie_core.toolmaking.nouns import LibraryTool


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """Options of `punie tools`."""
    parser.add_argument("--cwd", default=".", help="the project (default: the current directory)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="library tools and drafts, with use counts")
    listing.add_argument("--json", action="store_true", help="print one JSON object")
    show = actions.add_parser("show", help="a tool's source, tests and checks")
    show.add_argument("name")
    show.add_argument("--version", type=int, help="a library version (default: the active one)")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    promote = actions.add_parser("promote", help="keep a checked draft in the project library")
    promote.add_argument("name")
    promote.add_argument("--yes", action="store_true", help="do not ask (you have read it)")
    remove = actions.add_parser("remove", help="remove a draft, or a library version")
    remove.add_argument("name")
    remove.add_argument("--version", type=int, help="the version (default: the active one)")


def run(args: argparse.Namespace) -> int:
    """Run one action; exit 1 when it cannot be done (the reason goes to stderr)."""
    library = Library(Path(args.cwd).resolve())
    try:
        if args.action == "list":
            return _list(library, args.json)
        if args.action == "show":
            return _show(library, args.name, args.version, args.json)
        if args.action == "promote":
            return _promote(library, args.name, args.yes)
        print(library.remove(args.name, args.version))
        return 0
    except LibraryError as exc:
        print(f"punie tools: {exc}", file=sys.stderr)
        return 1


def _list(library: Library, as_json: bool) -> int:
    entries = library.entries()
    if as_json:
        payload = {"tools": [e.model_dump() for e in entries]}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return 0
    if not entries:
        print("no model-written tools in this project (the model makes them with make_tool)")
        return 0
    for entry in entries:
        print(for_terminal(line(entry)))
    return 0


def line(entry: LibraryTool) -> str:
    """One entry as a line of text."""
    use = f"{entry.calls} calls, {entry.failures} failed" if entry.status == "library" else ""
    parts = [f"{entry.name} v{entry.version}", entry.status, entry.signature, use]
    return "  ".join(p for p in parts if p) + (
        f"\n    {entry.description}" if entry.description else ""
    )


def _show(library: Library, name: str, version: int | None, as_json: bool) -> int:
    drafts = {d.name: d for d in library.drafts()}
    if name in drafts and version is None and name not in library.manifest()["tools"]:
        data = drafts[name].to_json() | {"status": "draft"}
    else:
        found = library.read_version(name, version)
        tests_path = library.source_path(name, found.version).with_name(
            f"v{found.version}.tests.json"
        )
        tests = json.loads(tests_path.read_text(encoding="utf-8")) if tests_path.exists() else []
        entry = next(e for e in library.entries() if e.name == name and e.status != "draft")
        data = entry.model_dump() | {
            "version": found.version,
            "source": found.source,
            "tests": tests,
        }
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return 0
    print(for_terminal(f"{data['name']} v{data['version']} ({data['status']})"))
    print(for_terminal(data["source"].rstrip()))
    for number, test in enumerate(data.get("tests", []), 1):
        print(for_terminal(f"# test {number}\n{test}"))
    for check in data.get("checks", []):
        status = "ok" if check["ok"] else "FAILED"
        print(for_terminal(f"# {check['kind']}: {status} {check['message']}"))
    return 0


def _promote(library: Library, name: str, yes: bool) -> int:
    draft = library.draft(name)
    if not yes:
        print(for_terminal(draft.source.rstrip()))
        for check in draft.checks:
            status = "ok" if check.ok else "FAILED"
            print(for_terminal(f"# {check.kind}: {status} {check.message}"))
        if not sys.stdin.isatty():
            print(
                "punie tools: not promoted: run with --yes, or answer in a terminal",
                file=sys.stderr,
            )
            return 1
        answer = input(f"keep {name} v{draft.version} in .punie/tools/? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not promoted")
            return 1
    entry = library.promote(name)
    print(for_terminal(f"promoted {entry.name} v{entry.version} into .punie/tools/"))
    return 0
