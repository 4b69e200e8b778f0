"""Regression: navigation never goes stale, whoever changes the files and however.

The original Punie's LSP tools (and Claude Code's LSP client) kept answering from the text the
server first read: after the agent's own edit, or the person's, `references` missed new uses.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from code_helpers import SHOP, Caller, git, new_repo, write_tree
from punie_code import server as ty_server

from punie_core import ToolContext

TOTAL = {"path": "shop/cart.py", "line": 4, "column": 5}


def uses(call: Caller) -> list[tuple[str, int]]:
    refs = call("references", **TOTAL)
    return [(loc.path, loc.line) for loc in refs.locations]


@pytest.fixture
def shop(tmp_path: Path, caller) -> Caller:
    return caller(write_tree(tmp_path / "shop_project", SHOP))


def test_a_write_through_punie_is_seen_by_the_next_query(shop: Caller) -> None:
    before = uses(shop)  # the server starts and reads the disk
    shop(
        "write_file",
        path="shop/report.py",
        content="from shop.cart import total\n\nx = total([1.0])\n",
    )
    after = uses(shop)
    assert after == sorted(before + [("shop/report.py", 1), ("shop/report.py", 3)])


def test_an_edit_on_disk_behind_punies_back_is_seen_by_the_next_query(shop: Caller) -> None:
    before = uses(shop)
    orders = shop.root / "shop/orders.py"
    orders.write_text(orders.read_text() + "\n\nEXTRA = total([2.0])\n")  # the person's editor
    after = uses(shop)
    assert after == sorted(before + [("shop/orders.py", 11)])


def test_the_full_sequence_punie_write_then_outside_edit_then_outside_delete(shop: Caller) -> None:
    assert ("shop/orders.py", 8) in uses(shop)
    # 1. Through Punie: the file is now open in the server with Punie's text.
    shop(
        "write_file",
        path="shop/orders.py",
        content="from shop.cart import total\n\nA = total([])\n",
    )
    assert [u for u in uses(shop) if u[0] == "shop/orders.py"] == [
        ("shop/orders.py", 1),
        ("shop/orders.py", 3),
    ]
    # 2. Behind Punie's back, on the same (now open) file: the disk wins again.
    (shop.root / "shop/orders.py").write_text(
        "from shop.cart import total\n\n\n\nB = total([])\nC = total([])\n"
    )
    assert [u for u in uses(shop) if u[0] == "shop/orders.py"] == [
        ("shop/orders.py", 1),
        ("shop/orders.py", 5),
        ("shop/orders.py", 6),
    ]
    # 3. Deleted behind Punie's back.
    (shop.root / "shop/orders.py").unlink()
    assert [u for u in uses(shop) if u[0] == "shop/orders.py"] == []


def test_a_same_size_edit_within_the_same_clock_tick_is_seen(shop: Caller) -> None:
    orders = shop.root / "shop/orders.py"
    original = orders.read_text()
    stamp = orders.stat()
    assert ("shop/orders.py", 8) in uses(shop)
    # Same length, same modification time (as a fast editor on a coarse clock would leave it).
    orders.write_text(original.replace("return total(cart.prices)", "return tally(cart.prices)"))
    os.utime(orders, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert ("shop/orders.py", 8) not in uses(shop)


def test_a_git_checkout_that_renames_and_rewrites_files_is_seen(shop: Caller) -> None:
    root = new_repo(shop.root)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    git(root, "checkout", "-qb", "feature")
    git(root, "mv", "shop/orders.py", "shop/purchases.py")
    purchases = root / "shop/purchases.py"
    purchases.write_text(purchases.read_text() + "\nLAST = total([3.0])\n")
    git(root, "commit", "-qam", "rename")
    git(root, "checkout", "-q", "main")
    assert ("shop/orders.py", 8) in uses(shop)
    git(root, "checkout", "-q", "feature")
    after = uses(shop)
    assert ("shop/orders.py", 8) not in after
    assert ("shop/purchases.py", 8) in after and ("shop/purchases.py", 10) in after


def test_a_shell_command_run_through_punie_is_seen(shop: Caller, code_toolbox) -> None:
    assert ("shop/orders.py", 8) in uses(shop)
    command = "printf 'from shop.cart import total\\nZ = total([])\\n' > shop/orders.py"
    result = subprocess.run(command, shell=True, cwd=shop.root, check=True)
    assert result.returncode == 0
    assert [u for u in uses(shop) if u[0] == "shop/orders.py"] == [
        ("shop/orders.py", 1),
        ("shop/orders.py", 2),
    ]


def test_the_hook_sends_the_exact_text_written_even_before_the_disk_has_it(
    shop: Caller, tmp_path: Path
) -> None:
    """An IDE buffer can hold text the disk does not have yet: the server gets the buffer's."""
    from punie_code.plugin import punie_workspace_changed

    from punie_core import WorkspaceChange

    uses(shop)
    text = "from shop.cart import total\n\nONLY_IN_THE_BUFFER = total([])\n"
    punie_workspace_changed(shop.root, (WorkspaceChange("shop/buffer.py", "created", text),))
    assert ("shop/buffer.py", 3) in uses(shop)
    assert not (shop.root / "shop/buffer.py").exists()


def test_no_server_is_started_by_a_write_alone(tmp_path: Path, caller) -> None:
    root = write_tree(tmp_path / "quiet", SHOP)
    call = caller(root)
    call("write_file", path="shop/new.py", content="x = 1\n")
    assert ty_server.running_server(root) is None
    assert isinstance(ToolContext.local(root), ToolContext)
