"""Navigation on a real `ty server`: every tool, 1-based positions, bad input, server deaths."""

from __future__ import annotations

import os
import signal
import stat
from pathlib import Path

import pytest
from code_helpers import SHADOWING, SHOP, write_tree
from punie_code import server as ty_server
from punie_code.nouns import Call, CodeDiagnostic, HoverInfo, Location, NavUnavailable, References

from punie_core import ToolRefused


@pytest.fixture
def shop(tmp_path: Path, caller):
    root = write_tree(tmp_path / "shop_project", SHOP)
    return caller(root)


def test_definition_follows_an_import_to_the_definition(shop) -> None:
    # shop/orders.py line 8: `    return total(cart.prices)`; `total` starts at column 12.
    found = shop("definition", path="shop/orders.py", line=8, column=12)
    assert found == [Location(path="shop/cart.py", line=4, column=5, end_line=4, end_column=10)]


def test_definition_of_a_builtin_points_outside_the_workspace(shop) -> None:
    # shop/cart.py line 6: `    return sum(prices)`
    locations = shop("definition", path="shop/cart.py", line=6, column=12)
    assert locations  # one per overload of `sum`
    assert all(Path(loc.path).is_absolute() for loc in locations)
    assert all(loc.path.endswith("builtins.pyi") for loc in locations)


def test_references_lists_every_use_across_files_with_a_count(shop) -> None:
    refs = shop("references", path="shop/cart.py", line=4, column=5)
    assert isinstance(refs, References)
    assert [(loc.path, loc.line, loc.column) for loc in refs.locations] == [
        ("shop/cart.py", 4, 5),
        ("shop/cart.py", 19, 18),
        ("shop/orders.py", 1, 29),
        ("shop/orders.py", 8, 12),
    ]
    assert refs.count == 4
    assert all(loc.end_column == loc.column + len("total") for loc in refs.locations)


def test_references_tell_shadowing_names_apart(tmp_path: Path, caller) -> None:
    call = caller(write_tree(tmp_path / "shadow", SHADOWING))
    function = call("references", path="pkg/core.py", line=4, column=5)
    method = call("references", path="pkg/core.py", line=13, column=9)
    local = call("references", path="pkg/core.py", line=17, column=9)
    assert [(r.path, r.line) for r in function.locations] == [
        ("pkg/core.py", 4),
        ("pkg/core.py", 14),
        ("pkg/use.py", 1),
        ("pkg/use.py", 3),
    ]
    assert [(r.path, r.line) for r in method.locations] == [("pkg/core.py", 13), ("pkg/use.py", 4)]
    assert [(r.line, r.column) for r in local.locations] == [(17, 9), (19, 13), (20, 16)]


def test_hover_splits_signature_and_docstring(shop) -> None:
    info = shop("hover", path="shop/orders.py", line=8, column=12)
    assert info == HoverInfo(
        signature="def total(prices: list[float]) -> float", doc="Sum the prices."
    )


def test_symbols_outline_a_file_with_containers_and_name_positions(shop) -> None:
    outline = shop("symbols", path="shop/cart.py")
    assert [(s.kind, s.container, s.name, s.line, s.column, s.end_line) for s in outline] == [
        ("function", "", "total", 4, 5, 6),
        ("class", "", "Cart", 9, 7, 20),
        ("constructor", "Cart", "__init__", 12, 9, 13),
        ("method", "Cart", "add", 15, 9, 16),
        ("method", "Cart", "checkout", 18, 9, 20),
        ("function", "", "receipt", 23, 5, 24),
    ]


def test_find_symbol_ranks_exact_names_first_and_filters_by_kind(shop) -> None:
    found = shop("find_symbol", query="cart")
    assert [(s.name, s.kind, s.path, s.line) for s in found][:1] == [
        ("Cart", "class", "shop/cart.py", 9)
    ]
    methods = shop("find_symbol", query="checkout", kind="method")
    assert [(s.container, s.name) for s in methods] == [("Cart", "checkout")]
    assert shop("find_symbol", query="no_such_symbol_anywhere") == []


