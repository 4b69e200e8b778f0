"""The domain plugins as plugins: light entry modules, stubs, skills, vocabulary, rule docs."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from punie_core.validation.pipeline import CORE_RULES

DOCS = Path(__file__).parents[2] / "docs/rules.md"


def test_entry_modules_and_toolbox_do_not_import_libcst() -> None:
    script = textwrap.dedent(
        """
        import sys
        import punie_svcs.plugin, punie_tdom.plugin
        from punie_core.plugins.loader import candidate_from_object, load_toolbox
        box = load_toolbox(entry_points=False, extra=[
            candidate_from_object(punie_tdom.plugin, "tdom"),
            candidate_from_object(punie_svcs.plugin, "svcs"),
        ], strict=True)
        box.stubs, box.prompt
        print(sorted(m for m in ("libcst", "svcs", "punie_tdom.analysis") if m in sys.modules))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stderr


def test_verbs_and_nouns_are_in_the_stubs(toolbox) -> None:
    stubs = toolbox.stubs
    ast.parse(stubs)
    for name in (
        "def list_components(path: str = '.') -> list[ComponentSpec]:",
        "def validate_component(",
        "def scaffold_component(spec: ComponentSpec) -> ComponentScaffold:",
        "def list_services(path: str = '.') -> list[ServiceRegistration]:",
        "def list_middleware(path: str = '.') -> list[MiddlewareSpec]:",
        "def validate_service_registry(path: str = '.') -> list[Diagnostic]:",
        "def validate_middleware_chain(path: str = '.') -> list[Diagnostic]:",
        "def check_state_transitions(path: str = '.') -> list[Diagnostic]:",
        "class ComponentSpec:",
        "class Prop:",
        "class ServiceRegistration:",
        "class MiddlewareSpec:",
    ):
        assert name in stubs, name


def test_skills_and_vocabulary_are_collected(toolbox) -> None:
    skills = {s.name: s for s in toolbox.skills}
    assert set(skills) >= {"tdom-components", "svcs-services"}
    assert set(skills["tdom-components"].references) == {"patterns.md", "rules.md"}
    assert set(skills["svcs-services"].references) == {
        "lifecycle.md",
        "middleware.md",
        "registry.md",
    }
    terms = {t.name: t.plugin for t in toolbox.vocabulary}
    assert terms["component"] == "tdom" and terms["registration"] == "svcs"


def test_every_rule_id_is_documented(toolbox) -> None:
    text = DOCS.read_text()
    rules = {rule for v in toolbox.validators for rule in v.rules} | set(CORE_RULES)
    assert len(rules) >= 30
    missing = sorted(r for r in rules if f"`{r}`" not in text)
    assert missing == []
