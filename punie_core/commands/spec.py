"""`punie spec list|show|status|new|check`: the project's specs and context layers.

Exit status: 0 fine; 1 `status` found a failing or uncovered requirement, `check` found a
broken rule, `new` found the folder taken; 2 usage errors (no such feature, no spec at all,
a bad name).

Everything printed comes from files of the project (spec and context files, test ids), so it
goes through `punie_core.security.terminal`: escape sequences are shown, never obeyed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from punie_core.security.terminal import for_terminal, json_for_terminal


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    """Add `spec`'s actions."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION")

    def common(action: argparse.ArgumentParser, feature: bool = True) -> None:
        if feature:
            action.add_argument(
                "feature",
                nargs="?",
                metavar="FEATURE",
                help="a spec folder, its number or slug (default: the active one)",
            )
        action.add_argument("--json", action="store_true", help="print one JSON object")
        action.add_argument(
            "--cwd",
            metavar="DIR",
            default=".",
            help="project root (default: the current directory)",
        )

    common(
        sub.add_parser("list", help="context files of every layer and the spec folders"),
        feature=False,
    )
    common(
        sub.add_parser("show", help="a feature's requirements, criteria, tasks and open questions")
    )
    common(
        sub.add_parser(
            "status",
            help="run the tests: each requirement passing, failing or uncovered "
            "(exit 1 unless all pass)",
        )
    )
    new = sub.add_parser("new", help="write a new spec from the template of the layout in use")
    new.add_argument("name", metavar="NAME", help="what the feature is called, e.g. user-auth")
    common(new, feature=False)
    check = sub.add_parser(
        "check", help="check a plan or diff against the MUST/SHOULD rules (exit 1 if one is broken)"
    )
    check.add_argument("file", metavar="FILE|-", help="the plan or diff ('-' reads stdin)")
    common(check, feature=False)


def _fail(message: str, code: int = 2) -> int:
    print(for_terminal(f"punie spec: {message}"), file=sys.stderr)
    return code


def _emit(data: Any) -> None:
    print(json_for_terminal(data, indent=2))


def _say(text: str) -> None:
    """One line of text output, with every control character made visible."""
    print(for_terminal(text, newlines=False))


def run(args: argparse.Namespace) -> int:
    """Run one action; return the exit status."""
    if args.action is None:
        return _fail("usage: punie spec {list,show,status,new,check} ... (see punie spec --help)")
    root = Path(args.cwd)
    if not root.is_dir():
        return _fail(f"--cwd {args.cwd}: not a directory")
    root = root.resolve()
    from punie_core.specs.features import FeatureNotFound

    try:
        if args.action == "list":
            return list_action(root, args.json)
        if args.action == "show":
            return show_action(root, args.feature, args.json)
        if args.action == "status":
            return status_action(root, args.feature, args.json)
        if args.action == "new":
            return new_action(root, args.name, args.json)
        return check_action(root, args.file, args.json)
    except FeatureNotFound as exc:
        return _fail(str(exc.args[0]))


def list_action(root: Path, as_json: bool) -> int:
    from punie_core.specs.discovery import discover

    found = discover(root, strict=False)
    files = [e.file.model_dump(exclude={"text"}) for e in found.entries]
    active = found.feature.name if found.feature else None
    features = [
        {"name": f.name, "layout": f.layout, "path": f.relative, "active": f.name == active}
        for f in found.features
    ]
    if as_json:
        _emit(
            {
                "context": files,
                "features": features,
                "active": active,
                "chosen_by": found.chosen_by or None,
            }
        )
        return 0
    if not files and not features:
        _say("no context files or specs found (AGENTS.md, .specify/, agent-os/, .kiro/, specs/)")
        return 0
    for level in ("org", "project", "feature"):
        shown = [f for f in files if f["level"] == level]
        if not shown:
            continue
        _say(f"{level}:")
        for f in shown:
            scope = f" [{f['scope']}]" if f["scope"] else ""
            note = f"PROBLEM: {f['problem']}" if f["problem"] else f["description"]
            _say(f"  {f['name']}{scope}  ({f['source']}, {f['tokens']} tokens)  {note}".rstrip())
    if features:
        _say("features:")
        for f in features:
            mark = "*" if f["active"] else " "
            _say(f" {mark} {f['name']}  ({f['layout']}, {f['path']})")
        if active:
            _say(f"active: {active} (chosen by {found.chosen_by})")
    if found.problem:
        _say(f"note: {found.problem}")
    return 0


