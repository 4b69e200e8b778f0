"""`punie eval`: run the eval tasks against a model through the real agent and sandbox.

Results go to `--out` as JSON (default `eval-results/<model>-<time>.json`) and to stdout as a
table. `punie eval --compare A.json B.json` shows two result files side by side.
`--reference` replays each task's reference solution through a scripted model server: every
task should pass, which checks the harness and the task set without a model.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument(
        "--model", "-m", help="model string (local, local:URL, mlx:MODEL, gguf:FILE, openai:...)"
    )
    parser.add_argument(
        "--tasks",
        metavar="IDS_OR_FOLDER",
        help="a subset: task ids or tags, comma-separated (count-todos,tests); or a tasks folder",
    )
    parser.add_argument(
        "--tasks-dir", type=Path, help="tasks folder (default: ./evals/tasks, else Punie's own)"
    )
    parser.add_argument(
        "--only", action="append", metavar="ID_OR_TAG", help="run only these tasks (repeatable)"
    )
    parser.add_argument(
        "--task-timeout",
        type=float,
        metavar="SECONDS",
        help="per-task time limit (default: each task's own, 180 s unless it says)",
    )
    parser.add_argument(
        "--out", type=Path, help="results JSON file (default: eval-results/MODEL-TIME.json)"
    )
    parser.add_argument(
        "--reference", action="store_true", help="replay the tasks' reference solutions (no model)"
    )
    parser.add_argument(
        "--traces", action="store_true", help="also write traces of the eval prompts"
    )
    parser.add_argument("--keep", type=Path, help="keep each task's project under this folder")
    parser.add_argument(
        "--json", action="store_true", help="print the results JSON instead of the table"
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("A.json", "B.json"),
        help="compare two result files",
    )


def run(args: argparse.Namespace) -> int:
    if args.compare:
        return compare(*args.compare)
    import asyncio

    from punie_core.flywheel.tasks import TaskError, default_tasks_dir, load_tasks

    folder, only = _task_selection(args)
    if args.task_timeout is not None and not args.task_timeout > 0:
        print("punie eval: --task-timeout must be a positive number of seconds", file=sys.stderr)
        return 2
    try:
        tasks = load_tasks(folder or default_tasks_dir(), only)
        if args.task_timeout is not None:
            import dataclasses

            tasks = [dataclasses.replace(t, timeout=args.task_timeout) for t in tasks]
    except TaskError as exc:
        print(f"punie eval: {exc}", file=sys.stderr)
        return 2
    if args.reference and args.model:
        print(
            "punie eval: --reference replays the reference solutions; drop --model", file=sys.stderr
        )
        return 2
    label = "reference" if args.reference else (args.model or "default")
    out = (
        args.out or Path("eval-results") / f"{_slug(label)}-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    )
    problem = _out_problem(out)
    if problem:
        print(f"punie eval: --out {out}: {problem}", file=sys.stderr)
        return 2
    try:
        results = asyncio.run(_evaluate(tasks, args, label))
    except KeyboardInterrupt:
        print("punie eval: interrupted", file=sys.stderr)
        return 130
    from punie_core.flywheel.report import render_results
    from punie_core.security.workspace import atomic_write_text

    results["tasks_dir"] = str((folder or default_tasks_dir()).resolve())
    written = True
    try:
        atomic_write_text(out, json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    except OSError as exc:  # the run is not lost: the results still print below
        print(f"punie eval: cannot write {out}: {exc}", file=sys.stderr)
        written = False
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
    else:
        print(render_results(results), end="")
    if not written:
        return 1
    print(f"results: {out}", file=sys.stderr)
    return 0


def _task_selection(args: argparse.Namespace) -> tuple[Path | None, list[str] | None]:
    """(tasks folder, ids/tags to keep) from --tasks, --tasks-dir and --only.

    `--tasks` is a folder when it names an existing directory or contains a path separator
    (the 0.1 meaning); otherwise it is a comma-separated subset of task ids or tags.
    """
    folder: Path | None = args.tasks_dir
    only = list(args.only or [])
    if args.tasks:
        if "," not in args.tasks and (
            "/" in args.tasks or args.tasks.startswith(".") or _is_dir(args.tasks)
        ):
            folder = Path(args.tasks)
        else:
            only += [part.strip() for part in args.tasks.split(",") if part.strip()]
    return folder, only or None


def _is_dir(text: str) -> bool:
    try:
        return Path(text).is_dir()
    except (OSError, ValueError):  # a name too long for the file system is no folder
        return False


def _out_problem(out: Path) -> str | None:
    """Why the results file cannot be written (checked before the run, not after it)."""
    if out.is_dir():
        return "is a directory; name a .json file"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create its folder: {exc.strerror or exc}"
    if not os.access(out.parent, os.W_OK):
        return "its folder is not writable"
    return None


async def _evaluate(tasks: list, args: argparse.Namespace, label: str) -> dict:
    import contextlib

    from punie_core.flywheel.evaluate import run_eval

    passed = 0

    def starting(task, index: int, total: int) -> None:
        print(f"[{index}/{total}] {task.id}: running ...", file=sys.stderr, flush=True)

    def progress(run, done: int, total: int) -> None:
        nonlocal passed
        passed += run.passed
        verdict = "pass" if run.passed else "FAIL"
        why = f"; {run.error[:120]}" if run.error else ""
        print(
            f"[{done}/{total}] {run.id}: {verdict} ({run.wall_s:.1f} s, {run.requests} requests, "
            f"{run.input_tokens} prompt tokens{why}) - {passed}/{done} passed so far",
            file=sys.stderr,
            flush=True,
        )

    with contextlib.ExitStack() as stack:
        model = args.model
        if args.reference:
            from punie_core.flywheel.reference import reference_script
            from punie_core.testing.scripted_model import ScriptedModelServer

            server = stack.enter_context(ScriptedModelServer(reference_script(tasks)))
            model = server.model_string
        try:
            return await run_eval(
                tasks,
                model,
                label=label,
                traces=args.traces,
                keep=args.keep,
                on_task=progress,
                on_start=starting,
            )
        finally:
            await _cleanup()


async def _cleanup() -> None:
    import contextlib

    if "punie_core.sandbox.runner" in sys.modules:
        from punie_core.sandbox.runner import shutdown_pool

        with contextlib.suppress(Exception):
            await shutdown_pool()
    if "punie_core.models.servers" in sys.modules:
        from punie_core.models.servers import release_all

        release_all()  # a managed server stays warm for its keep-alive, then stops itself


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.rsplit("/", 1)[-1]).strip("-")[:60] or "model"


def compare(a_path: Path, b_path: Path) -> int:
    from punie_core.flywheel.report import render_comparison

    try:
        a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (a_path, b_path))
        for path, data in ((a_path, a), (b_path, b)):
            if not isinstance(data, dict) or not isinstance(data.get("tasks"), list):
                raise TypeError(f"{path} is not a `punie eval` result file")
        print(render_comparison(a, b), end="")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = f"a key is missing: {exc}" if isinstance(exc, KeyError) else str(exc)
        print(f"punie eval --compare: cannot read the result files: {reason}", file=sys.stderr)
        return 2
    return 0
