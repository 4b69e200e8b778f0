"""Refactoring with real engines (ty rename, rope extract and move): plans, scope, applying."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from code_helpers import SHADOWING, SHOP, Caller, write_tree
from punie_code.nouns import RefactorPlan
from punie_code.refactor import RefactorError

from punie_core import ToolRefused


@pytest.fixture
def shadow(tmp_path: Path, caller) -> Caller:
    return caller(write_tree(tmp_path / "shadow", SHADOWING))


def changed_lines(plan: RefactorPlan) -> list[tuple[str, str]]:
    """(file, added line) for every `+` line of the plan's diffs."""
    return [
        (path, line[1:].strip())
        for path, diff in sorted(plan.diffs.items())
        for line in diff.splitlines()
        if line.startswith("+") and not line.startswith("+++")
    ]


def snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.py"))}


def test_renaming_the_function_changes_exactly_its_four_uses(shadow: Caller) -> None:
    before = snapshot(shadow.root)
    plan = shadow("rename_symbol", path="pkg/core.py", line=4, column=5, new_name="grand_total")
    assert (plan.operation, plan.engine, plan.applied, plan.conflicts) == (
        "rename_symbol",
        "ty",
        False,
        [],
    )
    assert plan.files == ["pkg/core.py", "pkg/use.py"] and plan.occurrences == 4
    assert changed_lines(plan) == [
        ("pkg/core.py", "def grand_total(prices: list[float]) -> float:"),
        ("pkg/core.py", "return grand_total(self.prices)"),
        ("pkg/use.py", "from pkg.core import Cart, grand_total"),
        ("pkg/use.py", "grand = grand_total([1.0, 2.0])"),
    ]
    # The method, the local variable and the strings are other symbols or no symbol at all.
    assert "def total(self)" in plan.diffs["pkg/core.py"]  # context line, unchanged
    assert snapshot(shadow.root) == before  # a preview writes nothing
    assert shadow.requests == []


def test_renaming_the_method_or_the_local_leaves_the_function_alone(shadow: Caller) -> None:
    method = shadow("rename_symbol", path="pkg/use.py", line=4, column=19, new_name="amount")
    assert changed_lines(method) == [
        ("pkg/core.py", "def amount(self) -> float:"),
        ("pkg/use.py", "cart_sum = Cart().amount()"),
    ]
    local = shadow("rename_symbol", path="pkg/core.py", line=19, column=13, new_name="running")
    assert local.files == ["pkg/core.py"] and local.occurrences == 3
    assert changed_lines(local) == [
        ("pkg/core.py", "running = 0.0"),
        ("pkg/core.py", "running += price"),
        ("pkg/core.py", "return running"),
    ]
    assert '"total"' not in "".join(line for _, line in changed_lines(local))


@pytest.mark.parametrize(
    ("position", "new_name", "conflict"),
    [
        ((4, 5), "Cart", "'Cart' is already defined"),  # module scope
        ((17, 9), "price", "'price' is already defined"),  # the loop variable's scope
    ],
)
def test_a_name_already_taken_is_a_conflict_and_is_never_applied(
    shadow: Caller, position, new_name, conflict
) -> None:
    before = snapshot(shadow.root)
    line, column = position
    plan = shadow(
        "rename_symbol", path="pkg/core.py", line=line, column=column, new_name=new_name, apply=True
    )
    assert any(conflict in c for c in plan.conflicts), plan.conflicts
    assert not plan.applied and shadow.requests == []
    assert snapshot(shadow.root) == before


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"line": 4, "column": 5, "new_name": "not valid"}, "not a valid Python identifier"),
        ({"line": 4, "column": 5, "new_name": "class"}, "not a valid Python identifier"),
        ({"line": 2, "column": 1, "new_name": "x"}, "nothing to rename"),
        ({"line": 4, "column": 5, "new_name": "total"}, "already called"),
    ],
)
def test_bad_renames_get_a_clear_error(shadow: Caller, arguments, error) -> None:
    with pytest.raises((ValueError, RefactorError), match=error):
        shadow("rename_symbol", path="pkg/core.py", **arguments)


