"""`punie_core.testing`: the fixtures, the contract check, and that it stays inert when unused."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest
from pydantic import BaseModel

from punie_core import Noun, Skill, Tool, Validator, hookimpl
from punie_core.plugins.loader import PluginError
from punie_core.testing import PluginHarness, contract_problems, documented_args

from .conftest import subprocess_env


def documented(text: str, number: int) -> int:
    """Add numbers.

    Args:
        text: A text.
        number: A number.
    """
    return number


def module(name: str, **members: object) -> types.ModuleType:
    plugin = types.ModuleType(name)
    for key, value in members.items():
        setattr(plugin, key, value)
    return plugin


def tools_plugin(*functions) -> types.ModuleType:
    @hookimpl
    def punie_tools():
        for function in functions:
            yield Tool(function)

    return module("tools_plugin", punie_tools=punie_tools)


def test_a_clean_plugin_has_no_contract_problems() -> None:
    assert contract_problems(tools_plugin(documented)) == []


def test_contract_finds_undocumented_and_unannotated_parameters() -> None:
    def sloppy(text, count: int = 1):
        """Do something.

        Args:
            text: A text.
            ghost: Not a parameter.
        """

    problems = contract_problems(tools_plugin(sloppy))
    assert "tool 'sloppy': parameter 'text' has no type annotation" in problems
    assert "tool 'sloppy': no return annotation" in problems
    assert "tool 'sloppy': docstring has no `Args:` entry for count" in problems
    assert "tool 'sloppy': `Args:` documents unknown parameters ghost" in problems


def test_contract_finds_a_noun_without_docstring_and_a_skill_without_file() -> None:
    class Bare(BaseModel):
        value: int

    @hookimpl
    def punie_nouns():
        yield Noun(Bare)

    @hookimpl
    def punie_skills():
        yield Skill(name="inline", description="Made up in code.", body="text")

    problems = contract_problems(
        module("mixed", punie_nouns=punie_nouns, punie_skills=punie_skills)
    )
    assert "noun 'Bare' has no docstring" in problems
    assert any("skill 'inline' was not read from a SKILL.md" in p for p in problems)


def test_contract_finds_a_rule_without_description() -> None:
    @hookimpl
    def punie_validators():
        yield Validator(name="quiet", layer="syntax", rules={"QUI001": ""}, check=lambda p, s: [])

    problems = contract_problems(module("rules", punie_validators=punie_validators))
    assert problems == ["validator 'quiet': rule QUI001 has no description"]


def test_contract_reports_loader_failures_with_the_reason() -> None:
    @hookimpl
    def punie_tools(verbose=False):
        return []

    problems = contract_problems(module("defaults", punie_tools=punie_tools))
    assert len(problems) == 1 and "parameters with defaults" in problems[0]


def test_contract_flags_a_plugin_without_hooks() -> None:
    assert contract_problems(module("empty")) == ["plugin 'empty' implements no punie_* hook"]


def test_contract_rejects_a_tool_named_like_a_core_tool() -> None:
    def read_file(path: str) -> str:
        """Read.

        Args:
            path: Path.
        """
        return ""

    problems = contract_problems(tools_plugin(read_file))
    assert len(problems) == 1 and "tool 'read_file' is claimed by punie (core)" in problems[0]


def test_assert_plugin_contract_lists_every_problem() -> None:
    from punie_core.testing import assert_plugin_contract

    def a(x: int) -> int:
        """A."""
        return x

    def b(y: int) -> int:
        """B."""
        return y

    with pytest.raises(AssertionError) as caught:
        assert_plugin_contract(tools_plugin(a, b))
    assert "entry for x" in str(caught.value) and "entry for y" in str(caught.value)


def test_documented_args_reads_google_sections() -> None:
    doc = """Summary.

    Args:
        first: One.
        second (int): Two,
            continued.
        *rest: More.

    Returns:
        nothing: not an arg.
    """
    assert documented_args(doc) == {"first", "second", "rest"}
    assert documented_args("No sections.") == set()


def test_punie_pm_is_fresh_strict_and_has_only_the_core(punie_pm: PluginHarness) -> None:
    assert [name for name, _ in punie_pm.manager.list_name_plugin()] == ["core-renderer", "core"]
    toolbox = punie_pm.toolbox()
    assert [info.name for info in toolbox.plugins] == ["core"]

    @hookimpl
    def punie_tools():
        raise RuntimeError("boom")

    punie_pm.register(punie_tools, name="exploding")
    with pytest.raises(PluginError, match="boom"):
        punie_pm.toolbox()


def test_punie_register_accepts_an_object_and_hooks_can_be_called_directly(
    punie_pm: PluginHarness, punie_register
) -> None:
    class Plugin:
        @hookimpl
        def punie_tools(self):
            yield Tool(documented)

    punie_register(Plugin(), name="direct", distribution="punie-direct")
    results = [list(r) for r in punie_pm.manager.hook.punie_tools()]
    assert sorted(t.name for batch in results for t in batch) == sorted(
        [
            "documented",
            "read_file",
            "write_file",
            "list_files",
            "run_command",
            "load_skill",
            "tool_help",
            # spec-driven work and model-written tools register through the core plugin too
            "context_layers",
            "spec_check",
            "spec_show",
            "spec_status",
            "make_tool",
            "promote_tool",
        ]
    )
    info = next(i for i in punie_pm.toolbox().plugins if i.name == "direct")
    assert (info.distribution, info.status) == ("punie-direct", "active")


def test_registrations_do_not_leak_between_tests(punie_pm: PluginHarness) -> None:
    assert "direct" not in {name for name, _ in punie_pm.manager.list_name_plugin()}


@pytest.mark.parametrize("distribution", ["punie-quality", "punie_quality"])
def test_punie_installed_loads_one_distribution_through_the_real_loader(
    punie_installed, distribution: str
) -> None:
    info = punie_installed(distribution)
    assert (info.name, info.distribution) == ("quality", "punie-quality")
    assert info.status == "active", info.error


def test_punie_installed_ignores_the_escape_hatches(punie_installed, monkeypatch) -> None:
    monkeypatch.setenv("PUNIE_LOAD_PLUGINS", "")
    assert punie_installed("punie-quality").status == "active"


def test_punie_installed_fails_clearly_for_a_missing_distribution(punie_installed) -> None:
    with pytest.raises(pytest.fail.Exception, match="punie-nope has no entry point"):
        punie_installed("punie-nope")


def test_the_pytest_plugin_is_inert_in_a_project_that_does_not_use_it(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text(
        "import sys\n\n"
        "def test_nothing_heavy_was_imported():\n"
        "    assert 'punie_core.plugins.loader' not in sys.modules\n"
        "    assert 'pydantic' not in sys.modules\n"
    )
    env = subprocess_env()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plain.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    fixtures = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--fixtures",
            "test_plain.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    for name in ("punie_pm", "punie_register", "punie_toolbox_factory", "punie_installed"):
        assert name in fixtures.stdout


def test_the_contract_names_a_first_party_module_after_its_entry_point() -> None:
    import punie_tdom.plugin

    from punie_core.testing import assert_plugin_contract

    assert assert_plugin_contract(punie_tdom.plugin).name == "tdom"
