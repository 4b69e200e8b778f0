"""The plugin docs run: the tutorial is built from writing.md; every hook example is a plugin."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import tomllib
import types
from pathlib import Path

import pytest

from punie_core.plugins.context import ToolContext, using_context
from punie_core.plugins.hookspecs import PunieSpecs
from punie_core.plugins.loader import candidate_from_object, load_toolbox
from punie_core.testing import assert_plugin_contract

from .conftest import ROOT, run_punie, subprocess_env

DOCS = ROOT / "docs" / "plugins"
FILE_BLOCK = re.compile(r"<!-- file: (?P<path>\S+) -->\n```\w*\n(?P<body>.*?)```", re.DOTALL)
PYTHON_BLOCK = re.compile(r"```python\n(?P<body>.*?)```", re.DOTALL)


def build_tutorial(directory: Path) -> Path:
    """Write every `<!-- file: ... -->` block of writing.md, plus a dist-info from its pyproject."""
    text = (DOCS / "writing.md").read_text()
    for match in FILE_BLOCK.finditer(text):
        target = directory / match["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(match["body"])
    project = tomllib.loads((directory / "pyproject.toml").read_text())["project"]
    info = directory / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    points = project["entry-points"]["punie"]
    (info / "entry_points.txt").write_text(
        "[punie]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
    )
    return directory


@pytest.fixture
def tutorial(tmp_path: Path, clean_env: pytest.MonkeyPatch) -> Path:
    site = build_tutorial(tmp_path / "site")
    clean_env.syspath_prepend(str(site))
    for name in [m for m in sys.modules if m.startswith("punie_routes")]:
        del sys.modules[name]
    return site


def test_tutorial_plugin_keeps_the_contract(tutorial: Path) -> None:
    import punie_routes.plugin

    info = assert_plugin_contract(punie_routes.plugin, name="routes")
    assert {kind: info.names(kind) for kind in ("tools", "nouns", "skills", "validators")} == {
        "tools": ["find_routes"],
        "nouns": ["Route"],
        "skills": ["routes"],
        "validators": ["route_paths"],
    }


def test_tutorial_tool_runs_through_the_gate(tutorial: Path, tmp_path: Path) -> None:
    import punie_routes.plugin

    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(
        '@app.get("/users")\ndef users(): ...\n\n@app.post("items")\ndef add(): ...\n'
    )
    toolbox = load_toolbox(
        entry_points=False,
        extra=[candidate_from_object(punie_routes.plugin, "routes")],
        strict=True,
    )
    with using_context(ToolContext.local(project)):
        routes = asyncio.run(toolbox.call("find_routes", ()))
        with pytest.raises(PermissionError):
            asyncio.run(toolbox.call("find_routes", ("../**/*.py",)))
    assert [(r.method, r.path, r.line) for r in routes] == [
        ("GET", "/users", 1),
        ("POST", "items", 4),
    ]
    validator = next(v for v in toolbox.validators if v.name == "route_paths")
    findings = validator.check("app.py", (project / "app.py").read_text())
    assert [(f.rule, f.line) for f in findings] == [("RTE001", 4)]


def test_tutorial_is_discovered_through_its_entry_point_by_the_real_cli(tutorial: Path) -> None:
    result = run_punie("plugins", "--json", fakes=False, env={"PYTHONPATH": str(tutorial)})
    entry = next(e for e in json.loads(result.stdout)["plugins"] if e["name"] == "routes")
    assert (entry["distribution"], entry["status"], entry["tools"]) == (
        "punie-routes",
        "active",
        ["find_routes"],
    )


def test_tutorial_tests_and_testing_md_examples_pass_with_the_pytest11_fixtures(
    tutorial: Path,
) -> None:
    tests = tutorial / "tests"
    testing_md = (DOCS / "testing.md").read_text()
    blocks = [m["body"] for m in PYTHON_BLOCK.finditer(testing_md)]
    # The fixture examples and the gate example are whole test modules once given their imports.
    (tests / "test_fixtures_examples.py").write_text(blocks[1])
    (tests / "test_gate_example.py").write_text("import punie_routes.plugin\n" + blocks[2])
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
        cwd=tutorial,
        capture_output=True,
        text=True,
        timeout=120,
        env={**_env_without_punie(), "PYTHONPATH": str(tutorial)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout


def _env_without_punie() -> dict[str, str]:
    return subprocess_env()


def test_every_hook_reference_example_is_a_working_plugin(tutorial: Path) -> None:
    examples = [m["body"] for m in PYTHON_BLOCK.finditer((DOCS / "hooks.md").read_text())]
    hooks = [name for name in dir(PunieSpecs) if name.startswith("punie_")]
    assert len(examples) == 1 + len(hooks)  # the import line and one per hook
    for index, source in enumerate(examples[1:]):
        module = types.ModuleType(f"hooks_example_{index}")
        exec(compile(source, f"hooks.md example {index + 1}", "exec"), module.__dict__)
        toolbox = load_toolbox(
            entry_points=False,
            extra=[candidate_from_object(module, f"example{index}")],
            strict=True,
        )
        info = next(i for i in toolbox.plugins if i.name == f"example{index}")
        assert info.hooks, f"hooks.md example {index + 1} implements no hook"