def test_applying_asks_once_for_the_whole_plan_writes_it_and_checks_it(shadow: Caller) -> None:
    preview = shadow("rename_symbol", path="pkg/core.py", line=4, column=5, new_name="grand_total")
    plan = shadow(
        "rename_symbol", path="pkg/core.py", line=4, column=5, new_name="grand_total", apply=True
    )
    assert plan.applied and plan.diffs == preview.diffs
    [request] = shadow.requests
    assert request.tool == "rename_symbol" and request.kind == "edit"
    assert request.paths == ("pkg/core.py", "pkg/use.py")
    assert set(request.edits) == {"pkg/core.py", "pkg/use.py"}
    assert request.arguments["diffs"] == preview.diffs
    assert request.edits["pkg/use.py"] == (shadow.root / "pkg/use.py").read_text()
    assert "def grand_total(" in (shadow.root / "pkg/core.py").read_text()
    assert plan.diagnostics == []  # type-checked and linted: clean
    # The language server has the new text: the new name resolves everywhere at once.
    refs = shadow("references", path="pkg/use.py", line=3, column=9)
    assert refs.count == 4


def test_applied_changes_that_break_types_are_reported(tmp_path: Path, caller) -> None:
    call = caller(
        write_tree(
            tmp_path / "typed",
            {"m.py": "def f(x: int) -> int:\n    return x\n\n\ny: str = f(1)\n"},
        )
    )
    plan = call("rename_symbol", path="m.py", line=1, column=5, new_name="g", apply=True)
    assert plan.applied
    assert any("invalid-assignment" in d for d in plan.diagnostics), plan.diagnostics


def test_a_refused_plan_writes_nothing(tmp_path: Path, caller) -> None:
    call = caller(write_tree(tmp_path / "shadow", SHADOWING), answer=False)
    before = snapshot(call.root)
    with pytest.raises(ToolRefused):
        call("rename_symbol", path="pkg/core.py", line=4, column=5, new_name="g", apply=True)
    assert len(call.requests) == 1
    assert snapshot(call.root) == before


def test_a_failed_write_restores_the_files_already_written(shadow: Caller) -> None:
    from punie_core import ToolContext

    class FailSecond:
        """The session's file backend; the second write of the plan fails (disk full)."""

        def __init__(self) -> None:
            self.local = ToolContext.local(shadow.root).files
            self.writes = 0

        async def read_text(self, path: Path) -> str:
            return await self.local.read_text(path)

        async def write_text(self, path: Path, content: str) -> None:
            self.writes += 1
            if self.writes == 2:
                raise OSError("No space left on device")
            await self.local.write_text(path, content)

    shadow.files = FailSecond()
    before = snapshot(shadow.root)
    with pytest.raises(OSError, match="was not applied.*restored"):
        shadow("rename_symbol", path="pkg/core.py", line=4, column=5, new_name="g", apply=True)
    assert snapshot(shadow.root) == before


def test_a_file_changed_while_the_person_decides_stops_the_plan(shadow: Caller) -> None:
    def edit_behind_our_back() -> None:
        use = shadow.root / "pkg/use.py"
        use.write_text(use.read_text() + "again = total([3.0])\n")

    shadow.during_approval = edit_behind_our_back
    with pytest.raises(OSError, match="changed since the plan"):
        shadow("rename_symbol", path="pkg/core.py", line=4, column=5, new_name="g", apply=True)
    assert "def total(" in (shadow.root / "pkg/core.py").read_text()


STATS = {
    "calc/__init__.py": "",
    "calc/stats.py": '''
        """Statistics."""


        def report(values: list[float]) -> str:
            count = len(values)
            total = sum(values)
            mean = total / count
            return f"{count} values, mean {mean:.1f}"
        ''',
    "tests/test_stats.py": """
        from calc.stats import report


        def test_report():
            assert report([1.0, 2.0, 3.0]) == "3 values, mean 2.0"
        """,
}


def run_project_tests(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"},
    )


