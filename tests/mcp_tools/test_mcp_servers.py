"""Real MCP servers (stdio, streamable HTTP, SSE) as typed Code Mode functions, end to end.

Each test starts real server processes written on the `mcp` SDK (`mcp_servers.py`), connects
them with `McpServers`, and runs Code Mode snippets in the real Monty sandbox against the
toolbox they extend: typed results read by field, the gate's permission and confinement,
failures isolated per server, secrets masked, stub bytes stable.
"""

from __future__ import annotations

import asyncio
import json
import sys

import pytest

from punie_core.mcp.config import ServerSpec, from_acp
from punie_core.mcp.manager import McpServers, session_servers
from punie_core.plugins.context import AskCallback, AutoApprove, ToolContext, using_context
from punie_core.plugins.loader import load_toolbox
from tests.mcp_tools.conftest import SERVERS, stdio_entry

SECRET = "sk-test-0123456789-secret"


def spec(name: str, kind: str, **extra: object) -> ServerSpec:
    return ServerSpec(
        name=name, transport="stdio", command=sys.executable, args=(str(SERVERS), kind), **extra
    )  # type: ignore[arg-type]


async def run_snippet(servers: McpServers, code: str, context: ToolContext):
    from punie_core.sandbox.runner import execute_code, shutdown_pool

    await servers.settle(30)
    toolbox = servers.toolbox(load_toolbox())
    try:
        return await execute_code(code, toolbox=toolbox, context=context)
    finally:
        await shutdown_pool()


def test_typed_results_are_read_by_field_from_code_mode(project):
    async def scenario():
        servers = McpServers(
            [spec("basic", "basic"), spec("JetBrains", "jetbrains")], root=project
        ).start()
        try:
            result = await run_snippet(
                servers,
                "r = basic_echo(text='hello')\n"
                "print(r.text, r.length)\n"
                "p = jetbrains_get_file_problems(filePath='broken.py')\n"
                "print(p.filePath, len(p.errors), p.errors[0].line, p.errors[0].severity)\n"
                "s = jetbrains_search_text(q='greet')\n"
                "print([(i.filePath, i.startLine) for i in s.items])\n"
                "d = jetbrains_get_symbol_info(filePath='app.py', line=1, column=5)\n"
                "print(d.symbolInfo.name if d.symbolInfo else None)\n"
                "o = jetbrains_rename_refactoring(pathInProject='app.py', symbolName='greet', "
                "newName='welcome', preview=True)\n"
                "print(o.affects.usages if o.affects else 0)",
                ToolContext.local(project, yes=True),
            )
        finally:
            await servers.aclose()
        return result

    result = asyncio.run(scenario())
    assert result.ok, result.error
    lines = result.stdout.splitlines()
    assert lines[0] == "hello 5"
    assert lines[1] == "broken.py 1 1 ERROR"
    assert lines[2] == "[('app.py', 1), ('app.py', 6), ('broken.py', 1)]"
    assert lines[3] == "greet"
    assert lines[4] == "3"
    assert "welcome" not in (project / "app.py").read_text()  # a preview changes nothing


def test_http_and_sse_servers_work_like_stdio_ones(project, http_server):
    http_url = http_server("basic", "http")
    sse_url = http_server("basic", "sse")

    async def scenario():
        servers = McpServers(
            [
                from_acp({"type": "http", "name": "remote", "url": http_url, "headers": []}),
                from_acp({"type": "sse", "name": "legacy", "url": sse_url, "headers": []}),
            ],
            root=project,
        ).start()
        try:
            result = await run_snippet(
                servers,
                "print(remote_echo(text='over http').length, legacy_echo(text='sse').text)",
                ToolContext.local(project),
            )
            return result, servers.statuses()
        finally:
            await servers.aclose()

    result, statuses = asyncio.run(scenario())
    assert result.ok, result.error
    assert result.stdout.strip() == "9 sse"
    assert [(s.name, s.transport, s.state, s.tools) for s in statuses] == [
        ("legacy", "sse", "ready", 4),
        ("remote", "http", "ready", 4),
    ]