def test_callers_and_callees_one_level_then_deeper(shop) -> None:
    callers = shop("callers", path="shop/cart.py", line=23, column=5)
    assert [(c.symbol.container, c.symbol.name, c.depth) for c in callers] == [
        ("Cart", "checkout", 1)
    ]
    assert [(s.path, s.line, s.column) for s in callers[0].sites] == [("shop/cart.py", 20, 16)]
    deeper = shop("callers", path="shop/cart.py", line=4, column=5, depth=2)
    assert ("order", 1) in [(c.symbol.name, c.depth) for c in deeper]
    callees = shop("callees", path="shop/cart.py", line=18, column=9)
    assert all(isinstance(c, Call) for c in callees)
    assert {c.symbol.name for c in callees} == {"total", "receipt"}


def test_diagnostics_of_files_folders_and_the_workspace(tmp_path: Path, caller) -> None:
    root = write_tree(
        tmp_path / "broken",
        {"app/ok.py": "x: int = 1\n", "app/bad.py": "x: int = 'a'\nprint(undefined_name)\n"},
    )
    call = caller(root)
    expected = [
        ("app/bad.py", 1, 10, "invalid-assignment"),
        ("app/bad.py", 2, 7, "unresolved-reference"),
    ]
    for paths in (["app/bad.py"], ["app"], None):
        found = call("diagnostics", paths=paths)
        assert all(isinstance(d, CodeDiagnostic) and d.severity == "error" for d in found)
        assert [(d.path, d.line, d.column, d.code) for d in found] == expected
    assert call("diagnostics", paths=["app/ok.py"]) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"path": "shop/cart.py", "line": 0, "column": 1}, "line 0 is outside"),
        ({"path": "shop/cart.py", "line": 99, "column": 1}, "line 99 is outside"),
        ({"path": "shop/cart.py", "line": 4, "column": 80}, "column 80 is outside"),
        ({"path": "shop/missing.py", "line": 1, "column": 1}, "does not exist"),
        ({"path": "../outside.py", "line": 1, "column": 1}, "outside"),
    ],
)
def test_bad_positions_and_paths_get_a_clear_error(shop, arguments, message) -> None:
    with pytest.raises((ValueError, FileNotFoundError, ToolRefused), match=message):
        shop("definition", **arguments)


def test_a_killed_server_is_restarted_once_then_reported_unavailable(shop) -> None:
    first = shop("references", path="shop/cart.py", line=4, column=5)
    server = ty_server.server_for(shop.root)
    os.kill(server._connection.process.pid, signal.SIGKILL)
    server._connection.process.wait()
    again = shop("references", path="shop/cart.py", line=4, column=5)
    assert again == first
    # A second death: no more restarts, a typed answer instead.
    os.kill(server._connection.process.pid, signal.SIGKILL)
    server._connection.process.wait()
    result = shop("references", path="shop/cart.py", line=4, column=5)
    assert isinstance(result, NavUnavailable) and "died again" in result.reason


def test_a_server_that_cannot_start_gives_a_typed_unavailable_result(
    shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "ty"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(broken.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(ty_server, "ty_binary", lambda: str(broken))
    result = shop("definition", path="shop/cart.py", line=4, column=5)
    assert isinstance(result, NavUnavailable) and not result.available
    assert "failed to start" in result.reason
    # It stays unavailable for a while instead of retrying on every call.
    assert isinstance(shop("symbols", path="shop/cart.py"), NavUnavailable)


def test_a_dead_server_whose_restart_fails_is_unavailable(
    shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop("symbols", path="shop/cart.py")
    server = ty_server.server_for(shop.root)
    os.kill(server._connection.process.pid, signal.SIGKILL)
    server._connection.process.wait()
    monkeypatch.setattr(ty_server, "ty_binary", lambda: "/nonexistent/ty")
    result = shop("symbols", path="shop/cart.py")
    assert isinstance(result, NavUnavailable)
    assert "failed to start" in result.reason


def test_an_idle_server_stops_and_starts_again_on_the_next_query(
    shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    monkeypatch.setattr(ty_server, "IDLE_STOP", 0.2)
    first = shop("symbols", path="shop/cart.py")
    assert ty_server.running_server(shop.root) is not None
    deadline = time.monotonic() + 5
    while ty_server.running_server(shop.root) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ty_server.running_server(shop.root) is None
    assert shop("symbols", path="shop/cart.py") == first
