"""Pytest plugin for Punie plugin authors (entry point `pytest11`): fixtures and a contract check.

Every fixture is namespaced (`punie_*`) and none is autouse, so installing Punie changes
nothing in a project that does not ask for them. Punie itself is imported only inside the
fixtures, so collecting an unrelated test suite does not pay for it.

    def test_contract():
        import punie_tdom.plugin
        assert_plugin_contract(punie_tdom.plugin)

    def test_installed(punie_installed):
        info = punie_installed("punie-tdom")
        assert info.status == "active", info.error

    def test_my_tool(punie_register, punie_toolbox_factory):
        punie_register(my_plugin_module)
        toolbox = punie_toolbox_factory()
        assert "my_tool" in [t.name for t in toolbox.tools]
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import pluggy

    from punie_core.plugins.loader import Candidate
    from punie_core.plugins.records import PluginInfo
    from punie_core.plugins.toolbox import Toolbox

__all__ = [
    "PluginHarness",
    "assert_plugin_contract",
    "contract_problems",
    "corpus_cases",
    "documented_args",
    "expected_findings",
    "punie_installed",
    "punie_pm",
    "punie_register",
    "punie_toolbox_factory",
]


class PluginHarness:
    """A fresh, strict set of plugins for one test: the core plus what the test registers.

    No entry points are loaded, so installed plugins never leak into the test, and every
    plugin failure raises `punie_core.plugins.loader.PluginError` instead of being reported.

    Attributes:
        manager: A real pluggy manager with Punie's hookspecs, the default stub renderer,
            the core plugin and every plugin registered so far (for calling hooks directly).
    """

    __test__ = False

    def __init__(self, builtins: bool = True) -> None:
        from punie_core.plugins.loader import core_candidate, new_manager

        self.builtins = builtins
        self.candidates: list[Candidate] = []
        self.manager: pluggy.PluginManager = new_manager()
        if builtins:
            core = core_candidate()
            self.manager.register(core.load(), name=core.name)

    def register(
        self,
        *plugins: Any,
        name: str | None = None,
        distribution: str = "test-plugin",
        version: str = "0",
    ) -> Any:
        """Register a module, an object, or loose `@hookimpl` functions as one plugin.

        Args:
            plugins: One module or object, or several hookimpl functions (bundled into one
                throwaway module).
            name: The plugin's name; defaults to the module's or object's name.
            distribution: The distribution name it reports.
            version: The version it reports.

        Returns:
            The registered plugin object.
        """
        from punie_core.plugins.loader import candidate_from_object, module_from_functions

        if not plugins:
            raise TypeError("register() needs a module, an object or hookimpl functions")
        if len(plugins) == 1 and not inspect.isfunction(plugins[0]):
            plugin = plugins[0]
        else:
            plugin = module_from_functions(name or "test_plugin", *plugins)
        name = name or _plugin_name(plugin)
        self.manager.register(plugin, name=name)
        self.candidates.append(candidate_from_object(plugin, name, distribution, version))
        return plugin

    def toolbox(self, strict: bool = True) -> Toolbox:
        """Build the merged toolbox of the core and the registered plugins, through the real loader.

        Args:
            strict: Raise on the first plugin failure (turn off to test failure reports).
        """
        from punie_core.plugins.loader import load_toolbox

        return load_toolbox(
            entry_points=False, extra=self.candidates, strict=strict, builtins=self.builtins
        )


def _plugin_name(plugin: Any) -> str:
    """`tdom` for the module `punie_tdom.plugin`, `mine` for `mine`, else the class name."""
    name = getattr(plugin, "__name__", None) or type(plugin).__name__
    parts = name.split(".")
    if len(parts) > 1 and parts[-1] == "plugin":
        parts.pop()
    return parts[-1].removeprefix("punie_").lower()


def pytest_configure(config: pytest.Config) -> None:
    # Projects link tests to spec requirements with `@pytest.mark.spec("FR-001")`
    # (docs/specs.md); registering it keeps `--strict-markers` runs passing wherever Punie is.
    config.addinivalue_line(
        "markers", "spec(*ids): the spec requirements this test covers, e.g. FR-001 (Punie)"
    )


@pytest.fixture
def punie_pm() -> PluginHarness:
    """A fresh, strict `PluginHarness`: the core only, no entry points, dropped after the test."""
    return PluginHarness()


@pytest.fixture
def punie_register(punie_pm: PluginHarness) -> Callable[..., Any]:
    """Register a plugin (module, object or loose hookimpls) for the duration of one test."""
    return punie_pm.register


@pytest.fixture
def punie_toolbox_factory(punie_pm: PluginHarness) -> Callable[..., Toolbox]:
    """Build the toolbox of the core plus every plugin registered with `punie_register`."""
    return punie_pm.toolbox


@pytest.fixture
def punie_installed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], PluginInfo]]:
    """Load one installed distribution's entry points through the real loader; return its report.

    The loader runs non-strict with the environment's escape hatches cleared, so a broken
    plugin shows up as `status == "failed"` with the reason in `error`.
    """

    def load(distribution: str) -> PluginInfo:
        from punie_core.plugins.loader import entry_point_candidates, load_toolbox

        for variable in ("PUNIE_LOAD_PLUGINS", "PUNIE_DISABLE_PLUGINS", "PUNIE_STRICT_PLUGINS"):
            monkeypatch.delenv(variable, raising=False)
        candidates = entry_point_candidates(distribution)
        if not candidates:
            pytest.fail(
                f"{distribution} has no entry point in the group 'punie': is it installed, "
                "and does its pyproject.toml declare [project.entry-points.punie]?"
            )
        toolbox = load_toolbox(entry_points=False, extra=candidates, strict=False)
        return next(info for info in toolbox.plugins if not info.builtin)

    yield load


def documented_args(doc: str | None) -> set[str]:
    """Parameter names documented in a Google-style docstring's `Args:` section."""
    from punie_core.plugins.contract import documented_args as parse

    return parse(doc)


