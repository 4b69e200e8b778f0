"""`punie check PATH... [--json] [--fix]`: run every plugin's validators on files.

Exit status: 0 when clean, 1 when there are findings, 2 on usage errors (a missing path,
an unknown layer). `--json` prints exactly `{"files": int, "fixed": int, "findings": [...]}`.
"""

from __future__ import annotations

import argparse
import json
import sys

from punie_core.plugins.records import LAYERS


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to check")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--fix", action="store_true", help="apply safe auto-fixes and write the files back"
    )
    parser.add_argument(
        "--layers",
        default=",".join(LAYERS),
        metavar="LIST",
        help=f"comma-separated layers to run (default: all of {','.join(LAYERS)}; "
        "the syntax gate always runs)",
    )


def run(args: argparse.Namespace) -> int:
    from punie_core.plugins.loader import load_toolbox, warn_failures
    from punie_core.validation.files import UsageError
    from punie_core.validation.pipeline import check_paths, format_finding

    layers = [layer.strip() for layer in args.layers.split(",") if layer.strip()]
    unknown = sorted(set(layers) - set(LAYERS))
    if unknown:
        print(
            f"punie check: unknown layer(s) {', '.join(unknown)}; known: {', '.join(LAYERS)}",
            file=sys.stderr,
        )
        return 2
    toolbox = load_toolbox()
    warn_failures(toolbox)
    try:
        report = check_paths(args.paths, toolbox, fix=args.fix, layers=layers)
    except UsageError as exc:
        print(f"punie check: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        from punie_core.security.terminal import for_terminal

        for finding in report.findings:
            # Messages quote the checked files' text: on a terminal, no control sequence runs.
            line = format_finding(finding)
            print(for_terminal(line) if sys.stdout.isatty() else line)
        print(_summary(report.files, report.fixed, report.findings, args.fix))
    return 1 if report.findings else 0


def _summary(files: int, fixed: int, findings: list, fixing: bool) -> str:
    checked = f"{files} file{'s' if files != 1 else ''} checked"
    parts = [checked]
    if fixed:
        parts.append(f"{fixed} fixed")
    if not findings:
        parts.append("no findings")
        return ", ".join(parts) + "."
    count = len(findings)
    parts.append(f"{count} finding{'s' if count != 1 else ''}")
    fixable = sum(1 for f in findings if f.fixable)
    if fixable and not fixing:
        parts.append(f"{fixable} fixable with --fix")
    return ", ".join(parts) + "."
