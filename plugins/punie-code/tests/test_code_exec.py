"""Every punie-code tool from Code Mode (in-process) and through `punie exec` (a real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from code_helpers import SHOP, git, new_repo, write_tree

from punie_core import AutoApprove, ToolContext, run_sync

TOOLS = {
    "definition",
    "references",
    "hover",
    "symbols",
    "find_symbol",
    "callers",
    "callees",
    "diagnostics",
    "rename_symbol",
    "extract_function",
    "move_symbol",
    "git_status",
    "git_diff",
    "git_log",
    "git_blame",
}

EVERY_TOOL = """
refs = references("shop/cart.py", 4, 5)
if isinstance(refs, References):
    print("references", refs.count, [str(loc) for loc in refs.locations])
print("definition", definition("shop/orders.py", 8, 12))
info = hover("shop/orders.py", 8, 12)
if not isinstance(info, NavUnavailable):
    print("hover", info.signature)
outline = symbols("shop/cart.py")
if isinstance(outline, list):
    print("symbols", [s.name for s in outline])
found = find_symbol("Cart")
if isinstance(found, list):
    print("find_symbol", found[0].kind, found[0].line)
ups = callers("shop/cart.py", 23, 5)
if isinstance(ups, list):
    print("callers", [c.symbol.name for c in ups])
downs = callees("shop/cart.py", 18, 9)
if isinstance(downs, list):
    print("callees", sorted(c.symbol.name for c in downs))
problems = diagnostics(["shop"])
if isinstance(problems, list):
    print("diagnostics", len(problems))
plan = extract_function("shop/cart.py", 19, 19, "amount_due")
print("extract", plan.engine, plan.files, plan.applied)
moved = move_symbol("shop/cart.py", "receipt", "shop/printing.py")
print("move", moved.files)
renamed = rename_symbol("shop/cart.py", 4, 5, "grand_total", apply=True)
print("rename", renamed.occurrences, renamed.applied, renamed.diagnostics)
status = git_status()
print("status", status.branch, [(f.path, f.worktree) for f in status.files])
diff = git_diff()
print("diff", [(f.path, f.additions, f.deletions) for f in diff.files])
print("log", [c.subject for c in git_log(limit=5)])
print("blame", [b.line for b in git_blame("shop/cart.py", 1, 2)])
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = new_repo(tmp_path / "shop_project")
    write_tree(root, SHOP)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "shop")
    return root


def check_output(stdout: str) -> None:
    lines = dict(line.split(" ", 1) for line in stdout.splitlines())
    assert lines["references"].startswith("4 ")
    assert "path='shop/cart.py', line=4, column=5" in lines["definition"]
    assert lines["hover"] == "def total(prices: list[float]) -> float"
    assert lines["symbols"] == "['total', 'Cart', '__init__', 'add', 'checkout', 'receipt']"
    assert lines["find_symbol"] == "class 9"
    assert lines["callers"] == "['checkout']"
    assert lines["callees"] == "['receipt', 'total']"
    assert lines["diagnostics"] == "0"
    assert lines["extract"] == "rope ['shop/cart.py'] False"
    assert lines["move"] == "['shop/cart.py', 'shop/printing.py']"
    assert lines["rename"] == "4 True []"
    assert lines["status"] == "main [('shop/cart.py', 'M'), ('shop/orders.py', 'M')]"
    assert lines["diff"] == "[('shop/cart.py', 2, 2), ('shop/orders.py', 2, 2)]"
    assert lines["log"] == "['shop']"
    assert lines["blame"] == "[1, 2]"


def test_every_tool_in_code_mode(project: Path, code_toolbox) -> None:
    context = ToolContext.local(project, permissions=AutoApprove())
    result = run_sync(EVERY_TOOL, toolbox=code_toolbox, context=context)
    assert result.ok, result.for_model()
    assert {call.tool for call in result.tool_calls} == TOOLS
    check_output(result.stdout)


@pytest.mark.slow
def test_every_tool_through_punie_exec(project: Path) -> None:
    script = Path(sys.executable).with_name("punie")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PUNIE_")}
    env["PUNIE_LOAD_PLUGINS"] = "punie-code"
    completed = subprocess.run(
        [str(script), "exec", "-", "--json", "--yes", "--cwd", str(project)],
        input=EVERY_TOOL,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    result = json.loads(completed.stdout)
    assert result["ok"], result["error"]
    assert {call["tool"] for call in result["tool_calls"]} == TOOLS
    assert all(call["ok"] for call in result["tool_calls"])
    check_output(result["stdout"])
