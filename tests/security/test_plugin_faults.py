"""Plugin faults are never fatal: exits, hanging imports, prints, names that shadow builtins."""

from __future__ import annotations

import asyncio
import builtins
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from punie_core.plugins.context import ToolContext, using_context
from punie_core.plugins.hookspecs import hookimpl
from punie_core.plugins.loader import (
    SANDBOX_BUILTINS,
    Candidate,
    candidate_from_object,
    load_toolbox,
    module_from_functions,
)
from punie_core.plugins.records import Tool
from punie_core.plugins.toolbox import ToolCrashed


def status(toolbox, name: str) -> tuple[str, str]:
    info = next(i for i in toolbox.plugins if i.name == name)
    return info.status, info.error or ""


def load_with(*candidates: Candidate):
    return load_toolbox(entry_points=False, extra=candidates, strict=False)


def test_a_hook_raising_system_exit_excludes_only_that_plugin() -> None:
    @hookimpl
    def punie_tools():
        raise SystemExit(3)

    toolbox = load_with(candidate_from_object(module_from_functions("exits", punie_tools), "exits"))
    assert status(toolbox, "exits") == ("failed", "collect: SystemExit: 3")
    assert toolbox.tool("read_file").plugin == "core"


def test_a_hook_raising_keyboard_interrupt_is_not_taken_for_a_real_ctrl_c() -> None:
    @hookimpl
    def punie_tools():
        raise KeyboardInterrupt("from the plugin, not the person")

    toolbox = load_with(candidate_from_object(module_from_functions("ki", punie_tools), "ki"))
    assert status(toolbox, "ki")[0] == "failed"


def test_a_plugin_whose_import_hangs_is_excluded_after_the_deadline(monkeypatch) -> None:
    monkeypatch.setenv("PUNIE_PLUGIN_IMPORT_TIMEOUT", "0.5")

    def hang():
        time.sleep(30)

    started = time.monotonic()
    toolbox = load_with(Candidate(name="hangs", distribution="test", version="0", load=hang))
    assert time.monotonic() - started < 10
    state, error = status(toolbox, "hangs")
    assert state == "failed" and "did not finish within 0.5 s" in error


def test_prints_at_import_and_in_a_tool_never_reach_stdout(capfd) -> None:
    def shout(text: str) -> str:
        """Upper-case a text."""
        print("PLUGIN TOOL NOISE")
        return text.upper()

    @hookimpl
    def punie_tools():
        print("PLUGIN HOOK NOISE")
        yield Tool(shout)

    def load():
        print("PLUGIN IMPORT NOISE")
        return module_from_functions("noisy", punie_tools)

    toolbox = load_with(Candidate(name="noisy", distribution="test", version="0", load=load))
    assert status(toolbox, "noisy")[0] == "active"

    async def call() -> str:
        with using_context(ToolContext.local(Path.cwd())):
            return await toolbox.call("shout", ("hi",))

    assert asyncio.run(call()) == "HI"
    out, err = capfd.readouterr()
    assert "NOISE" not in out
    for noise in ("IMPORT", "HOOK", "TOOL"):
        assert f"PLUGIN {noise} NOISE" in err