def test_a_writing_tool_asks_permission_and_a_refusal_is_respected(project):
    asked = []

    async def refuse(request):
        asked.append(request)
        return False

    async def scenario():
        servers = McpServers([spec("notes", "basic")], root=project).start()
        try:
            return await run_snippet(
                servers,
                "try:\n"
                "    notes_write_note(path='note.txt', text='x')\n"
                "except PermissionError as e:\n"
                "    print('refused:', e)\n"
                "print(notes_echo(text='read-only tools run without asking').length)",
                ToolContext.local(project, permissions=AskCallback(refuse)),
            )
        finally:
            await servers.aclose()

    result = asyncio.run(scenario())
    assert result.ok, result.error
    assert result.stdout.startswith("refused: notes_write_note(note.txt)")
    assert [r.tool for r in asked] == ["notes_write_note"]  # echo is read-only: not asked
    assert asked[0].paths == ("note.txt",)
    assert not (project / "note.txt").exists()


def test_path_arguments_are_confined_to_the_workspace(project):
    async def scenario():
        servers = McpServers([spec("JetBrains", "jetbrains")], root=project).start()
        try:
            return await run_snippet(
                servers,
                "try:\n"
                "    jetbrains_get_file_problems(filePath='../../etc/passwd')\n"
                "except PermissionError as e:\n"
                "    print('refused')\n",
                ToolContext.local(project, yes=True),
            )
        finally:
            await servers.aclose()

    result = asyncio.run(scenario())
    assert result.stdout.strip() == "refused", result


def test_failing_servers_are_reported_with_their_own_words_and_the_rest_work(project, monkeypatch):
    monkeypatch.setenv("PUNIE_MCP_CONNECT_TIMEOUT", "2")

    async def scenario():
        servers = McpServers(
            [
                spec("basic", "basic"),
                spec("crash", "crash"),
                spec("hang", "hang", connect_timeout=2.0),
                spec("malformed", "malformed"),
                spec("dies", "dies"),
                ServerSpec(name="missing", transport="stdio", command="/nonexistent/mcp-server"),
            ],
            root=project,
        ).start()
        try:
            result = await run_snippet(
                servers,
                "try:\n"
                "    dies_die()\n"
                "except Exception as e:\n"
                "    print('died')\n"
                "print(basic_echo(text='still fine').text)",
                ToolContext.local(project, yes=True),
            )
            await asyncio.sleep(0.3)
            return result, {s.name: s for s in servers.statuses()}
        finally:
            await servers.aclose()

    result, status = asyncio.run(scenario())
    assert result.stdout.splitlines() == ["died", "still fine"]
    assert status["basic"].state == "ready"
    assert status["crash"].state == "failed"
    assert "missing licence file" in status["crash"].error
    assert status["hang"].state == "failed"
    assert "no answer to initialize within 2 s" in status["hang"].error
    assert status["malformed"].state == "failed"
    assert "'strng' is not a JSON Schema type" in status["malformed"].error
    assert status["dies"].state == "failed" and "dying on request" in status["dies"].error
    assert status["missing"].state == "failed" and status["missing"].error


def test_secrets_never_reach_results_errors_or_status(project):
    async def scenario():
        servers = McpServers([spec("basic", "basic", env={"SECRET_TOKEN": SECRET})], root=project)
        servers.start()
        try:
            result = await run_snippet(
                servers, "print(basic_whoami())", ToolContext.local(project, yes=True)
            )
            return result, servers.public(), servers.toolbox(load_toolbox()).stubs
        finally:
            await servers.aclose()

    result, public, stubs = asyncio.run(scenario())
    assert result.stdout.strip() == "token=[secret]"
    shown = result.model_dump_json() + json.dumps(public) + stubs
    assert SECRET not in shown
    assert public[0]["config"]["env"] == ["SECRET_TOKEN"]  # the name, never the value


def test_stub_and_prompt_bytes_are_stable_across_runs(project):
    async def once() -> tuple[str, str]:
        servers = McpServers(
            [spec("JetBrains", "jetbrains"), spec("basic", "basic")], root=project
        ).start()
        try:
            await servers.settle(30)
            base = load_toolbox()
            first = servers.toolbox(base)
            assert servers.toolbox(base) is first  # unchanged tools: the same toolbox object
            return first.stubs, first.prompt
        finally:
            await servers.aclose()

    stubs_a, prompt_a = asyncio.run(once())
    stubs_b, prompt_b = asyncio.run(once())
    assert stubs_a == stubs_b and prompt_a == prompt_b
    assert "def jetbrains_get_file_problems(*, filePath: str" in stubs_a
    assert "-> JetbrainsGetFileProblems:" in stubs_a
    assert "class JetbrainsGetFileProblemsError:" in stubs_a
    assert "projectPath" not in stubs_a  # filled by Punie, never shown
    assert "ide_*: 6 more tools" in prompt_a


