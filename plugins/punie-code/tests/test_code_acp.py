"""Through the IDE over ACP: writes delegated to `fs/write_text_file` keep navigation fresh, and an
applied refactoring is one permission request showing every file's diff."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from code_helpers import SHOP, write_tree

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "acp"))

from acp_harness import IdeClient, run, scripted_prompt, snippet  # noqa: E402


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "punie-home"
    home.mkdir()
    monkeypatch.setenv("PUNIE_HOME", str(home))
    monkeypatch.setenv("PUNIE_LOAD_PLUGINS", "punie-code")
    monkeypatch.delenv("PUNIE_MODEL", raising=False)
    return write_tree(tmp_path / "project", SHOP).resolve()


def tool_output(turn) -> str:
    """What the model was shown after its snippet ran (the last request's messages)."""
    return json.dumps(turn.requests[-1].body)


def test_a_write_through_the_ide_is_seen_by_the_next_query(workspace: Path) -> None:
    code = (
        "before = references(path='shop/cart.py', line=4, column=5)\n"
        "write_file(path='shop/report.py', content='from shop.cart import total\\n"
        "X = total([1.0])\\n')\n"
        "after = references(path='shop/cart.py', line=4, column=5)\n"
        "if isinstance(before, References) and isinstance(after, References):\n"
        "    print('COUNTS', before.count, after.count)\n"
    )
    client = IdeClient(save_writes=False)
    turn = run(scripted_prompt(workspace, [snippet(code), {"text": "done"}], client=client))
    assert client.writes == [
        (str(workspace / "shop/report.py"), "from shop.cart import total\nX = total([1.0])\n")
    ]
    assert "COUNTS 4 6" in tool_output(turn)


def test_an_applied_rename_is_one_request_with_a_diff_per_file(workspace: Path) -> None:
    code = (
        "plan = rename_symbol(path='shop/cart.py', line=4, column=5, new_name='grand_total',"
        " apply=True)\n"
        "print('APPLIED', plan.applied, plan.files)\n"
    )
    client = IdeClient(save_writes=False)
    turn = run(scripted_prompt(workspace, [snippet(code), {"text": "done"}], client=client))
    assert len(client.permission_requests) == 1
    pending = [
        u
        for _, u in client.updates
        if getattr(u, "status", None) == "pending" and getattr(u, "content", None)
    ]
    [announced] = pending
    diffs = [c for c in announced.content if getattr(c, "type", "") == "diff"]
    assert sorted(d.path for d in diffs) == [
        str(workspace / "shop/cart.py"),
        str(workspace / "shop/orders.py"),
    ]
    assert all("grand_total" in d.new_text for d in diffs)
    assert sorted(path for path, _ in client.writes) == [
        str(workspace / "shop/cart.py"),
        str(workspace / "shop/orders.py"),
    ]
    assert "APPLIED True" in tool_output(turn)
