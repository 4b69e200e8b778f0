"""The isolating loader on fake installed distributions: each failure kind is excluded alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from punie_core.plugins.loader import PluginError, load_toolbox
from punie_core.plugins.toolbox import Toolbox

CORE_TOOLS = {"list_files", "load_skill", "read_file", "run_command", "tool_help", "write_file"}
# Spec-driven work (punie_core.specs) registers through the core plugin too.
CORE_TOOLS |= {"context_layers", "spec_check", "spec_show", "spec_status"}
# So do model-written tools (punie_core.toolmaking).
CORE_TOOLS |= {"make_tool", "promote_tool"}

# entry point -> (status, phase, words the error must contain)
FAILURES: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "importerror": ("failed", "load", ("ModuleNotFoundError", "punie_fake_missing_dependency")),
    "sysexit": ("failed", "load", ("SystemExit", "3")),
    "decline": ("skipped", None, ("needs libfake>=2",)),
    "badsig": ("failed", "validate", ("PluginValidationError", "config")),
    "unknownhook": (
        "failed",
        "validate",
        ("unknown hook 'punie_tool'", "did you mean 'punie_tools'"),
    ),
    "raises": ("failed", "collect", ("RuntimeError", "boom in punie_tools")),
    "wrongtype": ("failed", "collect", ("yielded str", "expected Tool")),
    "defaulted": ("failed", "validate", ("defaults", "punie_render_stub(record)")),
    "badrender": ("failed", "render", ("returned int", "expected str")),
    "skillnofm": ("failed", "collect", ("no-frontmatter/SKILL.md", "missing '---' frontmatter")),
    "skillbadname": ("failed", "collect", ("Bad_Name/SKILL.md", "kebab-case")),
    "claimscore": (
        "conflict",
        "conflict",
        ("tool 'read_file'", "punie (core)", "punie-fake-claimscore"),
    ),
}


def by_name(toolbox: Toolbox) -> dict[str, object]:
    return {info.name: info for info in toolbox.plugins}


def assert_healthy_ones_work(toolbox: Toolbox) -> None:
    """The core and the healthy fake plugins are whole, and the model's views still build."""
    infos = by_name(toolbox)
    assert infos["core"].status == "active"
    assert infos["good"].status == "active", infos["good"].error
    names = {tool.name for tool in toolbox.tools}
    assert CORE_TOOLS | {"shout"} <= names
    assert toolbox.tool("read_file").plugin == "core"
    assert [s.name for s in toolbox.skills if s.plugin == "good"] == ["fake-echo"]
    assert [v.name for v in toolbox.validators if v.plugin == "good"] == ["fake_todo"]
    assert "def shout(text: str) -> Echo:" in toolbox.stubs
    assert "good tools: shout(text)" in toolbox.prompt


@pytest.mark.parametrize("kind", sorted(FAILURES))
def test_each_failure_kind_excludes_only_that_plugin(fake_site: Path, clean_env, kind: str) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", f"good,{kind}")
    toolbox = load_toolbox()
    status, phase, words = FAILURES[kind]
    info = by_name(toolbox)[kind]
    assert (info.status, info.phase) == (status, phase)
    for word in words:
        assert word in info.error
    assert info.distribution == f"punie-fake-{kind}"
    assert info.records == {}
    assert not [t for t in toolbox.tools if t.plugin == kind]
    assert_healthy_ones_work(toolbox)


def test_everything_broken_at_once_still_loads_the_healthy_plugins(fake_site: Path) -> None:
    toolbox = load_toolbox()
    infos = by_name(toolbox)
    for kind, (status, _, _) in FAILURES.items():
        assert infos[kind].status == status, (kind, infos[kind].error)
    assert infos["objplugin"].status == "active"
    assert "whisper" in {t.name for t in toolbox.tools}
    assert_healthy_ones_work(toolbox)


def test_duplicate_tool_name_excludes_both_plugins_and_names_both_distributions(
    fake_site, clean_env
) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "good,dupa,dupb")
    toolbox = load_toolbox()
    infos = by_name(toolbox)
    for name in ("dupa", "dupb"):
        assert infos[name].status == "conflict"
        assert "fake_duplicate" in infos[name].error
        assert "punie-fake-dupa" in infos[name].error and "punie-fake-dupb" in infos[name].error
    assert "fake_duplicate" not in {t.name for t in toolbox.tools}
    assert_healthy_ones_work(toolbox)


def test_plugin_claiming_a_core_tool_loses_and_the_core_keeps_it(fake_site, clean_env) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "claimscore")
    toolbox = load_toolbox()
    assert by_name(toolbox)["claimscore"].status == "conflict"
    assert by_name(toolbox)["core"].status == "active"
    read_file = toolbox.tool("read_file")
    assert (read_file.plugin, read_file.description) == (
        "core",
        "Read a UTF-8 text file of the workspace.",
    )


