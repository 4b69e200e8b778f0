"""spec_check: plans and diffs checked against the MUST/SHOULD lines of every layer."""

from __future__ import annotations

from pathlib import Path

from punie_core.specs.discovery import discover
from punie_core.specs.rules import check, parse_rule
from tests.specs.projects import kiro_project, nested_agents_project, spec_kit_project, write_tree

PLAN = """\
Plan for FR-001:
1. Add a signup view in app/views.py that queries the database directly.
2. Add print() calls to trace the signup flow.
3. Hash passwords with argon2.
"""


def test_a_plan_that_breaks_a_must_rule_names_the_rule_its_file_and_line(
    tmp_path: Path, call
) -> None:
    root = spec_kit_project(tmp_path / "shop")
    violations = call(root, "spec_check", text=PLAN)
    assert [(v.level, v.path, v.line) for v in violations] == [
        ("MUST", ".specify/memory/constitution.md", 9),
        ("SHOULD", ".specify/memory/constitution.md", 10),
    ]
    must = violations[0]
    assert must.rule == "Code MUST NOT use `print` for logging; use the `logging` module."
    assert must.match == "2. Add print() calls to trace the signup flow."
    assert "queries the database directly" in violations[1].match


def test_a_plan_that_keeps_the_rules_passes(tmp_path: Path, call) -> None:
    root = spec_kit_project(tmp_path / "shop")
    plan = "1. Add a signup service; the view calls it.\n2. Log with logging, never with print.\n"
    assert call(root, "spec_check", text=plan) == []


def test_a_diff_is_checked_on_added_lines_and_an_agents_md_only_in_its_folder(
    tmp_path: Path,
) -> None:
    root = nested_agents_project(tmp_path / "shop")
    entries = discover(root).entries
    diff = """\
diff --git a/app/api/views.py b/app/api/views.py
--- a/app/api/views.py
+++ b/app/api/views.py
@@ -1,2 +1,4 @@
+import time
 def index():
+    time.sleep(1)
-    print('removed lines do not count')
     return 'ok'
"""
    found = check(diff, entries)
    assert [(v.path, v.line, v.match) for v in found] == [("app/api/AGENTS.md", 3, "time.sleep(1)")]
    elsewhere = diff.replace("app/api/views.py", "scripts/tool.py")
    assert check(elsewhere, entries) == []  # app/api/AGENTS.md governs app/api/ only


def test_kiro_file_match_steering_applies_only_to_matching_files(tmp_path: Path) -> None:
    entries = discover(kiro_project(tmp_path / "tea")).entries
    diff = "+++ b/app/components/card.py\n+import requests\n"
    assert [v.path for v in check(diff, entries)] == [".kiro/steering/components.md"]
    assert check(diff.replace("app/components/card.py", "app/models.py"), entries) == []


def test_org_rules_count_too_and_a_negated_mention_does_not(tmp_path: Path, org: Path) -> None:
    write_tree(org, {"security.md": "# Security\n\n- NEVER commit secrets to the repository.\n"})
    root = write_tree(tmp_path / "p", {"README.md": "# P\n"})
    entries = discover(root).entries
    [violation] = check("Then commit the secrets file to the repository.", entries)
    assert violation.path == str(org / "security.md") and violation.line == 3
    assert check("Keep secrets out of the repository; do not commit them.", entries) == []


def test_rule_lines_are_recognised_only_when_they_forbid_something_checkable() -> None:
    assert parse_rule("- Tests MUST be written first.", "x", 1) is None  # positive: not checkable
    rule = parse_rule("- HTTP calls MUST use httpx instead of `requests`.", "x", 1)
    assert rule is not None and rule.terms == ("requests",)
    rule = parse_rule("Avoid global state.", "x", 2)
    assert rule is not None and rule.level == "SHOULD" and rule.words == ("global", "state")
    rule = parse_rule("- Code MUST NOT use `print`; use `logging`.", "x", 3)
    assert rule is not None and rule.terms == ("print",)  # what follows `;` is allowed
