"""Every claim the system prompt's Code Mode section makes is checked against the real sandbox.

The prompt is kept short for small models: it claims a fresh session per call, no `open()`,
the importable modules (`IMPORTABLE`, rendered into `CODE_MODE`), catchable tool failures and
a runnable example. Each claim is checked here, and the constructs the subset supports or not
are checked too, so the prompt can say more later without guessing.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from punie_core.plugins.context import ToolContext
from punie_core.plugins.prompt import CODE_MODE, IMPORTABLE
from punie_core.plugins.toolbox import Toolbox
from punie_core.sandbox.results import CodeResult

from .conftest import run_many

TEXT = " ".join(CODE_MODE.split())


def snippet(text: str) -> str:
    return textwrap.dedent(text).strip() + "\n"


WORKS = {
    "functions": snippet("""
        def f(a, b=2, *args, c=3, **kw):
            return a + b + c + len(args) + len(kw)
        f(1, 2, 3, c=4, d=5)
    """),
    "comprehensions": snippet("""
        ([x * 2 for x in range(3)], {k: 1 for k in 'ab'}, {x for x in 'aa'},
         sum(x for x in range(4)))
    """),
    "f-strings": "n = 3.14159\nf'{n:.2f} {n!r} {1234567:,}'",
    "try/except": snippet("""
        try:
            1 / 0
        except ZeroDivisionError as e:
            r = str(e)
        finally:
            r = r + '!'
        r
    """),
    "match": snippet("""
        def kind(x):
            match x:
                case {'a': v}:
                    return v
                case [a, b]:
                    return a + b
                case _:
                    return 0
        (kind({'a': 1}), kind([1, 2]))
    """),
    "with": snippet("""
        class Cm:
            def __enter__(self):
                return 1
            def __exit__(self, *a):
                return False
        with Cm() as v:
            x = v
        x
    """),
    "@dataclass": snippet("""
        from dataclasses import dataclass, field
        @dataclass
        class A:
            x: int
            y: list = field(default_factory=list)
        A(x=1).x
    """),
    "simple classes": snippet("""
        class C:
            def __init__(self, n):
                self.n = n
            def double(self):
                return self.n * 2
        C(2).double()
    """),
}

NOT_SUPPORTED = {
    "inheritance": "class A:\n    pass\nclass B(A):\n    pass\nB()",
    "no custom exception classes": "class MyError(Exception):\n    pass\nraise MyError('x')",
    "yield": "def g():\n    yield 1\nlist(g())",
    "del": "x = [1, 2]\ndel x[0]\nx",
    "@property": "class A:\n    @property\n    def x(self):\n        return 1\nA().x",
    "@staticmethod": "class A:\n    @staticmethod\n    def x():\n        return 1\nA.x()",
    "super": "class A:\n    def f(self):\n        return super().f()\nA().f()",
    "open": "open('notes.txt').read()",
}

NO_ACCESS = {
    "file": "from pathlib import Path\nPath('notes.txt').read_text()",
    "file via os": "import os\nos.listdir('.')",
    "environment": "import os\nos.getenv('HOME')",
    "environ": "import os\nos.environ['HOME']",
    "network": "import socket",
    "network (urllib)": "import urllib.request",
    "commands": "import subprocess",
    "commands (os)": "import os\nos.system('true')",
}


def section(name: str, until: str) -> list[str]:
    """The comma- or space-separated items after `name:` up to `until`, from the prompt."""
    match = re.search(rf"{re.escape(name)}: (.*?)\.?\s*{re.escape(until)}", TEXT)
    assert match, f"the prompt no longer says {name!r} ... {until!r}"
    body = re.sub(r"\(([^)]*)\)", r", \1", match.group(1))  # "inheritance (no x)" lists both
    separator = "," if "," in body else " "
    return [item.strip() for item in body.split(separator) if item.strip()]


def importable() -> list[str]:
    return section("Importable", "A failed")


def run_all(toolbox: Toolbox, context: ToolContext, codes: list[str]) -> list[CodeResult]:
    return run_many(toolbox, context, codes)


def test_the_prompt_lists_exactly_the_importable_modules() -> None:
    assert importable() == list(IMPORTABLE)


def test_each_construct_said_to_work_runs(core_toolbox: Toolbox, context: ToolContext) -> None:
    results = run_all(core_toolbox, context, list(WORKS.values()))
    failures = {name: r.error for name, r in zip(WORKS, results, strict=True) if not r.ok}
    assert failures == {}


def test_each_construct_said_not_to_work_fails(core_toolbox: Toolbox, context: ToolContext) -> None:
    results = run_all(core_toolbox, context, list(NOT_SUPPORTED.values()))
    ran = [name for name, r in zip(NOT_SUPPORTED, results, strict=True) if r.ok]
    assert ran == []


def test_each_module_said_importable_imports(core_toolbox: Toolbox, context: ToolContext) -> None:
    modules = importable()
    results = run_all(core_toolbox, context, [f"import {m}\n'{m}'" for m in modules])
    assert {m: r.error for m, r in zip(modules, results, strict=True) if not r.ok} == {}


def test_there_is_no_file_network_or_environment_access(
    core_toolbox: Toolbox, context: ToolContext
) -> None:
    assert "No open(): use read_file and write_file" in TEXT
    results = run_all(core_toolbox, context, list(NO_ACCESS.values()))
    assert [name for name, r in zip(NO_ACCESS, results, strict=True) if r.ok] == []


def test_each_call_starts_fresh_and_returns_its_last_expression(
    core_toolbox: Toolbox, context: ToolContext
) -> None:
    assert "Code Mode is a Python subset; each snippet starts afresh" in TEXT
    first, second = run_all(core_toolbox, context, ["x = 41\nx + 1", "x"])
    assert first.value == 42
    assert not second.ok


def test_failed_tool_calls_raise_the_named_catchable_exceptions(
    core_toolbox: Toolbox, context: ToolContext
) -> None:
    assert "A failed tool call raises an exception you can catch" in TEXT
    code = (
        "caught = []\n"
        "for attempt in ['write', 'missing', 'pattern']:\n"
        "    try:\n"
        "        if attempt == 'write':\n"
        "            write_file('x.txt', 'y')\n"
        "        elif attempt == 'missing':\n"
        "            read_file('missing.txt')\n"
        "        else:\n"
        "            list_files('../*')\n"
        "    except PermissionError:\n"
        "        caught.append('PermissionError')\n"
        "    except FileNotFoundError:\n"
        "        caught.append('FileNotFoundError')\n"
        "    except ValueError:\n"
        "        caught.append('ValueError')\n"
        "caught"
    )
    [result] = run_all(core_toolbox, context, [code])
    assert result.ok, result.error
    assert result.value == ["PermissionError", "FileNotFoundError", "PermissionError"]
    large = context.workspace.root / "large.txt"
    large.write_text("x" * (1024 * 1024 + 1))
    [too_big] = run_all(
        core_toolbox,
        context,
        ["try:\n    m = read_file('large.txt')\nexcept ValueError as e:\n    m = str(e)\nm"],
    )
    assert too_big.ok and "larger than" in too_big.value


def test_the_example_runs_as_shown(
    core_toolbox: Toolbox, context: ToolContext, workspace: Path
) -> None:
    example = CODE_MODE.split("Example:\n", 1)[1]
    [result] = run_all(core_toolbox, context, [example])
    assert result.ok, result.error
    assert sorted(result.stdout.splitlines()) == ["pkg/models.py 2", "pkg/views.py 2"]


@pytest.mark.parametrize("module", ["os", "sys", "pathlib", "asyncio"])
def test_modules_not_advertised_exist_but_grant_no_access(
    core_toolbox: Toolbox, context: ToolContext, module: str
) -> None:
    # Not listed on purpose (they only confuse small models); importing them grants nothing.
    [result] = run_all(core_toolbox, context, [f"import {module}\n1"])
    assert result.ok
