"""Eval results as readable tables: one run, or two runs side by side."""

from __future__ import annotations

from typing import Any


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _num(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


SUMMARY_ROWS = (
    ("pass rate", lambda s: _pct(s["pass_rate"]) + f" ({s['passed']}/{s['tasks']})"),
    ("tool-vs-direct accuracy", lambda s: _pct(s["discrimination"]["accuracy"])),
    ("  tools when needed", lambda s: _pct(s["discrimination"]["tools_when_needed"])),
    ("  direct when enough", lambda s: _pct(s["discrimination"]["direct_when_enough"])),
    ("field-access rate", lambda s: _pct(s["field_access_rate"])),
    ("retries per task", lambda s: _num(s["retries_per_task"], 2)),
    ("requests per task", lambda s: _num(s["requests_per_task"], 2)),
    ("input tokens per task", lambda s: _num(s["input_tokens_per_task"], 0)),
    ("output tokens per task", lambda s: _num(s["output_tokens_per_task"], 0)),
    ("wall time", lambda s: f"{s['wall_s']:.1f} s ({_num(s['wall_s_per_task'], 2)} s per task)"),
    ("model errors", lambda s: str(s["errors"])),
)


def render_results(results: dict[str, Any]) -> str:
    """The per-task table and the summary of one run."""
    rows = [
        [
            "TASK",
            "RESULT",
            "EXPECTS",
            "USED TOOLS",
            "RETRIES",
            "REQ",
            "TOKENS IN/OUT",
            "SECONDS",
            "FAILED CHECK",
        ]
    ]
    for task in results["tasks"]:
        failed = next((c for c in task["checks"] if not c["ok"]), None)
        note = f"{failed['kind']}: {failed['detail']}" if failed else ""
        if task.get("error") and not note:
            note = task["error"]
        rows.append(
            [
                task["id"],
                "pass" if task["passed"] else "FAIL",
                task["expects"],
                "yes" if task["used_tools"] else "no",
                str(task["retries"]),
                str(task["requests"]),
                f"{task['input_tokens']}/{task['output_tokens']}",
                f"{task['wall_s']:.1f}",
                " ".join(note.split())[:70],
            ]
        )
    lines = [f"model: {results['model']}  ({results['started']})", "", *_table(rows), ""]
    summary = results["summary"]
    lines.extend(_table([[name, fn(summary)] for name, fn in SUMMARY_ROWS]))
    return "\n".join(lines) + "\n"


def render_comparison(a: dict[str, Any], b: dict[str, Any]) -> str:
    """Two runs side by side: the summary, then every task whose result differs."""
    rows = [["", f"A: {a['model']}", f"B: {b['model']}"]]
    rows.extend([name, fn(a["summary"]), fn(b["summary"])] for name, fn in SUMMARY_ROWS)
    lines = _table(rows)
    by_id_a = {t["id"]: t for t in a["tasks"]}
    by_id_b = {t["id"]: t for t in b["tasks"]}
    task_rows = [["TASK", "A", "B"]]
    for task_id in sorted(set(by_id_a) | set(by_id_b)):
        left, right = by_id_a.get(task_id), by_id_b.get(task_id)

        def cell(task: dict[str, Any] | None) -> str:
            if task is None:
                return "-"
            return ("pass" if task["passed"] else "FAIL") + (
                " (tools)" if task["used_tools"] else " (direct)"
            )

        if cell(left) != cell(right):
            task_rows.append([task_id, cell(left), cell(right)])
    lines.append("")
    if len(task_rows) > 1:
        lines.append("tasks that differ:")
        lines.extend(_table(task_rows))
    else:
        lines.append("every task has the same result in both runs")
    return "\n".join(lines) + "\n"
