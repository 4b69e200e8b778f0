"""The system prompt: compact, byte-stable, skills as a catalogue, vocabulary, size estimate."""

from __future__ import annotations

from pathlib import Path

from punie_core import Skill, Term, Tool, hookimpl
from punie_core.plugins.loader import load_toolbox
from punie_core.plugins.prompt import CODE_MODE, estimate_tokens

from .test_stubs import assert_snapshot

CORE_BUDGET = 600


def test_core_prompt_snapshot(clean_env) -> None:
    prompt = load_toolbox(entry_points=False).prompt
    assert prompt.count(CODE_MODE) == 1
    # The Code Mode paragraph belongs to the sandbox; the snapshot covers everything around it.
    assert_snapshot("core_prompt.txt", prompt.replace(CODE_MODE, "<CODE_MODE>"))


def test_prompt_lists_skills_by_name_and_description_only(fake_site: Path, clean_env) -> None:
    clean_env.setenv("PUNIE_LOAD_PLUGINS", "good")
    prompt = load_toolbox().prompt
    assert "- fake-echo: How to shout with the fake plugin." in prompt
    assert "Call `shout(text)`" not in prompt  # the body loads on demand
    # Tools are one group line per plugin, parameters only; the summary is behind tool_help.
    assert "shout(text)" in prompt and "say in capitals" not in prompt


def test_prompt_depends_on_nothing_but_the_plugins(tmp_path: Path, clean_env, monkeypatch) -> None:
    first = load_toolbox(entry_points=False).prompt
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    second = load_toolbox(entry_points=False).prompt
    assert first == second
    assert str(tmp_path) not in second and "/work" not in second


def test_prompt_order_does_not_depend_on_registration_order(punie_pm) -> None:
    def make(name: str):
        def tool() -> str:
            return name

        tool.__name__ = tool.__qualname__ = name
        tool.__doc__ = f"Tool {name}."

        class Plugin:
            @hookimpl
            def punie_tools(self):
                yield Tool(tool)

            @hookimpl
            def punie_vocabulary(self):
                yield Term(name, "a word")

        return Plugin()

    from punie_core.plugins.loader import candidate_from_object

    a = candidate_from_object(make("alpha_tool"), "a")
    b = candidate_from_object(make("beta_tool"), "b")
    one = load_toolbox(entry_points=False, extra=[a, b], strict=True)
    two = load_toolbox(entry_points=False, extra=[b, a], strict=True)
    assert one.prompt == two.prompt and one.stubs == two.stubs
    assert one.prompt.index("alpha_tool()") < one.prompt.index("beta_tool()")


def test_skill_body_reaches_the_model_only_through_load_skill(
    tmp_path: Path, punie_register, punie_toolbox_factory
) -> None:
    skill_dir = tmp_path / "demo-skill"
    skill_dir.mkdir()
    (skill_dir / "SKILL.md").write_text(
        "---\nname: demo-skill\ndescription: A demo.\n---\nSECRET BODY\n"
    )

    @hookimpl
    def punie_skills():
        yield Skill.from_path(skill_dir)

    punie_register(punie_skills, name="demo")
    toolbox = punie_toolbox_factory()
    assert "demo-skill: A demo." in toolbox.prompt
    assert "SECRET BODY" not in toolbox.prompt
    assert toolbox.skill("demo-skill").body.strip() == "SECRET BODY"


def test_estimate_tokens_matches_the_cl100k_split_on_small_cases() -> None:
    # Exact cl100k_base counts of these strings, for reference: 0, 2, 3, 4, 2, 11.
    assert estimate_tokens("") == 0
    assert estimate_tokens("hello world") == 2
    assert estimate_tokens("a b c") == 3
    assert estimate_tokens("read_file(path)") == 4  # read, _file, (, path)
    assert estimate_tokens("   \n\t") == 2
    assert estimate_tokens("def f(x: int) -> str:\n    ...") == 11


def test_estimate_tokens_charges_long_words_by_length() -> None:
    assert estimate_tokens("a" * 7) == 1
    assert estimate_tokens("a" * 8) == 2
    assert estimate_tokens("1234567") == 3  # digit groups of up to three


def test_the_cores_own_prompt_stays_small(clean_env) -> None:
    # The whole prompt's goal (<= 1,500 tokens with the three first-party plugins) is tracked by
    # bench/bench_prompt.py; what the core itself adds must leave most of it to the plugins.
    tokens = estimate_tokens(load_toolbox(entry_points=False).prompt)
    assert tokens <= CORE_BUDGET, f"the core-only system prompt is ~{tokens} tokens"


def test_result_types_are_behind_tool_help_not_in_the_prompt(fake_site: Path, clean_env) -> None:
    from punie_core.builtin.disclosure import help_text

    clean_env.setenv("PUNIE_LOAD_PLUGINS", "good")
    toolbox = load_toolbox()
    assert "WriteResult" not in toolbox.prompt and "Echo(" not in toolbox.prompt
    shown = help_text(toolbox, "write_file")
    assert "def write_file(" in shown and "class WriteResult" in shown
