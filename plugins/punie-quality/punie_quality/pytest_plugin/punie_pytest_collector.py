"""Punie's result collector for pytest, loaded into the target project's own pytest run.

`pytest_run` starts `python -m pytest -p punie_pytest_collector` with this directory on
PYTHONPATH and the report path in `PUNIE_PYTEST_REPORT`. Each event is one JSON line,
flushed at once, so a run killed at its timeout still tells which tests finished and which
one was running. Categories come from `pytest_report_teststatus`, the hook pytest's own
terminal summary counts with, so our totals are pytest's totals.

This module runs under the target project's interpreter and pytest: it uses only the
standard library and long-stable pytest hooks, and no syntax newer than Python 3.8.
"""

from __future__ import annotations

import json
import os

REPORT_ENV = "PUNIE_PYTEST_REPORT"
TEXT_LIMIT = 4000
OUTPUT_LIMIT = 2000


def _tail(text, limit):
    text = text or ""
    return text if len(text) <= limit else "[...]\n" + text[-limit:]


def _crash_message(report):
    """One-line reason: the assertion or exception line, or the skip reason."""
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # skips: (path, lineno, reason)
        return str(longrepr[2])
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return str(crash.message)
    text = str(longrepr).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    for line in reversed(lines):  # collection errors: the last "E   ..." line names the cause
        if line.startswith("E   "):
            return line[4:].strip()
    return lines[-1] if lines else ""


def _longrepr_text(report):
    try:
        return report.longreprtext
    except Exception:  # a plugin's odd longrepr must not break the run
        return str(report.longrepr or "")


class Collector:
    """Writes one JSON line per event to the report file."""

    def __init__(self, config, path):
        self.config = config
        self.handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed in unconfigure

    def write(self, **event):
        self.handle.write(json.dumps(event) + "\n")
        self.handle.flush()

    def close(self):
        self.handle.close()

    def pytest_collectreport(self, report):
        if report.failed:
            self.write(
                event="collect_error",
                nodeid=report.nodeid,
                message=_crash_message(report),
                failure=_tail(_longrepr_text(report), TEXT_LIMIT),
            )
        elif report.skipped:
            self.write(event="collect_skip", nodeid=report.nodeid, message=_crash_message(report))

    def pytest_deselected(self, items):
        self.write(event="deselected", count=len(items))

    def pytest_collection_finish(self, session):
        self.write(event="collected", count=len(session.items))

    def pytest_runtest_logstart(self, nodeid, location):
        self.write(event="start", nodeid=nodeid)

    def pytest_runtest_logreport(self, report):
        status = self.config.hook.pytest_report_teststatus(report=report, config=self.config)
        category = status[0] if status else report.outcome
        event = {
            "event": "report",
            "nodeid": report.nodeid,
            "when": report.when,
            "category": category,
            "outcome": report.outcome,
            "duration": getattr(report, "duration", 0.0),
            "file": report.location[0] if report.location else "",
            "line": (report.location[1] + 1)
            if report.location and report.location[1] is not None
            else None,
            "message": "",
            "failure": "",
            "output": "",
        }
        if hasattr(report, "wasxfail"):
            event["message"] = str(report.wasxfail or "")
        if report.failed or report.skipped:
            event["message"] = event["message"] or _crash_message(report)
        if report.failed:
            event["failure"] = _tail(_longrepr_text(report), TEXT_LIMIT)
            output = (getattr(report, "capstdout", "") or "") + (
                getattr(report, "capstderr", "") or ""
            )
            event["output"] = _tail(output, OUTPUT_LIMIT)
        self.write(**event)

    def pytest_runtest_logfinish(self, nodeid, location):
        self.write(event="finish", nodeid=nodeid)

    def pytest_sessionfinish(self, session, exitstatus):
        self.write(event="session_finish", exit_code=int(exitstatus))


SPEC_MARKER = "spec(*ids): the spec requirements this test covers, e.g. FR-001 (Punie)"
"""Registered in every run, so `--strict-markers` projects accept `@pytest.mark.spec`."""


def pytest_configure(config):
    config.addinivalue_line("markers", SPEC_MARKER)
    path = os.environ.get(REPORT_ENV)
    if not path or hasattr(config, "workerinput"):  # xdist workers: the controller reports
        return
    collector = Collector(config, path)
    config._punie_collector = collector
    config.pluginmanager.register(collector, "punie-collector")


def pytest_unconfigure(config):
    collector = getattr(config, "_punie_collector", None)
    if collector is not None:
        collector.close()
