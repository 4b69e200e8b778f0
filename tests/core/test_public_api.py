"""The public API plugins import: every name resolves, plugins use nothing else, old paths work."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys

import pytest

import punie_core

from .conftest import ROOT

PLUGIN_PACKAGES = sorted(ROOT.glob("plugins/*/punie_*"))


@pytest.mark.parametrize("name", sorted(punie_core._LAZY))
def test_every_public_name_resolves_to_the_object_its_module_defines(name: str) -> None:
    module = importlib.import_module(punie_core._LAZY[name])
    assert getattr(punie_core, name) is getattr(module, name)
    assert name in punie_core.__all__


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        punie_core.not_a_name  # noqa: B018


def test_importing_punie_core_loads_none_of_its_packages() -> None:
    code = "import sys, punie_core; print(sorted(m for m in sys.modules if 'punie_core' in m))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['punie_core']"


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("punie_core.context", ("ToolContext", "tool_context", "using_context")),
        ("punie_core.toolbox", ("workspace_path",)),
    ],
)
def test_import_paths_documented_by_punie_0_1_still_work(
    module: str, names: tuple[str, ...]
) -> None:
    old = importlib.import_module(module)
    for name in names:
        assert getattr(old, name) is getattr(punie_core, name)


@pytest.mark.parametrize("package", PLUGIN_PACKAGES, ids=lambda p: p.name)
def test_first_party_plugins_import_only_the_public_api(package) -> None:
    reached: list[str] = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            reached += [
                f"{path.relative_to(ROOT)}: {m}"
                for m in modules
                if m.startswith("punie_core.") and m != "punie_core.testing"
            ]
    assert reached == []