def test_punie_exec_json_stays_clean_when_a_tool_prints(tmp_path: Path) -> None:
    # A real process whose stdout carries one JSON answer, while a plugin tool prints.
    script = tmp_path / "run.py"
    script.write_text(
        textwrap.dedent(
            """
            import asyncio, json, sys
            from punie_core.plugins.context import ToolContext, using_context
            from punie_core.plugins.hookspecs import hookimpl
            from punie_core.plugins.loader import (
                candidate_from_object, load_toolbox, module_from_functions
            )
            from punie_core.plugins.records import Tool

            def noisy() -> str:
                \"\"\"Print and return.\"\"\"
                print("noise on stdout")
                return "ok"

            @hookimpl
            def punie_tools():
                yield Tool(noisy)

            plugin = candidate_from_object(module_from_functions("n", punie_tools), "n")
            tb = load_toolbox(entry_points=False, extra=[plugin])
            async def main():
                with using_context(ToolContext.local(sys.argv[1])):
                    return await tb.call("noisy")
            print(json.dumps({"result": asyncio.run(main())}))
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"result": "ok"}\n'
    assert "noise on stdout" in done.stderr


@pytest.mark.parametrize("name", ["print", "len", "range", "sorted", "isinstance", "open"])
def test_a_tool_named_like_a_builtin_is_refused_as_a_conflict(name: str) -> None:
    def impostor() -> str:
        """Shadow a builtin."""
        return "gotcha"

    impostor.__name__ = name

    @hookimpl
    def punie_tools():
        yield Tool(impostor, name=name)

    toolbox = load_with(
        candidate_from_object(module_from_functions("shadow", punie_tools), "shadow")
    )
    state, error = status(toolbox, "shadow")
    assert state == "conflict" and f"builtin {name!r}" in error
    assert name not in {t.name for t in toolbox.tools}


def test_the_reserved_names_cover_every_builtin_monty_gives_a_snippet() -> None:
    # Derived from Monty itself: each Python builtin name that a snippet can use in Monty.
    from pydantic_monty import Monty

    usable = []
    with Monty() as pool:
        for name in sorted(n for n in dir(builtins) if not n.startswith("_")):
            with pool.checkout() as session:
                try:
                    session.feed_run(name)
                except Exception:
                    continue
                usable.append(name)
    assert {"print", "len", "range", "sorted"} <= set(usable)
    assert set(usable) <= SANDBOX_BUILTINS


def test_a_tool_raising_system_exit_is_its_error_and_punie_lives_on(tmp_path: Path) -> None:
    def quits() -> str:
        """Try to end the agent."""
        raise SystemExit(0)

    @hookimpl
    def punie_tools():
        yield Tool(quits)

    toolbox = load_with(candidate_from_object(module_from_functions("q", punie_tools), "q"))

    async def call() -> None:
        with using_context(ToolContext.local(tmp_path)):
            await toolbox.call("quits")

    with pytest.raises(ToolCrashed, match="quits raised SystemExit"):
        asyncio.run(call())


def test_a_validator_that_prints_and_exits_is_a_finding_not_the_end(tmp_path: Path, capfd) -> None:
    from punie_core.plugins.records import Finding, Validator
    from punie_core.validation.pipeline import check_paths

    def check(path: str, source: str) -> list[Finding]:
        print("VALIDATOR NOISE")
        raise SystemExit(2)

    @hookimpl
    def punie_validators():
        yield Validator(name="rude", layer="conventions", rules={"RUDE001": "rude"}, check=check)

    toolbox = load_with(
        candidate_from_object(module_from_functions("rude", punie_validators), "rude")
    )
    (tmp_path / "a.py").write_text("x = 1\n")
    report = check_paths([tmp_path], toolbox)
    assert any("SystemExit" in f.message for f in report.findings), report.findings
    out, err = capfd.readouterr()
    assert "VALIDATOR NOISE" not in out and "VALIDATOR NOISE" in err


RAW_WRITER = '''
import os, subprocess, sys
from punie_core import Tool, hookimpl, Validator

os.write(1, b"RAW-AT-IMPORT\\n")


def raw_echo(text: str) -> str:
    """Echo, after writing to file descriptor 1 directly and through a child process.

    Args:
        text: What to return.
    """
    os.write(1, b"RAW-IN-TOOL\\n")
    subprocess.run(["echo", "CHILD-ECHO"], check=True)
    return text


def check(path: str, source: str) -> list:
    os.write(1, b"RAW-IN-VALIDATOR\\n")
    subprocess.run(["echo", "CHILD-IN-VALIDATOR"], check=True)
    return []


@hookimpl
def punie_tools():
    yield Tool(raw_echo, kind="read")


@hookimpl
def punie_validators():
    yield Validator(name="raw", layer="conventions", rules={}, check=check)
'''


@pytest.fixture
def raw_writer_env(tmp_path: Path) -> dict[str, str]:
    """A real installed plugin (module + dist-info entry point) that writes to fd 1 itself."""
    site = tmp_path / "site"
    (site / "rt_raw-0.1.dist-info").mkdir(parents=True)
    (site / "rt_raw.py").write_text(RAW_WRITER)
    (site / "rt_raw-0.1.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: rt_raw\nVersion: 0.1\n"
    )
    (site / "rt_raw-0.1.dist-info" / "entry_points.txt").write_text("[punie]\nrt_raw = rt_raw\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = str(site) + os.pathsep + env.get("PYTHONPATH", "")
    env["PUNIE_HOME"] = str(tmp_path / "home")
    env["PUNIE_TRACES"] = "0"
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "views.py").write_text("x = 1\n")
    return env


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["exec", "--json", "-"], 'raw_echo(text="hi")\n'),
        (["plugins", "--json"], None),
        (["check", "--json", "."], None),
    ],
)
def test_writes_to_fd_1_by_a_plugin_or_its_child_never_reach_json_stdout(
    raw_writer_env, tmp_path: Path, args: list[str], stdin: str | None
) -> None:
    from tests.helpers.cli import run_cli

    done = run_cli(*args, env=raw_writer_env, cwd=tmp_path / "app", input=stdin, timeout=120)
    json.loads(done.stdout)  # the whole stdout is one JSON document
    assert "RAW-" not in done.stdout and "CHILD-" not in done.stdout
    assert "RAW-AT-IMPORT" in done.stderr  # the plugin did load and write: to stderr
    if args[0] == "exec":
        assert json.loads(done.stdout)["value"] == "hi"
        assert "RAW-IN-TOOL" in done.stderr and "CHILD-ECHO" in done.stderr
    if args[0] == "check":
        assert "RAW-IN-VALIDATOR" in done.stderr and "CHILD-IN-VALIDATOR" in done.stderr
