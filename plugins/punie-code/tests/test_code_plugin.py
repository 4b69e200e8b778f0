"""The plugin as Punie sees it: contract, kinds, prompt budget, vocabulary, installation."""

from __future__ import annotations

import punie_code.plugin
import pytest

from punie_core.testing import assert_plugin_contract

TOOLS = {
    "callees": "search",
    "callers": "search",
    "definition": "read",
    "diagnostics": "read",
    "extract_function": "read",
    "find_symbol": "search",
    "git_blame": "read",
    "git_diff": "read",
    "git_log": "read",
    "git_status": "read",
    "hover": "read",
    "move_symbol": "read",
    "references": "read",
    "rename_symbol": "read",
    "symbols": "search",
}


def test_plugin_contract() -> None:
    info = assert_plugin_contract(punie_code.plugin, "code")
    assert set(info.names("tools")) == set(TOOLS)
    assert {"Location", "Symbol", "References", "RefactorPlan", "GitStatus"} <= set(
        info.names("nouns")
    )
    assert info.names("skills") == ["code-navigation"]


def test_installed_entry_point_is_active(code_toolbox) -> None:
    info = next(i for i in code_toolbox.plugins if i.name == "code")
    assert (info.status, info.distribution) == ("active", "punie-code")
    assert "punie_workspace_changed" in info.hooks


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_tools_never_write_without_asking_and_keep_short_summaries(code_toolbox, name) -> None:
    tool = code_toolbox.tool(name)
    assert tool.kind == TOOLS[name] and not tool.needs_permission
    assert len(tool.description.split()) <= 12, tool.description


def test_nouns_have_the_fields_the_issue_names(code_toolbox) -> None:
    from punie_code import nouns

    assert list(nouns.Location.model_fields) == ["path", "line", "column", "end_line", "end_column"]
    assert {"name", "kind", "path", "line", "end_line", "container"} <= set(
        nouns.Symbol.model_fields
    )
    assert {"locations", "count"} <= set(nouns.References.model_fields)
    assert {"diffs", "files", "occurrences", "conflicts", "applied"} <= set(
        nouns.RefactorPlan.model_fields
    )
    assert {"branch", "clean", "files"} <= set(nouns.GitStatus.model_fields)
    assert {"path", "index", "worktree", "original_path"} <= set(nouns.GitFileStatus.model_fields)


def test_the_prompt_lists_the_tools_and_the_skill_and_the_terms_exist(code_toolbox) -> None:
    prompt = code_toolbox.prompt
    assert "code-navigation" in prompt
    assert all(name in prompt for name in TOOLS)
    assert {t.name for t in code_toolbox.vocabulary} >= {"position", "plan"}