def test_a_server_with_many_tools_is_one_line_in_the_prompt(project, monkeypatch):
    import punie_core.mcp.manager as manager

    monkeypatch.setattr(manager, "FOLD_AFTER", 3)

    async def scenario():
        servers = McpServers([spec("JetBrains", "jetbrains")], root=project).start()
        try:
            await servers.settle(30)
            toolbox = servers.toolbox(load_toolbox())
            return toolbox.prompt, toolbox.stub_texts["jetbrains"]
        finally:
            await servers.aclose()

    prompt, listing = asyncio.run(scenario())
    assert "jetbrains_*: 4 more tools" in prompt
    assert "jetbrains_get_file_problems(" not in prompt
    assert "JetbrainsGetFileProblems" not in prompt  # its nouns are folded too
    assert "jetbrains_rename_refactoring(*, pathInProject: str" in listing


def test_ide_tools_answer_with_the_same_nouns_with_and_without_pycharm(project):
    code = (
        "p = ide_problems(paths=['broken.py'])\n"
        "print(type(p[0]).__name__, p[0].path, p[0].line)\n"
        "h = ide_search(q='greet')\n"
        "print(type(h[0]).__name__, h[0].path, h[0].line)\n"
        "o = ide_rename(path='app.py', symbol='greet', new_name='welcome')\n"
        "print(type(o).__name__, o.applied, o.usages)\n"
        "s = ide_symbol(path='app.py', line=6, column=7)\n"
        "print(type(s).__name__, s.name)\n"
    )

    async def scenario(specs):
        servers = McpServers(specs, root=project).start()
        try:
            return await run_snippet(servers, code, ToolContext.local(project, yes=True))
        finally:
            await servers.aclose()

    with_ide = asyncio.run(scenario([spec("idea", "jetbrains")]))
    without = asyncio.run(scenario([]))
    assert with_ide.ok and without.ok, (with_ide.error, without.error)
    kinds = [line.split()[0] for line in with_ide.stdout.splitlines()]
    assert kinds == [line.split()[0] for line in without.stdout.splitlines()]
    assert kinds == ["Problem", "Hit", "RenameOutcome", "SymbolDoc"]
    assert "RenameOutcome False 3" in with_ide.stdout and "RenameOutcome False 3" in without.stdout


def test_a_project_mcp_json_is_used_only_after_the_person_trusted_it(project, punie_home):
    (project / ".mcp.json").write_text(
        json.dumps(
            {"mcpServers": {"proj": {"command": sys.executable, "args": [str(SERVERS), "basic"]}}}
        )
    )
    answers = [False, True]
    asked = []

    async def answer(request):
        asked.append(request)
        return answers.pop(0)

    async def states():
        servers = session_servers(project, [], permissions=AskCallback(answer)).start()
        try:
            await servers.settle(30)
            return {s.name: s.state for s in servers.statuses()}
        finally:
            await servers.aclose()

    assert asyncio.run(states()) == {"proj": "untrusted"}
    assert asyncio.run(states()) == {"proj": "ready"}
    assert asyncio.run(states()) == {"proj": "ready"}  # remembered: not asked again
    assert len(asked) == 2 and asked[0].sensitive and asked[0].title.startswith("Trust .mcp.json")
    # `--yes` never trusts a project file by itself
    (project / ".mcp.json").write_text((project / ".mcp.json").read_text() + "\n")

    async def with_yes():
        servers = session_servers(project, [], permissions=AutoApprove()).start()
        try:
            await servers.settle(30)
            return servers.statuses()[0].state
        finally:
            await servers.aclose()

    assert asyncio.run(with_yes()) == "untrusted"


def test_client_servers_win_over_config_by_name_and_bad_entries_are_reported(project, punie_home):
    (punie_home / "mcp.json").write_text(
        json.dumps(
            {
                "mcpServers": {
                    "basic": {"command": "/nonexistent"},
                    "user": {"command": "x", "args": 3},
                }
            }
        )
    )

    async def scenario():
        servers = session_servers(
            project, [stdio_entry("basic", "basic"), {"name": "", "command": "x"}]
        ).start()
        try:
            await servers.settle(30)
            return {s.name: s for s in servers.statuses()}
        finally:
            await servers.aclose()

    status = asyncio.run(scenario())
    assert status["basic"].state == "ready" and status["basic"].source == "client"
    assert (
        status["mcp.json"].state == "failed" and "args must be a list" in status["mcp.json"].error
    )
    assert status["unnamed"].state == "failed" and "no name" in status["unnamed"].error


