"""Helpers for punie-code's tests: sample projects, git repositories, calls through the gate."""

from __future__ import annotations

import asyncio
import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from punie_core import AskCallback, PermissionRequest, Toolbox, ToolContext, using_context


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> dedented text) under `root`; return `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


class Caller:
    """Calls tools through `Toolbox.call` (the real gate) in a workspace; records permission
    requests and events."""

    def __init__(self, toolbox: Toolbox, root: Path, answer: bool = True) -> None:
        self.toolbox = toolbox
        self.root = root
        self.answer = answer
        self.requests: list[PermissionRequest] = []
        self.events: list[Any] = []
        self.files: Any = None
        self.during_approval: Any = None

    async def _ask(self, request: PermissionRequest) -> bool:
        self.requests.append(request)
        if self.during_approval is not None:
            self.during_approval()
        return self.answer and not request.sensitive

    def context(self) -> ToolContext:
        context = ToolContext.local(self.root, emit=self.events.append)
        context.permissions = AskCallback(self._ask)
        if self.files is not None:
            context.files = self.files
        return context

    def __call__(self, tool: str, /, **kwargs: Any) -> Any:
        async def run() -> Any:
            with using_context(self.context()):
                return await self.toolbox.call(tool, kwargs=kwargs)

        return asyncio.run(run())


# A function, a method and a local variable that share a name, plus a string holding it.
SHADOWING = {
    "pkg/__init__.py": "",
    "pkg/core.py": '''
        """Prices."""


        def total(prices: list[float]) -> float:
            """Sum the prices."""
            return sum(prices)


        class Cart:
            def __init__(self) -> None:
                self.prices: list[float] = []

            def total(self) -> float:
                return total(self.prices)

            def subtotal(self) -> float:
                total = 0.0
                for price in self.prices:
                    total += price
                return total


        LABEL = "total"
        ''',
    "pkg/use.py": """
        from pkg.core import Cart, total

        grand = total([1.0, 2.0])
        cart_sum = Cart().total()
        message = "the total is"
        """,
}
"""Lines (1-based): core.py 4 `def total`, 13 `def total(self)`, 14 `return total(...)` (the
function), 17 `total = 0.0` (a local), 23 the string; use.py 1 import, 3 call, 4 method call."""


SHOP = {
    "shop/__init__.py": "",
    "shop/cart.py": '''
        """A shopping cart."""


        def total(prices: list[float]) -> float:
            """Sum the prices."""
            return sum(prices)


        class Cart:
            """Items with prices."""

            def __init__(self) -> None:
                self.prices: list[float] = []

            def add(self, price: float) -> None:
                self.prices.append(price)

            def checkout(self) -> str:
                amount = total(self.prices)
                return receipt(amount)


        def receipt(amount: float) -> str:
            return f"paid {amount:.2f}"
        ''',
    "shop/orders.py": """
        from shop.cart import Cart, total


        def order(prices: list[float]) -> float:
            cart = Cart()
            for price in prices:
                cart.add(price)
            return total(cart.prices)
        """,
}
"""shop/cart.py: 4 `def total`, 9 `class Cart`, 18 `def checkout`, 19 `total(...)` call,
23 `def receipt`; shop/orders.py: 1 import, 8 `total(...)`."""


def git(root: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in `root` as a person would (a fixed identity and dates)."""
    full = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Ada Lovelace",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada Lovelace",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        "GIT_AUTHOR_DATE": "2026-01-02T03:04:05+00:00",
        "GIT_COMMITTER_DATE": "2026-01-02T03:04:05+00:00",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        **(env or {}),
    }
    completed = subprocess.run(
        ["git", *args], cwd=root, env=full, capture_output=True, text=True, check=True
    )
    return completed.stdout


def new_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    return root
