"""`punie traces stats|show|export`: inspect collected traces and turn them into training data."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    paths_help = "trace files or folders (default: $PUNIE_HOME/traces)"

    stats = sub.add_parser("stats", help="counts, validation pass rate, retries, field-access rate")
    stats.add_argument("paths", nargs="*", help=paths_help)
    stats.add_argument("--json", action="store_true", help="print one JSON object")

    show = sub.add_parser("show", help="print one trace")
    show.add_argument("id", help="the trace id (a unique prefix is enough)")
    show.add_argument("paths", nargs="*", help=paths_help)
    show.add_argument("--json", action="store_true", help="print the raw record")

    export = sub.add_parser(
        "export", help="write mlx-lm training data: DIR/{train,valid,test}.jsonl"
    )
    export.add_argument("paths", nargs="*", help=paths_help)
    export.add_argument(
        "--format",
        choices=("tools", "chat", "blocks"),
        default="tools",
        help="mlx-lm dataset format (default tools; blocks: as Punie prompts small models)",
    )
    export.add_argument("--out", required=True, type=Path, help="output folder")
    export.add_argument("--all", action="store_true", help="include traces that were not validated")
    export.add_argument(
        "--seed", type=int, default=0, help="seed of the train/valid/test split (default 0)"
    )
    export.add_argument(
        "--no-negatives", action="store_true", help="leave out error-then-fix examples"
    )
    export.add_argument(
        "--arguments",
        choices=("string", "object"),
        default="string",
        help="tool call arguments as a JSON string (OpenAI, default) or an object "
        "(Qwen2.5-style templates)",
    )
    export.add_argument(
        "--feature",
        metavar="FEATURE",
        help="only traces recorded while this spec feature was active (name, number or slug)",
    )
    export.add_argument("--json", action="store_true", help="print the export report as JSON")


def run(args: argparse.Namespace) -> int:
    if args.action is None:
        print(
            "usage: punie traces {stats,show,export} ... (see punie traces --help)", file=sys.stderr
        )
        return 2
    from punie_core.flywheel.sources import iter_traces, trace_files

    try:
        files = trace_files(args.paths)
    except FileNotFoundError as exc:
        print(f"punie traces: {exc}", file=sys.stderr)
        return 2
    import warnings

    with warnings.catch_warnings():
        # A torn trace line is worth one readable line on stderr, not a Python warning dump.
        warnings.showwarning = _show_warning
        return _act(args, files, iter_traces)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: Any = None,
) -> None:
    print(f"punie traces: warning: {message}", file=sys.stderr)


def _act(args: argparse.Namespace, files: list[Path], iter_traces: Any) -> int:
    if args.action == "stats":
        from punie_core.flywheel import stats

        data = stats.compute(iter_traces(files)).as_dict()
        print(
            json.dumps(data, indent=2) if args.json else stats.render(data),
            end="\n" if args.json else "",
        )
        return 0
    if args.action == "show":
        return show(args.id, iter_traces(files), as_json=args.json)
    return export(args, iter_traces(files))


def show(trace_id: str, traces: Any, *, as_json: bool) -> int:
    matches = [t for t in traces if str(t.get("id", "")).startswith(trace_id)]
    exact = [t for t in matches if t.get("id") == trace_id]
    matches = exact or matches
    if not matches:
        print(f"punie traces: no trace with id {trace_id!r}", file=sys.stderr)
        return 1
    if len(matches) > 1:
        ids = ", ".join(str(t.get("id")) for t in matches[:10])
        print(
            f"punie traces: {trace_id!r} matches {len(matches)} traces ({ids}); "
            "give more of the id",
            file=sys.stderr,
        )
        return 1
    trace = matches[0]
    if as_json:
        print(json.dumps(trace, indent=2, ensure_ascii=False))
        return 0
    print(render_trace(trace), end="")
    return 0


def render_trace(trace: dict[str, Any]) -> str:
    """One trace for people: header, prompt, each message and snippet, validation, answer."""
    from punie_core.flywheel.integrity import validation_failures

    usage = trace.get("usage") or {}
    timings = trace.get("timings") or {}
    failures = validation_failures(trace)
    lines = [
        f"trace {trace.get('id')}  session {trace.get('session_id')}",
        f"model {trace.get('model')}  outcome {trace.get('outcome')}  "
        f"retries {trace.get('retries', 0)}",
        f"started {trace.get('started')}  total {timings.get('total_ms', '?')} ms  "
        f"requests {usage.get('requests', '?')}  tokens {usage.get('input_tokens', '?')} in / "
        f"{usage.get('output_tokens', '?')} out",
        f"cwd {trace.get('cwd')}",
        f"validated: {'yes' if not failures else 'no (' + '; '.join(failures) + ')'}",
        "",
        f"> {trace.get('query', '')}",
        "",
    ]
    for message in trace.get("messages") or []:
        role = message.get("role")
        if role == "system":
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if role == "user" and content == trace.get("query"):
            continue  # shown above as the prompt
        if content:
            lines.append(f"[{role}] {_clip(str(content))}")
        for call in message.get("tool_calls") or []:
            function = call.get("function", {})
            arguments = function.get("arguments", "")
            try:
                parsed = json.loads(arguments) if isinstance(arguments, str) else arguments
            except json.JSONDecodeError:
                parsed = arguments
            if (
                function.get("name") == "execute_code"
                and isinstance(parsed, dict)
                and "code" in parsed
            ):
                lines.append(f"[{role} -> execute_code]")
                lines.extend("    " + line for line in str(parsed["code"]).splitlines())
            else:
                lines.append(f"[{role} -> {function.get('name')}] {_clip(json.dumps(parsed))}")
    findings = (trace.get("validation") or {}).get("findings") or []
    if findings:
        lines.append("")
        lines.append(f"validation findings ({len(findings)}):")
        for finding in findings[:20]:
            if isinstance(finding, dict):
                lines.append(
                    f"  {finding.get('path')}:{finding.get('line')}: "
                    f"{finding.get('rule')} {finding.get('message')}"
                )
            else:
                lines.append(f"  {finding}")
    if trace.get("output"):
        lines.append("")
        lines.append(f"answer: {_clip(str(trace['output']), 2000)}")
    return "\n".join(lines) + "\n"


def _clip(text: str, limit: int = 600) -> str:
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more characters]"


def export(args: argparse.Namespace, traces: Any) -> int:
    from punie_core.flywheel.export import ExportOptions
    from punie_core.flywheel.export import export as run_export

    options = ExportOptions(
        format=args.format,
        include_all=args.all,
        negatives=not args.no_negatives,
        seed=args.seed,
        arguments=args.arguments,
        feature=args.feature,
    )
    try:
        report = run_export(traces, args.out, options)
    except OSError as exc:
        print(f"punie traces export: cannot write {args.out}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        counts = ", ".join(f"{name} {count}" for name, count in report.examples.items())
        print(f"read {report.traces} traces, exported {report.exported_traces}: {counts} examples")
        if report.kinds:
            print("examples by kind: " + ", ".join(f"{k} {v}" for k, v in report.kinds.items()))
        if report.skipped:
            print("skipped traces: " + ", ".join(f"{k} {v}" for k, v in report.skipped.items()))
        written = ", ".join(Path(path).name for path in report.files.values()) or "nothing"
        print(f"wrote {written} to {args.out} ({args.format} format; empty splits have no file)")
    if not report.examples["train"]:
        print(
            "punie traces export: no training examples"
            + ("" if args.all else " (only validated traces count; --all includes the rest)"),
            file=sys.stderr,
        )
        return 1
    return 0
