"""Helpers for punie-quality's tests: sample projects, calls through the gate, raw tool runs."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from punie_quality.environment import find_binary

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

    async def _ask(self, request: PermissionRequest) -> bool:
        self.requests.append(request)
        return self.answer and not request.sensitive

    def __call__(self, name: str, **kwargs: Any) -> Any:
        context = ToolContext.local(self.root, emit=self.events.append)
        context.permissions = AskCallback(self._ask)

        async def run() -> Any:
            with using_context(context):
                return await self.toolbox.call(name, kwargs=kwargs)

        return asyncio.run(run())


def raw(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a tool the way a person would, for comparison with our parsed result."""
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, encoding="utf-8", timeout=120, env=env
    )


def ruff_bin(root: Path) -> str:
    return find_binary("ruff", root).path


def ty_bin(root: Path) -> str:
    return find_binary("ty", root).path


CONCISE_RUFF = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[\w-]+):? (?P<msg>.*)$"
)
CONCISE_TY = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): "
    r"(?P<sev>error|warning|info)\[(?P<rule>[\w-]+)\] (?P<msg>.*)$"
)


def raw_ruff_concise(root: Path, *args: str) -> list[tuple[str, int, int, str]]:
    """(file, line, column, code) for every violation ruff's text output lists."""
    done = raw([ruff_bin(root), "check", "--output-format=concise", "--no-fix", *args], root)
    assert done.returncode in (0, 1), done.stderr
    found = []
    for line in done.stdout.splitlines():
        match = CONCISE_RUFF.match(line)
        if match:
            found.append((match["file"], int(match["line"]), int(match["col"]), match["code"]))
    return found


def raw_ty_concise(root: Path, *args: str) -> tuple[int, list[tuple[str, int, int, str, str]], str]:
    """ty's exit code, (file, line, column, severity, rule) per diagnostic, and its summary line."""
    done = raw([ty_bin(root), "check", "--output-format", "concise", *args], root)
    found = []
    summary = ""
    for line in done.stdout.splitlines():
        match = CONCISE_TY.match(line)
        if match:
            found.append(
                (match["file"], int(match["line"]), int(match["col"]), match["sev"], match["rule"])
            )
        elif line.startswith(("Found ", "All checks passed")):
            summary = line
    return done.returncode, found, summary


SUMMARY_WORDS = re.compile(r"(\d+) (failed|passed|skipped|xfailed|xpassed|errors?|deselected)")


def raw_pytest(
    root: Path, *args: str, python: str = sys.executable
) -> tuple[int, dict[str, int], list[str]]:
    """pytest's exit code, its final summary counts and its `-rA` short-summary lines."""
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    done = raw([python, "-m", "pytest", "-rA", "-p", "no:cacheprovider", *args], root, env)
    lines = done.stdout.splitlines()
    counts: dict[str, int] = {}
    final = [line for line in lines if line.startswith("=") and " in " in line]
    if final:
        for number, word in SUMMARY_WORDS.findall(final[-1]):
            counts["error" if word.startswith("error") else word] = int(number)
    summary = [
        line
        for line in lines
        if line.startswith(("PASSED ", "FAILED ", "ERROR ", "SKIPPED ", "XFAIL ", "XPASS "))
    ]
    return done.returncode, counts, summary


def make_venv(root: Path) -> Path:
    """A real (pip-less) virtual environment at `root/.venv`."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=True)
    return root / ".venv"


def site_packages(venv: Path) -> Path:
    return next(venv.glob("lib/python*/site-packages"))


LINT_PYPROJECT = """
[project]
name = "lintme"
version = "0"
requires-python = ">=3.11"

[tool.ruff]
target-version = "py311"

[tool.ruff.lint]
select = ["E", "F", "I", "UP", "B"]
"""

LINT_FILES = {
    "pyproject.toml": LINT_PYPROJECT,
    # 6 violations: F401 x2, UP045 (safe fixes), F821, B006 (unsafe fix), E722.
    "src/lintme/core.py": """
        import os
        import sys
        from typing import Optional


        def greet(name: Optional[str] = None) -> str:
            return "hi " + (name or undefined_name)


        def first(items=[]):
            try:
                return items[0]
            except:
                return None
        """,
    # 2 invalid-syntax.
    "src/lintme/broken.py": """
        def f(:
            pass
        """,
    # 1 F401 (safe fix), in a non-ASCII path.
    "src/lintme/ünï/mödule.py": """
        import json
        """,
    "src/lintme/clean.py": """
        def add(a: int, b: int) -> int:
            return a + b
        """,
}

TYPE_FILES = {
    "pyproject.toml": """
        [project]
        name = "typeme"
        version = "0"
        requires-python = ">=3.11"
        """,
    # 3 errors: invalid-return-type, unresolved-reference, invalid-argument-type.
    "src/typeme/errors.py": """
        def number() -> int:
            return "not a number"


        def use() -> int:
            return missing_name


        def takes_int(x: int) -> int:
            return x


        takes_int("text")
        """,
    # Only a warning (undefined-reveal) and an info (revealed-type): no errors.
    "src/typeme/warn_only.py": """
        x = reveal_type(1)
        """,
    # 1 error in a non-ASCII path.
    "src/typeme/ünï.py": """
        y: int = "s"
        """,
    # 2 invalid-syntax errors.
    "src/typeme/broken.py": """
        def f(:
            pass
        """,
}

TEST_FILES = {
    "pyproject.toml": """
        [project]
        name = "testme"
        version = "0"
        """,
    "tests/test_mix.py": """
        import pytest


        def test_pass():
            assert 1 + 1 == 2


        def test_fail():
            assert 2 + 2 == 5


        @pytest.fixture
        def broken():
            raise RuntimeError("fixture exploded")


        def test_error(broken):
            pass


        @pytest.fixture
        def bad_teardown():
            yield
            raise RuntimeError("teardown exploded")


        def test_teardown(bad_teardown):
            assert True


        @pytest.mark.skip(reason="not today")
        def test_skip():
            pass


        @pytest.mark.xfail(reason="known bug")
        def test_xfail():
            assert False


        @pytest.mark.xfail(reason="fixed already")
        def test_xpass():
            assert True


        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_param(n):
            assert n != 2
        """,
    "tests/test_ünï.py": """
        def test_café():
            assert "é".upper() == "É"
        """,
}