def _spec_or_fail(root: Path, feature: str | None) -> Any:
    from punie_core.specs.discovery import discover

    spec = discover(root, feature).spec()
    if spec is None:
        raise _NoSpec()
    return spec


class _NoSpec(Exception):
    pass


NO_SPEC = (
    "no spec folder here (specs/NNN-name, agent-os/specs/DATE-slug, .kiro/specs/NAME); "
    "`punie spec new NAME` writes one"
)


def show_action(root: Path, feature: str | None, as_json: bool) -> int:
    try:
        spec = _spec_or_fail(root, feature)
    except _NoSpec:
        return _fail(NO_SPEC)
    if as_json:
        _emit(spec.model_dump())
        return 0
    _say(f"feature {spec.feature} ({spec.layout}, {spec.path})")
    sections = [
        ("requirements", [f"{r.id}: {r.text}" for r in spec.requirements]),
        ("success criteria", [f"{c.id}: {c.text}" for c in spec.criteria]),
        (
            "tasks",
            [
                f"[{'x' if t.done else ' '}] {t.id} {t.text}"
                + (f"  ({', '.join(t.requirement_ids)})" if t.requirement_ids else "")
                for t in spec.tasks
            ],
        ),
        ("open questions", spec.open_questions),
        ("problems", spec.findings),
    ]
    for title, items in sections:
        if items:
            print()
            _say(f"{title}:")
            for item in items:
                _say(f"  {item}")
    return 0


def status_action(root: Path, feature: str | None, as_json: bool) -> int:
    import asyncio

    from punie_core.plugins.context import ToolContext, using_context
    from punie_core.plugins.loader import load_toolbox, warn_failures

    try:
        _spec_or_fail(root, feature)
    except _NoSpec:
        return _fail(NO_SPEC)
    toolbox = load_toolbox()
    warn_failures(toolbox)
    # Asking for the status is asking to run the tests: approve pytest_run (never a sensitive
    # write: AutoApprove refuses those).
    context = ToolContext.local(root, yes=True)

    async def status() -> Any:
        with using_context(context):
            return await toolbox.call("spec_status", kwargs={"feature": feature})

    try:
        result = asyncio.run(status())
    except LookupError as exc:
        return _fail(str(exc).strip("'\""), 1)
    if as_json:
        _emit(result.model_dump())
    else:
        _say(
            f"feature {result.feature}: {result.passing} passing, {result.failing} failing, "
            f"{result.uncovered} uncovered; tasks {result.tasks_done}/{result.tasks_total} done"
        )
        for item in result.requirements:
            tests = ", ".join(item.tests[:3]) + (
                f" (+{len(item.tests) - 3})" if len(item.tests) > 3 else ""
            )
            _say(f"  {item.status:9}  {item.id}  {tests}".rstrip())
        for finding in result.findings:
            _say(f"  problem: {finding}")
    return 1 if result.failing or result.uncovered else 0


def new_action(root: Path, name: str, as_json: bool) -> int:
    from punie_core.specs.new import new_spec

    try:
        folder, files = new_spec(root, name)
    except ValueError as exc:
        return _fail(str(exc))
    except FileExistsError as exc:
        return _fail(str(exc), 1)
    relative = [p.relative_to(root).as_posix() for p in files]
    if as_json:
        _emit(
            {"feature": folder.name, "path": folder.relative_to(root).as_posix(), "files": relative}
        )
    else:
        _say(
            f"wrote {folder.relative_to(root).as_posix()}/: "
            + ", ".join(p.rsplit("/", 1)[-1] for p in relative)
        )
    return 0


def check_action(root: Path, file: str, as_json: bool) -> int:
    from punie_core.specs.discovery import discover
    from punie_core.specs.rules import check

    if file == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            return _fail(f"cannot read {file}: {exc}")
    violations = check(text, discover(root, strict=False).entries)
    if as_json:
        _emit({"violations": [v.model_dump() for v in violations]})
    else:
        for v in violations:
            _say(f"{v.path}:{v.line}: {v.level}: {v.rule}")
            _say(f"    broken by: {v.match}")
        if not violations:
            _say("no rule broken")
    return 1 if violations else 0