def test_extract_function_keeps_the_projects_tests_passing(tmp_path: Path, caller) -> None:
    call = caller(write_tree(tmp_path / "calc_project", STATS))
    assert run_project_tests(call.root).returncode == 0
    plan = call("extract_function", path="calc/stats.py", start_line=6, end_line=7, name="mean_of")
    assert (plan.engine, plan.files, plan.conflicts, plan.applied) == (
        "rope",
        ["calc/stats.py"],
        [],
        False,
    )
    assert "def mean_of(" in plan.diffs["calc/stats.py"]
    assert not list(call.root.rglob(".ropeproject"))

    applied = call(
        "extract_function",
        path="calc/stats.py",
        start_line=6,
        end_line=7,
        name="mean_of",
        apply=True,
    )
    assert applied.applied and len(call.requests) == 1
    assert "def mean_of(" in (call.root / "calc/stats.py").read_text()
    result = run_project_tests(call.root)
    assert result.returncode == 0, result.stdout + result.stderr


def test_extract_into_a_name_already_taken_is_a_conflict(tmp_path: Path, caller) -> None:
    call = caller(write_tree(tmp_path / "calc_project", STATS))
    plan = call("extract_function", path="calc/stats.py", start_line=6, end_line=7, name="report")
    assert plan.conflicts == ["'report' is already defined in calc/stats.py"]


SHOP_TESTS = {
    **SHOP,
    "tests/test_shop.py": """
        from shop.cart import Cart, receipt
        from shop.orders import order


        def test_checkout():
            cart = Cart()
            cart.add(2.5)
            assert cart.checkout() == "paid 2.50"


        def test_receipt_and_order():
            assert receipt(1) == "paid 1.00"
            assert order([1.0, 2.0]) == 3.0
        """,
}


def test_move_symbol_to_a_new_module_keeps_the_projects_tests_passing(
    tmp_path: Path, caller
) -> None:
    call = caller(write_tree(tmp_path / "shop_project", SHOP_TESTS))
    plan = call("move_symbol", path="shop/cart.py", name="receipt", destination="shop/printing.py")
    assert plan.engine == "rope" and plan.conflicts == []
    assert plan.files == ["shop/cart.py", "shop/printing.py", "tests/test_shop.py"]
    assert plan.diffs["shop/printing.py"].startswith("--- /dev/null\n+++ b/shop/printing.py")
    assert not (call.root / "shop/printing.py").exists()

    applied = call(
        "move_symbol",
        path="shop/cart.py",
        name="receipt",
        destination="shop/printing.py",
        apply=True,
    )
    assert applied.applied
    assert "def receipt(" in (call.root / "shop/printing.py").read_text()
    assert "def receipt(" not in (call.root / "shop/cart.py").read_text()
    result = run_project_tests(call.root)
    assert result.returncode == 0, result.stdout + result.stderr
    # Navigation follows the move at once.
    found = call("find_symbol", query="receipt")
    assert [(s.path, s.kind) for s in found][:1] == [("shop/printing.py", "function")]
    assert "shop/cart.py" not in [s.path for s in found]


def test_moving_a_function_that_needs_its_old_module_is_a_circular_import_conflict(
    tmp_path: Path, caller
) -> None:
    module = {
        "m/__init__.py": "",
        "m/a.py": """
            def helper() -> int:
                return 1


            def main() -> int:
                return helper() + 1


            def caller() -> int:
                return main()
            """,
    }
    call = caller(write_tree(tmp_path / "circle", module))
    # `main` needs `helper`, which stays in a.py, and a.py's `caller` still needs `main`.
    plan = call("move_symbol", path="m/a.py", name="main", destination="m/b.py", apply=True)
    assert any("circular import" in c for c in plan.conflicts), plan.conflicts
    assert not plan.applied and not (call.root / "m/b.py").exists()


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"name": "missing", "destination": "shop/x.py"}, "no top-level function or class"),
        ({"name": "receipt", "destination": "shop/x.txt"}, "must be a module file"),
        ({"name": "receipt", "destination": "../elsewhere.py"}, "outside the workspace"),
        ({"name": "receipt", "destination": "shop/cart.py"}, "already in"),
    ],
)
def test_bad_moves_get_a_clear_error(tmp_path: Path, caller, arguments, error) -> None:
    call = caller(write_tree(tmp_path / "shop_project", SHOP))
    with pytest.raises((ValueError, RefactorError, PermissionError), match=error):
        call("move_symbol", path="shop/cart.py", **arguments)
