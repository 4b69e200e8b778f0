"""Which tests cover which requirements, and each requirement's status from a pytest run.

A test covers a requirement when it (or its class, or its module's `pytestmark`) carries
`@pytest.mark.spec("FR-001", ...)`, or when the requirement's id appears in the test's name
(`test_fr_001_signup`, `test_FR001`) or docstring (`Covers FR-001.`, Kiro's
`Validates: Requirements 1.2`). Test modules are read with `ast` (never imported); only the
files the pytest run reported are read, so linking costs little beside the run itself.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from punie_core.specs.layers import OutsideFolder, confined_bytes
from punie_core.specs.nouns import RequirementStatus

MARKER = "spec"
TEST_FILE_LIMIT = 4 * 1024 * 1024
"""Test modules larger than this are not read to link them."""
PASSING = frozenset({"passed"})
FAILING = frozenset({"failed", "error", "timeout"})
"""Outcomes that decide a requirement; `skipped`, `xfailed` and `xpassed` cover nothing."""

_ID_IN_NAME = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,5})[-_]?(\d{1,4})(?!\d)")
_KIRO_IN_DOC = re.compile(
    r"requirements?\s*:?\s*((?:\d+\.\d+(?:\s*(?:,|and)\s*)?)+)", re.IGNORECASE
)


def _key(rid: str) -> tuple[str, int] | None:
    match = re.fullmatch(r"([A-Za-z]{1,5})-(\d{1,4})", rid)
    return (match.group(1).upper(), int(match.group(2))) if match else None


@dataclass
class Links:
    """Test node ids (without parameters) -> requirement ids, and problems found on the way."""

    by_test: dict[str, set[str]] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    tests_in_file: dict[str, list[str]] = field(default_factory=dict)


def _marker_ids(node: ast.expr, where: str, findings: list[str]) -> list[str]:
    """Ids of a `pytest.mark.spec(...)` / `mark.spec(...)` expression (or a list of marks)."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return [i for element in node.elts for i in _marker_ids(element, where, findings)]
    if not isinstance(node, ast.Call):
        return []
    func = node.func
    if not (
        isinstance(func, ast.Attribute)
        and func.attr == MARKER
        and (
            (isinstance(func.value, ast.Attribute) and func.value.attr == "mark")
            or (isinstance(func.value, ast.Name) and func.value.id == "mark")
        )
    ):
        return []
    ids: list[str] = []
    for arg in node.args:
        values = arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg]
        for value in values:
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                ids.append(value.value.strip())
            else:
                findings.append(
                    f"{where}:{node.lineno}: a spec marker argument is not a string literal"
                )
    return ids


def _text_ids(text: str, known: dict[tuple[str, int], str], kiro: set[str]) -> set[str]:
    found = set()
    for prefix, number in _ID_IN_NAME.findall(text or ""):
        rid = known.get((prefix.upper(), int(number)))
        if rid:
            found.add(rid)
    for group in _KIRO_IN_DOC.findall(text or ""):
        found.update(i for i in re.findall(r"\d+\.\d+", group) if i in kiro)
    return found


def read_links(root: Path, files: Iterable[str], requirement_ids: Iterable[str]) -> Links:
    """Link the tests of `files` (project-relative test modules) to requirement ids."""
    ids = list(requirement_ids)
    known = {key: rid for rid in ids if (key := _key(rid))}
    kiro = {rid for rid in ids if re.fullmatch(r"\d+\.\d+", rid)}
    links = Links()
    for relative in sorted(set(files)):
        path = root / relative
        try:
            source = confined_bytes(path, root, TEST_FILE_LIMIT)
            tree = ast.parse(source, filename=relative)
        except OutsideFolder:
            links.findings.append(f"{relative}: a link leading outside the workspace: not read")
            continue
        except (OSError, SyntaxError, ValueError) as exc:
            links.findings.append(f"{relative}: cannot read its tests to link them: {exc}")
            continue
        module_ids = _pytestmark(tree.body, relative, links.findings)
        _visit(tree.body, relative, [relative], module_ids, known, kiro, links)
    return links


def _pytestmark(body: list[ast.stmt], where: str, findings: list[str]) -> set[str]:
    found: set[str] = set()
    for statement in body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in statement.targets
        ):
            found.update(_marker_ids(statement.value, where, findings))
    return found


