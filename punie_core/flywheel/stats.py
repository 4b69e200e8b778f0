"""`punie traces stats`: what the collected traces hold, computed in one streaming pass."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from punie_core.flywheel.fields import ResultTypes, analyze
from punie_core.flywheel.integrity import validation_failures
from punie_core.flywheel.turns import mapping


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class TraceStats:
    """Counters over many traces (constant memory: one trace at a time)."""

    traces: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    models: Counter[str] = field(default_factory=Counter)
    tool_calls: Counter[str] = field(default_factory=Counter)
    tool_failures: Counter[str] = field(default_factory=Counter)
    snippets: int = 0
    snippets_failed: int = 0
    validation_passed: int = 0
    validated: int = 0
    tampered: int = 0
    retries: int = 0
    retried_prompts: int = 0
    max_retries: int = 0
    field_reading: int = 0
    field_counted: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    total_ms: float = 0.0
    tools_made: Counter[str] = field(default_factory=Counter)
    drafts_rejected: Counter[str] = field(default_factory=Counter)
    made_tool_calls: Counter[str] = field(default_factory=Counter)
    made_tool_failures: Counter[str] = field(default_factory=Counter)
    made_tool_sessions: dict[str, set[str]] = field(default_factory=dict)

    def add(self, trace: dict[str, Any], types: ResultTypes) -> None:
        """Count one trace."""
        self.traces += 1
        self.outcomes[str(trace.get("outcome") or "unknown")] += 1
        self.models[str(trace.get("model") or "unknown")] += 1
        for call in trace.get("tool_calls") or []:
            if isinstance(call, dict):
                name = str(call.get("tool") or "unknown")
                self.tool_calls[name] += 1
                if not call.get("ok"):
                    self.tool_failures[name] += 1
        for snippet in trace.get("snippets") or []:
            if not isinstance(snippet, dict):
                continue
            self.snippets += 1
            result = mapping(snippet.get("result"))
            if result.get("ok") is False or result.get("error"):
                self.snippets_failed += 1
            code = snippet.get("code")
            if isinstance(code, str):
                access = analyze(code, types)
                if access.counts:
                    self.field_counted += 1
                    self.field_reading += access.reads_fields
        self.validation_passed += trace.get("validation_passed") is True
        failures = validation_failures(trace)
        self.validated += not failures
        self.tampered += any(reason.startswith("tests weakened") for reason in failures)
        retries = int(trace.get("retries") or 0)
        self.retries += retries
        self.retried_prompts += retries > 0
        self.max_retries = max(self.max_retries, retries)
        usage = mapping(trace.get("usage"))
        self.input_tokens += int(usage.get("input_tokens") or 0)
        self.output_tokens += int(usage.get("output_tokens") or 0)
        self.requests += int(usage.get("requests") or 0)
        timings = mapping(trace.get("timings"))
        self.total_ms += float(timings.get("total_ms") or 0.0)
        self._add_made_tools(trace)

    def _add_made_tools(self, trace: dict[str, Any]) -> None:
        """Model-written tools made (or rejected) and reused: whether making tools pays."""
        for made in trace.get("made_tools") or []:
            if isinstance(made, dict) and isinstance(made.get("name"), str):
                counter = self.tools_made if made.get("ok") else self.drafts_rejected
                counter[made["name"]] += 1
        session = str(trace.get("session_id") or trace.get("id") or "")
        for name, usage in mapping(trace.get("made_tool_calls")).items():
            usage = mapping(usage)
            self.made_tool_calls[name] += int(usage.get("calls") or 0)
            self.made_tool_failures[name] += int(usage.get("failures") or 0)
            self.made_tool_sessions.setdefault(name, set()).add(session)

    def as_dict(self) -> dict[str, Any]:
        """The `--json` shape."""
        n = self.traces
        return {
            "traces": n,
            "outcomes": dict(self.outcomes.most_common()),
            "models": dict(self.models.most_common()),
            "tools": {
                name: {"calls": count, "failed": self.tool_failures[name]}
                for name, count in self.tool_calls.most_common()
            },
            "snippets": {"total": self.snippets, "failed": self.snippets_failed},
            "validation": {
                "passed": self.validation_passed,
                "validated": self.validated,
                "tampered_tests": self.tampered,
                "pass_rate": _rate(self.validated, n),
            },
            "retries": {
                "total": self.retries,
                "per_prompt": _rate(self.retries, n),
                "prompts_with_retries": self.retried_prompts,
                "max": self.max_retries,
            },
            "field_access": {
                "snippets_reading_fields": self.field_reading,
                "snippets_with_typed_results": self.field_counted,
                "rate": _rate(self.field_reading, self.field_counted),
            },
            "usage": {
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "requests": self.requests,
                "requests_per_prompt": _rate(self.requests, n),
            },
            "mean_prompt_ms": round(self.total_ms / n, 1) if n else None,
            "made_tools": {
                name: {
                    "made": self.tools_made[name],
                    "rejected": self.drafts_rejected[name],
                    "calls": self.made_tool_calls[name],
                    "sessions": len(self.made_tool_sessions.get(name, ())),
                    "failures": self.made_tool_failures[name],
                }
                for name in sorted(
                    set(self.tools_made) | set(self.drafts_rejected) | set(self.made_tool_calls)
                )
            },
        }


def compute(traces: Iterable[dict[str, Any]], types: ResultTypes | None = None) -> TraceStats:
    """Stats over traces (read one at a time)."""
    types = types or ResultTypes.installed()
    stats = TraceStats()
    for trace in traces:
        stats.add(trace, types)
    return stats


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def render(data: dict[str, Any]) -> str:
    """The readable report."""
    lines = [f"traces: {data['traces']}"]
    if not data["traces"]:
        return lines[0] + " (run `punie run` or use Punie in the IDE to collect some)\n"
    v, r, f, u = data["validation"], data["retries"], data["field_access"], data["usage"]
    lines.append(
        f"validated: {v['validated']} ({_percent(v['pass_rate'])}); host passed {v['passed']}, "
        f"tampered with tests {v['tampered_tests']}"
    )
    lines.append(
        f"retries per prompt: {r['per_prompt']} "
        f"(prompts with retries {r['prompts_with_retries']}, max {r['max']})"
    )
    lines.append(
        f"field access: {_percent(f['rate'])} of {f['snippets_with_typed_results']} "
        "snippets with typed results"
    )
    lines.append(f"snippets: {data['snippets']['total']} ({data['snippets']['failed']} failed)")
    lines.append(
        f"usage: {u['requests']} requests ({u['requests_per_prompt']} per prompt), "
        f"{u['input_tokens']} input / {u['output_tokens']} output tokens"
    )
    for title, table in (("outcome", data["outcomes"]), ("model", data["models"])):
        lines.append(f"by {title}:")
        lines.extend(f"  {name:<40} {count}" for name, count in table.items())
    if data["tools"]:
        lines.append("by tool:              calls  failed")
        lines.extend(
            f"  {name:<20} {t['calls']:>6} {t['failed']:>7}" for name, t in data["tools"].items()
        )
    if data.get("made_tools"):
        lines.append("model-written tools:  made  rejected  calls  sessions  failures")
        lines.extend(
            f"  {name:<20} {t['made']:>4} {t['rejected']:>9} {t['calls']:>6} {t['sessions']:>9}"
            f" {t['failures']:>9}"
            for name, t in data["made_tools"].items()
        )
    return "\n".join(lines) + "\n"
