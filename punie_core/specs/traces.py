"""What a trace records about specs: the active feature, the requirement ids the work touched,
and the requirement statuses `spec_status` reported (the host's signal for validation).

`spec_status` is a host-recorded signal: the host ran the tests, so its result can be trusted
the way `validation_passed` is. The statuses *before* the work are the session's last
`spec_status` for the feature (from an earlier prompt) or the first call of this prompt; the
*after* statuses are the last call's. A trace that turns a requirement from `passing` to
`failing` is never validated (`punie_core.flywheel.integrity`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _statuses(result: Any) -> tuple[str, dict[str, str]] | None:
    if not isinstance(result, dict) or not isinstance(result.get("requirements"), list):
        return None
    found = {
        str(r["id"]): str(r["status"])
        for r in result["requirements"]
        if isinstance(r, dict) and "id" in r and "status" in r
    }
    return str(result.get("feature") or ""), found


def trace_fields(
    root: Path,
    calls: Iterable[dict[str, Any]],
    texts: Iterable[str],
    baseline: dict[str, dict[str, str]],
) -> dict[str, Any]:
    """The spec keys of one trace record: `feature`, `requirements`, `spec_status`.

    Args:
        root: The project.
        calls: The prompt's tool calls as recorded (`tool`, `arguments`, `ok`, `result`).
        texts: Other text of the work: snippet code, the final answer.
        baseline: The session's last statuses per feature; updated with this prompt's last.
    """
    from punie_core.specs.features import FeatureNotFound, active_feature, read_spec

    calls = [c for c in calls if isinstance(c, dict)]
    try:
        chosen, _ = active_feature(Path(root))
    except FeatureNotFound:  # PUNIE_FEATURE names no folder: record no feature
        chosen = None
    spec = read_spec(Path(root), chosen) if chosen is not None else None
    feature = spec.feature if spec is not None else None
    touched: list[str] = []
    if spec is not None:
        ids = [r.id for r in spec.requirements] + [c.id for c in spec.criteria]
        haystack = "\n".join(
            [
                json.dumps(c.get("arguments"), ensure_ascii=False)
                for c in calls
                if c.get("ok") and not c.get("refused")
            ]
            + [t for t in texts if isinstance(t, str)]
        )
        touched = [
            rid for rid in ids if re.search(rf"(?<![\w.-]){re.escape(rid)}(?![\w-]|\.\d)", haystack)
        ]
    reports = [
        s
        for c in calls
        if c.get("tool") == "spec_status" and c.get("ok")
        for s in [_statuses(c.get("result"))]
        if s is not None
    ]
    status = None
    if reports:
        name, after = reports[-1]
        before = baseline.get(name)
        if before is None and len(reports) > 1:
            before = reports[0][1]
        status = {"feature": name, "before": before, "after": after}
        baseline[name] = after
    return {"feature": feature, "requirements": touched, "spec_status": status}


def regressions(trace: dict[str, Any]) -> list[str]:
    """Requirements a trace turned from passing to failing (empty for older traces)."""
    status = trace.get("spec_status")
    if not isinstance(status, dict):
        return []
    before, after = status.get("before"), status.get("after")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return []
    return sorted(
        rid for rid, state in after.items() if state == "failing" and before.get(rid) == "passing"
    )