def test_duplicate_rule_id_excludes_both_plugins(fake_site, clean_env) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "good,rulea,ruleb")
    toolbox = load_toolbox()
    infos = by_name(toolbox)
    for name in ("rulea", "ruleb"):
        assert infos[name].status == "conflict"
        assert "rule id 'DUP001'" in infos[name].error
        assert "punie-fake-rulea" in infos[name].error and "punie-fake-ruleb" in infos[name].error
    assert [v.name for v in toolbox.validators] == ["fake_todo"]


def test_two_distributions_with_one_plugin_name_are_both_excluded(fake_site, clean_env) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "good,twin")
    toolbox = load_toolbox()
    twins = [info for info in toolbox.plugins if info.name == "twin"]
    assert sorted(i.distribution for i in twins) == ["punie-fake-twin-a", "punie-fake-twin-b"]
    assert {i.status for i in twins} == {"conflict"}
    assert "punie-fake-twin-a, punie-fake-twin-b" in twins[0].error
    assert not [t for t in toolbox.vocabulary if t.plugin == "twin"]


def test_object_plugin_from_module_attribute_entry_point(fake_site, clean_env) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "objplugin")
    toolbox = load_toolbox()
    info = by_name(toolbox)["objplugin"]
    assert (info.status, info.distribution, info.version) == ("active", "punie-fake-obj", "2.0")
    assert info.names("tools") == ["whisper"]


def test_plugin_prints_go_to_stderr_never_stdout(fake_site, clean_env, capsys) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "noisy")
    toolbox = load_toolbox()
    assert by_name(toolbox)["noisy"].status == "active"
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "noisy hook says hello" in captured.err  # (its import may have run in an earlier test)


def test_disable_plugins_skips_the_listed_ones(fake_site, clean_env) -> None:
    clean_env.setenv("PUNIE_DISABLE_PLUGINS", "good, objplugin")
    toolbox = load_toolbox()
    infos = by_name(toolbox)
    for name in ("good", "objplugin"):
        assert infos[name].status == "skipped"
        assert "PUNIE_DISABLE_PLUGINS" in infos[name].error
    assert "shout" not in {t.name for t in toolbox.tools}
    assert infos["core"].status == "active"


def test_disable_accepts_distribution_names(fake_site, clean_env) -> None:
    clean_env.setenv("PUNIE_DISABLE_PLUGINS", "punie-fake-good")
    assert by_name(load_toolbox())["good"].status == "skipped"


def test_empty_load_plugins_means_builtins_only(fake_site, clean_env) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "")
    toolbox = load_toolbox()
    active = [info.name for info in toolbox.plugins if info.status == "active"]
    assert active == ["core"]
    assert {t.name for t in toolbox.tools} == CORE_TOOLS
    assert all(info.status == "skipped" for info in toolbox.plugins if not info.builtin)


def test_load_plugins_is_an_allow_list(fake_site, clean_env) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "good")
    toolbox = load_toolbox()
    active = sorted(info.name for info in toolbox.plugins if info.status == "active")
    assert active == ["core", "good"]


def test_strict_mode_reraises_the_first_failure(fake_site, clean_env) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "good,importerror")
    clean_env.setenv("PUNIE_STRICT_PLUGINS", "1")
    with pytest.raises(
        PluginError, match=r"'importerror' \(punie-fake-importerror\) load: ModuleNotFoundError"
    ) as caught:
        load_toolbox()
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_strict_mode_does_not_raise_for_a_declining_plugin(fake_site, clean_env) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "good,decline")
    clean_env.setenv("PUNIE_STRICT_PLUGINS", "1")
    assert by_name(load_toolbox())["decline"].status == "skipped"


def test_strict_argument_overrides_the_environment(fake_site, clean_env) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "raises")
    with pytest.raises(PluginError, match="boom in punie_tools"):
        load_toolbox(strict=True)


def test_plugins_are_sorted_core_first_then_by_name(fake_site) -> None:
    toolbox = load_toolbox()
    names = [(info.name, info.distribution) for info in toolbox.plugins]
    assert names[0] == ("core", "punie")
    assert names[1:] == sorted(names[1:])


def test_json_shape_is_exact(fake_site, clean_env) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "good")
    info = by_name(load_toolbox())["good"]
    assert info.as_dict() == {
        "name": "good",
        "distribution": "punie-fake-good",
        "version": "1.0",
        "status": "active",
        "error": None,
        "tools": ["shout"],
        "nouns": ["Echo"],
        "skills": ["fake-echo"],
        "validators": ["fake_todo"],
    }