def _visit(
    body: list[ast.stmt],
    relative: str,
    prefix: list[str],
    inherited: set[str],
    known: dict[tuple[str, int], str],
    kiro: set[str],
    links: Links,
) -> None:
    for node in body:
        if isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            ids = set(inherited) | _pytestmark(node.body, relative, links.findings)
            for decorator in node.decorator_list:
                ids.update(_marker_ids(decorator, relative, links.findings))
            ids |= _text_ids(node.name, known, kiro) | _text_ids(
                ast.get_docstring(node) or "", known, kiro
            )
            _visit(node.body, relative, [*prefix, node.name], ids, known, kiro, links)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            ids = set(inherited)
            for decorator in node.decorator_list:
                ids.update(_marker_ids(decorator, relative, links.findings))
            ids |= _text_ids(node.name, known, kiro) | _text_ids(
                ast.get_docstring(node) or "", known, kiro
            )
            nodeid = "::".join([*prefix, node.name])
            links.tests_in_file.setdefault(relative, []).append(nodeid)
            if ids:
                links.by_test[nodeid] = ids


def base_nodeid(nodeid: str) -> str:
    """A node id without its parameters: `tests/t.py::test_x[1-a]` -> `tests/t.py::test_x`."""
    head, sep, tail = nodeid.rpartition("::")
    if not sep:
        return nodeid
    return f"{head}::{tail.split('[', 1)[0]}"


def test_file(nodeid: str, file: str = "") -> str:
    return (file or nodeid.split("::", 1)[0]).replace("\\", "/")


def statuses(
    root: Path, requirement_ids: list[str], result: Any, criteria_ids: Sequence[str] = ()
) -> tuple[list[RequirementStatus], list[str]]:
    """Each requirement's status from a pytest result (`pytest_run()`'s `TestResult`).

    Success criteria (`criteria_ids`) are listed only when a test covers them: many are
    measured outside the test suite, so an untested criterion is not a gap.

    Returns:
        The statuses in `requirement_ids` order, and findings (markers naming unknown ids,
        unreadable test files, collection errors, a run that did not work).
    """
    tests = list(getattr(result, "tests", []) or [])
    errors = list(getattr(result, "collection_errors", []) or [])
    files = {test_file(t.nodeid, getattr(t, "file", "")) for t in tests}
    broken = {test_file(e.nodeid) for e in errors if e.nodeid}
    candidates = {f for f in files | broken if f.endswith(".py") and (root / f).is_file()}
    every = [*requirement_ids, *criteria_ids]
    links = read_links(root, candidates, every)
    findings = list(links.findings)
    known = set(every)
    outcomes: dict[str, list[tuple[str, str]]] = {rid: [] for rid in every}
    unknown: dict[str, set[str]] = {}
    for test in tests:
        ids = links.by_test.get(base_nodeid(test.nodeid), set())
        for rid in sorted(ids):
            if rid in known:
                outcomes[rid].append((test.nodeid, test.outcome))
            else:
                unknown.setdefault(rid, set()).add(base_nodeid(test.nodeid))
    for error in errors:
        where = test_file(error.nodeid)
        findings.append(f"{where}: could not be collected: {error.message}".rstrip(": "))
        for nodeid in links.tests_in_file.get(where, []):
            for rid in sorted(links.by_test.get(nodeid, set()) & known):
                outcomes[rid].append((nodeid, "error"))
    for rid, nodeids in sorted(unknown.items()):
        sample = ", ".join(sorted(nodeids)[:3])
        findings.append(
            f"{sample}: the spec marker names {rid}, which no requirement of the feature defines"
        )
    tool_error = getattr(result, "tool_error", None)
    if tool_error:
        findings.append(f"pytest_run: {tool_error}")
    out = []
    for rid in every:
        ran = outcomes[rid]
        deciding = [(n, o) for n, o in ran if o in PASSING | FAILING]
        if not deciding and rid not in requirement_ids:
            continue
        for nodeid, outcome in ran:
            if (nodeid, outcome) not in deciding:
                findings.append(f"{nodeid}: {outcome}, so it covers nothing ({rid})")
        if any(o in FAILING for _, o in deciding):
            status = "failing"
        elif deciding:
            status = "passing"
        else:
            status = "uncovered"
        tests = sorted({n for n, _ in deciding})
        out.append(RequirementStatus(id=rid, status=status, tests=tests))
    return out, findings
