"""Real-code corpora for domain validators: the deliberate error examples of a test suite.

A library's own tests are the best corpus for its validators: code outside `pytest.raises`
runs correctly (the suite passes), and each `with pytest.raises(E):` block is an error the
library's authors made on purpose. A corpus labels every such block with the rule that should
report it (or `-` when no rule claims that error), so recall is measured, not guessed.

Labels file format (one block a line, `#` comments):

    tests/test_autowire.py:145 SVCS010 required: str is never registered
    tests/test_autowire.py:335 - autowire(int): no signature, no rule claims it
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class DeliberateError:
    """One `with pytest.raises(...)` block and the test function holding it.

    Attributes:
        path: The file, relative to the corpus root (forward slashes).
        line: The line of the `with` statement.
        exception: The expected exception, as written.
        function: (first line, last line) of the enclosing function (the block itself when
            it is at module level).
    """

    path: str
    line: int
    exception: str
    function: tuple[int, int]


def deliberate_errors(root: Path) -> list[DeliberateError]:
    """Every `pytest.raises` block of the `.py` files under `root`, in file order."""
    found: list[DeliberateError] = []
    for file in sorted(root.rglob("*.py")):
        found += _blocks(file, file.relative_to(root).as_posix())
    return found


def _blocks(file: Path, relative: str) -> list[DeliberateError]:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from punie_core import parse_module

    module = parse_module(file.read_text(encoding="utf-8"))
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    found: list[DeliberateError] = []
    stack: list[tuple[int, int]] = []

    class Blocks(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            where = positions[node]
            stack.append((where.start.line, where.end.line))

        def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
            stack.pop()

        def visit_With(self, node: cst.With) -> None:
            for item in node.items:
                call = item.item
                if not isinstance(call, cst.Call) or not call.args:
                    continue
                if not module.code_for_node(call.func).endswith("raises"):
                    continue
                where = positions[node]
                function = stack[-1] if stack else (where.start.line, where.end.line)
                exception = module.code_for_node(call.args[0].value)
                found.append(DeliberateError(relative, where.start.line, exception, function))

    wrapper.visit(Blocks())
    return found


def read_labels(path: Path) -> dict[tuple[str, int], str]:
    """`(file, line) -> rule` (or `-`) from a labels file."""
    labels: dict[tuple[str, int], str] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where, rule = line.split()[:2]
        file, _, number = where.rpartition(":")
        labels[(file, int(number))] = rule
    return labels


def recall(
    errors: list[DeliberateError],
    labels: dict[tuple[str, int], str],
    findings: set[tuple[str, int, str]],
) -> tuple[int, int, list[DeliberateError]]:
    """(detected, in domain, missed): a labelled error counts as detected when a finding of
    its rule lies in the same test function (a wrong factory is reported where it is
    registered, a few lines before the `get()` that raises)."""
    detected = 0
    missed = []
    in_domain = [e for e in errors if labels.get((e.path, e.line), "-") != "-"]
    for error in in_domain:
        rule = labels[(error.path, error.line)]
        first, last = error.function
        if any(p == error.path and first <= n <= last and r == rule for p, n, r in findings):
            detected += 1
        else:
            missed.append(error)
    return detected, len(in_domain), missed


def corpus_findings(root: Path, toolbox: Any) -> set[tuple[str, int, str]]:
    """`(path relative to root, line, rule)` of every syntax and convention finding under root."""
    from punie_core import check_paths

    report = check_paths([root], toolbox, layers=("syntax", "conventions"))
    return {
        (Path(os.path.relpath(f.path, root)).as_posix(), f.line, f.rule) for f in report.findings
    }
