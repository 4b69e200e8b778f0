"""Applying a code block a model showed to the file it was shown (recorded 1.5B replies)."""

from __future__ import annotations

from punie_core.agent.apply import apply_block, apply_shown_code, asks_for_a_change

CALC = (
    "def add(a: int, b: int) -> int:\n    return a - b\n\n\n"
    "def mul(a: int, b: int) -> int:\n    return a * b\n"
)
RENDER = (
    '"""Rendering."""\nimport os\n\n\ndef greeting(name: str) -> str:\n    return "<p>" + name\n'
)


def test_a_shown_function_replaces_the_one_of_the_same_name_and_nothing_else() -> None:
    shown = "# The bug is in add.\ndef add(a: int, b: int) -> int:\n    return a + b\n"
    assert apply_block(CALC, shown) == CALC.replace("return a - b", "return a + b")


def test_the_blocks_imports_the_file_lacks_are_added_after_its_own() -> None:
    shown = (
        "from html import escape\n\n"
        'def greeting(name: str) -> str:\n    return "<p>" + escape(name)\n'
    )
    assert apply_block(RENDER, shown) == (
        '"""Rendering."""\nimport os\nfrom html import escape\n\n\n'
        'def greeting(name: str) -> str:\n    return "<p>" + escape(name)\n'
    )


def test_a_decorated_class_replaces_the_plain_one() -> None:
    models = "class User:\n    def __init__(self, name):\n        self.name = name\n"
    shown = "from dataclasses import dataclass\n\n@dataclass\nclass User:\n    name: str\n"
    assert apply_block(models, shown) == (
        "from dataclasses import dataclass\n\n@dataclass\nclass User:\n    name: str\n"
    )


def test_a_block_that_defines_something_new_or_nothing_is_not_applied() -> None:
    assert apply_block(CALC, "def sub(a, b):\n    return a - b\n") is None
    assert apply_block(CALC, "print(add(1, 2))\n") is None
    assert apply_block(CALC, "def add(:\n") is None
    assert apply_block(CALC, "def add(a: int, b: int) -> int:\n    return a - b\n") is None
    assert apply_block(CALC, "def add(a: int, b: int) -> int:\n    ...\n") is None  # elided
    assert apply_block(CALC, "def add(a, b):\n    # rest of the code\n    return a + b\n") is None


def test_the_block_must_fit_exactly_one_shown_file_and_call_no_tool() -> None:
    reply = "Fixed:\n```python\ndef add(a: int, b: int) -> int:\n    return a + b\n```\nDone."
    files = {"app/calc.py": CALC, "tests/test_calc.py": "def test_add():\n    assert 1\n"}
    assert apply_shown_code(reply, files, {"write_file"}) == (
        "app/calc.py",
        CALC.replace("return a - b", "return a + b"),
    )
    both = {"a.py": CALC, "b.py": CALC}
    assert apply_shown_code(reply, both, {"write_file"}) is None
    calling = "```python\nwrite_file(path='x', content='def add(): ...')\n```"
    assert apply_shown_code(calling, files, {"write_file"}) is None


def test_only_a_request_for_a_change_is_applied() -> None:
    assert asks_for_a_change("Find the bug in app/calc.py and fix it.")
    assert asks_for_a_change("Escape it with html.escape.")
    assert not asks_for_a_change("Which URL paths does app/routes.py define?")
    assert not asks_for_a_change("How many lines does app/models.py have?")