def contract_problems(plugin: Any, name: str | None = None) -> list[str]:
    """Every way a plugin breaks the Punie plugin contract (an empty list when it keeps it).

    Args:
        plugin: The plugin module or object (what its entry point loads).
        name: The plugin's name; defaults to the module's last dotted part.
    """
    return _check_contract(plugin, name)[0]


def _check_contract(plugin: Any, name: str | None) -> tuple[list[str], PluginInfo | None]:
    import ast

    from punie_core.plugins.contract import tool_problems
    from punie_core.plugins.loader import PluginError, candidate_from_object, load_toolbox
    from punie_core.plugins.records import RecordError, Skill

    name = name or _plugin_name(plugin)
    try:
        toolbox = load_toolbox(
            entry_points=False, extra=[candidate_from_object(plugin, name)], strict=True
        )
    except PluginError as exc:
        return [str(exc)], None
    info = next(i for i in toolbox.plugins if i.name == name)
    problems: list[str] = []
    if not info.hooks:
        problems.append(f"plugin {name!r} implements no punie_* hook")
    for tool in info.tools:
        problems += tool_problems(tool)
    for noun in info.nouns:
        if not inspect.getdoc(noun.model) or noun.model.__doc__ is None:
            problems.append(f"noun {noun.name!r} has no docstring")
    for skill in info.skills:
        if not skill.path:
            problems.append(
                f"skill {skill.name!r} was not read from a SKILL.md (use Skill.from_package)"
            )
            continue
        try:
            Skill.from_path(skill.path.removesuffix("SKILL.md").rstrip("/\\"))
        except RecordError as exc:
            problems.append(str(exc))
        if not skill.body.strip():
            problems.append(f"skill {skill.name!r} ({skill.path}) has an empty body")
    for validator in info.validators:
        if not validator.rules:
            problems.append(f"validator {validator.name!r} declares no rule ids")
        for rule, description in validator.rules.items():
            if not isinstance(description, str) or not description.strip():
                problems.append(f"validator {validator.name!r}: rule {rule} has no description")
    for record_name, text in toolbox.stub_texts.items():
        try:
            ast.parse(text)
        except SyntaxError as exc:
            problems.append(f"stub of {record_name!r} does not parse: {exc}")
    try:
        ast.parse(toolbox.stubs)
    except SyntaxError as exc:
        problems.append(f"the stub module does not parse: {exc}")
    return problems, info


def assert_plugin_contract(plugin: Any, name: str | None = None) -> PluginInfo:
    """Run every collection hook of a plugin through the real loader and check what it yields.

    Checks: hook names and signatures (no parameters with defaults), record types, unique
    names (also against the core's), tools fully annotated with a summary line and an
    `Args:` entry for every parameter, nouns with docstrings, skills read from a SKILL.md
    whose frontmatter is valid, validators with described rule ids, and stubs that parse.

    Args:
        plugin: The plugin module or object (what its entry point loads).
        name: The plugin's name; defaults to the module's last dotted part.

    Returns:
        The plugin's report, for further assertions on what it adds.

    Raises:
        AssertionError: Listing every problem found.
    """
    problems, info = _check_contract(plugin, name)
    if problems or info is None:
        raise AssertionError("plugin breaks the Punie contract:\n- " + "\n- ".join(problems))
    return info


def corpus_cases(fixtures: Path) -> list[str]:
    """The projects of a validator's corpus: the subdirectories of `fixtures`, sorted by name.

    Args:
        fixtures: The corpus directory (one small project per subdirectory).
    """
    return sorted(p.name for p in fixtures.iterdir() if p.is_dir())


def expected_findings(case: Path) -> set[tuple[str, int, str]]:
    """The findings a corpus project expects, from its `expected.txt`.

    Each line is `path:line RULE`, the path relative to the project; a project without the
    file (a good one) expects none.

    Args:
        case: The project directory.

    Returns:
        `(path, line, rule)` for every expected finding.
    """
    file = case / "expected.txt"
    if not file.exists():
        return set()
    found = set()
    for line in file.read_text().splitlines():
        where, rule = line.split()
        path, number = where.rsplit(":", 1)
        found.add((path, int(number), rule))
    return found
