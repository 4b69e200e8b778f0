"""The real `punie` CLI in a subprocess: plugin report, escape hatches, stderr, help, imports."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

import pytest

from .conftest import ROOT, run_punie, subprocess_env

FIELDS = [
    "name",
    "distribution",
    "version",
    "status",
    "error",
    "tools",
    "nouns",
    "skills",
    "validators",
]
BROKEN = {
    "importerror",
    "sysexit",
    "badsig",
    "unknownhook",
    "raises",
    "wrongtype",
    "defaulted",
    "badrender",
    "skillnofm",
    "skillbadname",
    "claimscore",
    "dupa",
    "dupb",
    "rulea",
    "ruleb",
    "twin",
}


def test_plugins_json_runs_with_every_kind_of_broken_plugin_installed() -> None:
    result = run_punie("plugins", "--json")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)  # nothing a plugin printed leaked into stdout
    assert list(payload) == ["punie", "plugins", "library"]
    assert payload["library"] == []  # no model-written tools in this directory
    assert payload["punie"] == "0.1.0"
    for entry in payload["plugins"]:
        assert list(entry) == FIELDS
    statuses = {(e["name"], e["distribution"]): e["status"] for e in payload["plugins"]}
    assert statuses[("core", "punie")] == "active"
    assert statuses[("good", "punie-fake-good")] == "active"
    assert statuses[("objplugin", "punie-fake-obj")] == "active"
    assert statuses[("decline", "punie-fake-decline")] == "skipped"
    for entry in payload["plugins"]:
        if entry["name"] in BROKEN:
            assert entry["status"] in ("failed", "conflict"), entry
            assert entry["error"] and entry["tools"] == []
    good = next(e for e in payload["plugins"] if e["name"] == "good")
    assert good["tools"] == ["shout"] and good["skills"] == ["fake-echo"]
    assert "noisy plugin says hello" in result.stderr


def test_plugins_table_shows_status_and_reason() -> None:
    result = run_punie("plugins")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "DISTRIBUTION", "VERSION", "STATUS", "ADDS", "/", "ERROR"]
    assert lines[1].split()[:4] == ["core", "punie", "0.1.0", "active"]
    row = next(line for line in lines if line.startswith("good "))
    assert row.split()[1:4] == ["punie-fake-good", "1.0", "active"]
    assert row.endswith("1 tool, 1 noun, 1 skill, 1 validator, 1 term")
    row = next(line for line in lines if line.startswith("unknownhook "))
    assert "failed" in row and "did you mean 'punie_tools'?" in row


def test_plugins_verbose_lists_names() -> None:
    result = run_punie("plugins", "--verbose", env={"PUNIE_LOAD_PLUGINS": "good"})
    assert "    tools: shout" in result.stdout
    assert "    skills: fake-echo" in result.stdout


def test_broken_plugins_are_reported_once_on_stderr_and_stubs_still_print() -> None:
    result = run_punie("stubs")
    assert result.returncode == 0, result.stderr
    ast.parse(result.stdout)
    assert "def shout(text: str) -> Echo:" in result.stdout
    warnings = [line for line in result.stderr.splitlines() if line.startswith("punie: plugin")]
    for name in BROKEN - {"twin"}:
        assert sum(f"plugin {name!r} " in line for line in warnings) == 1, name
    assert sum("plugin 'twin' " in line for line in warnings) == 2  # two distributions
    assert not any("'decline'" in line for line in warnings)  # declining is not an error


def test_empty_load_plugins_leaves_only_the_core() -> None:
    result = run_punie("plugins", "--json", env={"PUNIE_LOAD_PLUGINS": ""})
    payload = json.loads(result.stdout)
    active = [e["name"] for e in payload["plugins"] if e["status"] == "active"]
    assert active == ["core"]


def test_disable_plugins_from_the_environment() -> None:
    result = run_punie("plugins", "--json", env={"PUNIE_DISABLE_PLUGINS": "good,objplugin"})
    payload = json.loads(result.stdout)
    status = {e["name"]: e["status"] for e in payload["plugins"]}
    assert status["good"] == status["objplugin"] == "skipped"


def test_strict_plugins_reraises_in_the_cli() -> None:
    result = run_punie(
        "plugins", "--json", env={"PUNIE_STRICT_PLUGINS": "1", "PUNIE_LOAD_PLUGINS": "raises"}
    )
    assert result.returncode != 0
    assert "PluginError" in result.stderr and "boom in punie_tools" in result.stderr


@pytest.mark.parametrize("command", ["plugins", "stubs", "prompt", "skills"])
def test_every_introspection_command_has_help(command: str) -> None:
    result = run_punie(command, "--help", fakes=False)
    assert result.returncode == 0
    assert result.stdout.startswith(f"usage: punie {command}")


def test_top_level_help_and_version() -> None:
    assert run_punie("--version", fakes=False).stdout.strip() == "punie 0.1.0"
    result = run_punie("--help", fakes=False)
    assert result.returncode == 0
    for command in ("plugins", "stubs", "prompt", "skills"):
        assert f"    {command} " in result.stdout


def test_skills_lists_names_and_prints_one_body() -> None:
    env = {"PUNIE_LOAD_PLUGINS": "good"}
    listing = run_punie("skills", env=env)
    # The core's own skill (spec-first, from punie_core.specs) is listed beside the plugin's.
    assert listing.stdout.splitlines() == [
        "fake-echo   (good)  How to shout with the fake plugin.",
        "spec-first  (core)  Work from the feature's spec and the project's standards. "
        "Load before feature work.",
    ]
    body = run_punie("skills", "fake-echo", env=env)
    assert body.stdout.startswith("# Shouting")
    missing = run_punie("skills", "nope", env=env)
    assert missing.returncode == 1 and "available: fake-echo, spec-first" in missing.stderr


def test_prompt_tokens_goes_to_stderr() -> None:
    result = run_punie("prompt", "--tokens", env={"PUNIE_LOAD_PLUGINS": ""})
    assert result.stdout.startswith("You are Punie")
    assert result.stderr.strip().startswith("~") and result.stderr.strip().endswith("tokens")


HEAVY = ("pydantic_ai", "pydantic_monty", "acp", "libcst", "openai", "starlette", "uvicorn")


def imported_after(argv: list[str], env: dict[str, str] | None = None) -> set[str]:
    code = (
        "import contextlib, io, sys\n"
        "from punie_core.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        main({argv!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    full_env = subprocess_env(**(env or {}))
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=full_env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_help_imports_no_heavy_library() -> None:
    modules = imported_after(["--help"])
    assert not modules & set(HEAVY)
    assert "pydantic" not in modules and "yaml" not in modules


def test_plugins_command_imports_no_heavy_library_with_every_installed_plugin() -> None:
    modules = imported_after(["plugins", "--json"])
    assert not modules & set(HEAVY), "a plugin entry module imports a heavy library at import time"