def test_plugin_tools_are_never_replaced(project):
    async def scenario():
        servers = McpServers([spec("read", "clash")], root=project).start()
        try:
            await servers.settle(30)
            toolbox = servers.toolbox(load_toolbox())
            return toolbox, servers.statuses()
        finally:
            await servers.aclose()

    # The server "read" with a tool "file" would be `read_file`: the core tool stays.
    toolbox, statuses = asyncio.run(scenario())
    assert toolbox.tool("read_file").plugin == "core"
    assert toolbox.tool("read_echo").plugin == "mcp:read"
    assert statuses[0].skipped == ["read_file: the name is taken"] and statuses[0].tools == 1


@pytest.mark.parametrize("name", ["ide_problems", "ide_rename", "ide_run"])
def test_ide_tools_have_short_first_docstring_lines(name):
    from punie_core.mcp.ide import ide_tools

    tool = next(t for t in ide_tools(None) if t.name == name)
    assert 0 < len(tool.description.split()) <= 12


def test_the_web_ui_session_summary_lists_the_servers_and_their_events(project):
    from punie_core.agent.session import Session
    from punie_core.web.hub import Hub

    async def scenario():
        servers = McpServers(
            [spec("basic", "basic", env={"SECRET_TOKEN": SECRET}), spec("crash", "crash")],
            root=project,
        )
        session = Session(cwd=project, mcp=servers, traces=False)
        hub = Hub()
        hub.bind_loop()
        hub.attach(session)
        servers.start()
        try:
            await servers.settle(30)
            await asyncio.sleep(0.05)
            view = hub.views[session.id]
            return view.summary(), [r.as_json() for r in view.records_after(0)]
        finally:
            await servers.aclose()

    summary, records = asyncio.run(scenario())
    rows = {row["name"]: row for row in summary["mcp_servers"]}
    assert rows["basic"]["state"] == "ready" and rows["basic"]["tools"] == 4
    assert rows["crash"]["state"] == "failed" and "missing licence file" in rows["crash"]["error"]
    assert any(r["type"] == "mcp_servers_changed" for r in records)
    assert SECRET not in json.dumps(summary) + json.dumps(records, default=str)


def test_a_tool_call_past_its_time_limit_fails_and_the_server_stays_usable(project):
    async def scenario():
        servers = McpServers([spec("slow", "nap", call_timeout=1.0)], root=project).start()
        try:
            return await run_snippet(
                servers,
                "try:\n"
                "    slow_nap(seconds=3)\n"
                "except TimeoutError as e:\n"
                "    print('timed out:', e)\n"
                "print(slow_echo(text='after').text)",
                ToolContext.local(project),
            )
        finally:
            await servers.aclose()

    result = asyncio.run(scenario())
    assert result.ok, result.error
    assert result.stdout.splitlines() == [
        "timed out: slow_nap took longer than its 1 s timeout",
        "after",
    ]


def test_a_changed_tool_list_reaches_the_toolbox_before_the_next_prompt(project):
    async def scenario():
        servers = McpServers([spec("g", "grows")], root=project, ide_tools=False).start()
        try:
            await servers.settle(30)
            base = load_toolbox()
            before = servers.toolbox(base)
            with using_context(ToolContext.local(project, yes=True)):
                await before.call("g_grow")
            for _ in range(100):  # the notification arrives on its own
                if servers.toolbox(base) is not before:
                    break
                await asyncio.sleep(0.05)
            after = servers.toolbox(base)
            return [t.name for t in before.tools], [t.name for t in after.tools]
        finally:
            await servers.aclose()

    before, after = asyncio.run(scenario())
    assert "g_extra2" not in before and "g_extra2" in after


def test_a_server_that_never_answers_is_stopped_when_the_session_closes(project):
    import os

    async def scenario():
        servers = McpServers([spec("hang", "hang", connect_timeout=1.0)], root=project).start()
        await servers.settle(10)
        state = servers.statuses()[0].state
        await servers.aclose()
        return state

    assert asyncio.run(scenario()) == "failed"
    pid = int((project / "hang.pid").read_text())
    try:
        os.kill(pid, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, f"the hung server {pid} was left running"
