"""Where traces are read from, one line at a time: `$PUNIE_HOME/traces/*.jsonl` or given paths.

`punie_core.agent.traces.read_traces` reads each file whole; the flywheel reads line by line so an
export of any size runs in constant memory. Unreadable lines (a crash tore the write) are
skipped with the same `TornTraceWarning`.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def trace_files(paths: Iterable[str | Path] | None = None) -> list[Path]:
    """The trace files to read, sorted (folders give their `*.jsonl` files).

    Args:
        paths: Files or folders; None or empty for `$PUNIE_HOME/traces`.

    Raises:
        FileNotFoundError: A given path does not exist.
    """
    from punie_core.agent.traces import traces_dir

    given = [Path(p) for p in paths or []]
    if not given:
        directory = traces_dir()
        return sorted(directory.glob("*.jsonl")) if directory.is_dir() else []
    files: list[Path] = []
    for path in given:
        if path.is_dir():
            files.extend(sorted(path.glob("*.jsonl")))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"no trace file or folder at {path}")
    return files


def iter_traces(files: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Every trace record of the files, streamed; torn or unreadable lines warn and are skipped."""
    from punie_core.agent.traces import TornTraceWarning

    for path in files:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    where = "a torn line" if not raw.endswith(b"\n") else "an unreadable line"
                    warnings.warn(
                        f"{path}:{number}: skipped {where} of a trace",
                        TornTraceWarning,
                        stacklevel=2,
                    )
                    continue
                if isinstance(record, dict):
                    yield record
