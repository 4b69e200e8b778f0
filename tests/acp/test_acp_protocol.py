"""The ACP surface of `punie serve`: initialize, sessions, modes, commands, errors, framing."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from acp import RequestError, text_block
from acp.schema import InitializeResponse, McpServerStdio
from acp_harness import agent_pipes, capabilities, harness, run, wait_until

from punie_core.acp import protocol
from punie_core.acp.server import serve_channel
from tests.helpers.cli import punie_command


def test_initialize_is_answered_at_once_with_honest_capabilities(punie_home):
    async def scenario():
        async with harness() as h:
            response = await h.start(capabilities(fs=True, terminal=False))
            return response, h.frames

    response, frames = run(scenario())
    assert response.protocol_version == 1
    caps = response.agent_capabilities
    assert caps.load_session is True
    assert caps.prompt_capabilities.embedded_context is True
    assert caps.prompt_capabilities.image is False and caps.prompt_capabilities.audio is False
    assert caps.mcp_capabilities.http is True and caps.mcp_capabilities.sse is True  # issue 14
    assert caps.session_capabilities.list is not None
    assert response.auth_methods == []
    assert response.agent_info.name == "punie"
    # The fast answer is exactly what the SDK-side agent would build.
    wire = next(f for f in frames if f.get("id") == 0 and "result" in f)["result"]
    assert InitializeResponse.model_validate(wire).model_dump() == response.model_dump()


def test_sdk_side_initialize_matches_the_fast_answer():
    from punie_core.acp.agent import PunieAgent

    response = asyncio.run(PunieAgent().initialize(protocol_version=1))
    assert response.model_dump(
        by_alias=True, exclude_none=True
    ) == InitializeResponse.model_validate(
        protocol.initialize_result({"protocolVersion": 1})
    ).model_dump(by_alias=True, exclude_none=True)


def test_new_session_offers_modes_and_config_and_announces_commands_after_the_response(workspace):
    async def scenario():
        async with harness() as h:
            await h.start()
            response = await h.conn.new_session(cwd=str(workspace), mcp_servers=[])
            await wait_until(lambda: h.client.of_kind("available_commands_update"))
            return response, h.frames, h.client

    response, frames, client = run(scenario())
    assert response.modes.current_mode_id == "ask"
    assert [m.id for m in response.modes.available_modes] == ["ask", "accept-edits", "read-only"]
    [option] = response.config_options
    assert option.root.id == "mode" if hasattr(option, "root") else option.id == "mode"
    commands = client.of_kind("available_commands_update")[0].available_commands
    assert {c.name for c in commands} == {"help", "mode", "plugins", "status"}
    assert all(not c.name.startswith("/") for c in commands)
    # JetBrains hangs when commands arrive before the session/new response: check the wire order.
    response_at = next(i for i, f in enumerate(frames) if f.get("id") == 1 and "result" in f)
    commands_at = next(
        i
        for i, f in enumerate(frames)
        if f.get("method") == "session/update"
        and f["params"]["update"]["sessionUpdate"] == "available_commands_update"
    )
    assert response_at < commands_at


def test_new_session_accepts_mcp_servers_and_refuses_a_bad_cwd(workspace):
    async def scenario():
        async with harness() as h:
            await h.start()
            idea = McpServerStdio(name="idea", command="/opt/idea/mcp", args=["--stdio"], env=[])
            ok = await h.conn.new_session(cwd=str(workspace), mcp_servers=[idea])
            errors = []
            for cwd in ("relative/dir", str(workspace / "missing")):
                with pytest.raises(RequestError) as info:
                    await h.conn.new_session(cwd=cwd, mcp_servers=[])
                errors.append(info.value)
            return ok, errors

    ok, errors = run(scenario())
    assert ok.session_id
    assert [e.code for e in errors] == [-32602, -32602]
    assert "cwd" in json.dumps(errors[1].data)


def test_set_session_mode_switches_and_is_announced(workspace):
    async def scenario():
        async with harness() as h:
            await h.start()
            sid = await h.new_session(workspace)
            await h.conn.set_session_mode(session_id=sid, mode_id="read-only")
            mode = h.agent().sessions[sid].permissions.mode
            with pytest.raises(RequestError) as bad:
                await h.conn.set_session_mode(session_id=sid, mode_id="yolo")
            config = await h.conn.set_config_option(
                config_id="mode", session_id=sid, value="accept-edits"
            )
            with pytest.raises(RequestError) as unknown:
                await h.conn.set_config_option(config_id="model", session_id=sid, value="x")
            await wait_until(lambda: len(h.client.of_kind("config_option_update")) == 2)
            return (
                mode,
                bad.value,
                config,
                unknown.value,
                h.client,
                h.agent().sessions[sid].permissions.mode,
            )

    mode, bad, config, unknown, client, final_mode = run(scenario())
    assert mode == "read-only" and final_mode == "accept-edits"
    assert bad.code == -32602 and "yolo" in json.dumps(bad.data)
    assert unknown.code == -32602
    [option] = config.config_options
    option = getattr(option, "root", option)
    assert option.current_value == "accept-edits" and len(option.options) == 3
    assert [u.current_mode_id for u in client.of_kind("current_mode_update")] == [
        "read-only",
        "accept-edits",
    ]
    assert len(client.of_kind("config_option_update")) == 2


def test_unknown_session_is_an_invalid_params_error(workspace):
    async def scenario():
        async with harness() as h:
            await h.start()
            errors = []
            for call in (
                h.conn.prompt(session_id="nope", prompt=[text_block("hi")]),
                h.conn.set_session_mode(session_id="nope", mode_id="ask"),
                h.conn.load_session(cwd=str(workspace), session_id="nope", mcp_servers=[]),
            ):
                with pytest.raises(RequestError) as info:
                    await call
                errors.append(info.value.code)
            return errors

    assert run(scenario()) == [-32602, -32602, -32002]


def test_slash_commands_answer_without_the_model(workspace):
    async def scenario():
        async with harness() as h:
            await h.start()
            sid = await h.new_session(workspace)
            help_ = await h.conn.prompt(session_id=sid, prompt=[text_block("/help")])
            mode = await h.conn.prompt(session_id=sid, prompt=[text_block("/mode read-only")])
            plugins = await h.conn.prompt(session_id=sid, prompt=[text_block("/plugins")])
            return (help_, mode, plugins), h.client, h.agent().sessions[sid].permissions.mode

    responses, client, mode = run(scenario())
    assert [r.stop_reason for r in responses] == ["end_turn"] * 3
    text = "".join(u.content.text for u in client.of_kind("agent_message_chunk"))
    assert "/plugins" in text and "accept-edits" in text
    assert "Mode: read-only" in text
    assert "core" in text  # the /plugins answer lists the core plugin
    assert mode == "read-only"
    assert client.of_kind("current_mode_update")[-1].current_mode_id == "read-only"


# -- raw frames (no SDK client): errors the SDK client would never produce -----------------------


async def _exchange(lines: list[bytes], expect: int, max_frame: int | None = None) -> list[dict]:
    """Send raw lines to a served channel and read `expect` frames back."""
    async with agent_pipes(max_frame=max_frame) as (channel, writer, reader, _):
        server = asyncio.ensure_future(serve_channel(channel))
        for line in lines:
            writer.write(line)
        await writer.drain()
        frames = []
        for _ in range(expect):
            frames.append(json.loads(await asyncio.wait_for(reader.readline(), 20)))
        writer.close()
        await asyncio.wait_for(server, 10)
        return frames


def _frame(obj: object) -> bytes:
    return json.dumps(obj).encode() + b"\n"


def test_unimplemented_methods_answer_method_not_found():
    methods = [
        "authenticate",
        "session/resume",
        "session/close",
        "session/fork",
        "_punie/secret",
        "foo/bar",
    ]
    lines = [
        _frame(
            {
                "jsonrpc": "2.0",
                "id": i,
                "method": m,
                "params": {"sessionId": "x", "methodId": "y", "cwd": "/"},
            }
        )
        for i, m in enumerate(methods)
    ]
    frames = asyncio.run(_exchange(lines, len(methods)))
    by_id = {f["id"]: f for f in frames}
    for i, method in enumerate(methods):
        assert by_id[i]["error"]["code"] == -32601, (method, by_id[i])
        assert "result" not in by_id[i]


def test_malformed_frames_get_json_rpc_errors_and_the_agent_keeps_running():
    lines = [
        b"this is not json\n",
        b'{"jsonrpc": "2.0", "id": 1, "method": \n',  # torn
        b"[1, 2, 3]\n",
        b'"just a string"\n',
        _frame({"id": 2, "method": "initialize", "params": {}}),  # no jsonrpc
        _frame({"jsonrpc": "2.0", "id": {"a": 1}, "method": "initialize"}),
        _frame({"jsonrpc": "2.0", "id": 3, "method": 42}),
        _frame({"jsonrpc": "2.0", "id": 4, "method": "session/new", "params": "cwd"}),
        _frame({"jsonrpc": "2.0"}),
        _frame(
            {"jsonrpc": "2.0", "id": 99, "error": "not an object"}
        ),  # a broken response: dropped
        _frame(
            {"jsonrpc": "2.0", "id": 5, "method": "session/new", "params": {"cwd": "/tmp"}}
        ),  # no mcpServers
        _frame(
            {"jsonrpc": "2.0", "id": 6, "method": "initialize", "params": {"protocolVersion": 1}}
        ),
    ]
    frames = asyncio.run(_exchange(lines, 11))
    codes = [(f.get("id"), f.get("error", {}).get("code")) for f in frames]
    assert codes[:2] == [(None, -32700), (None, -32700)]
    assert codes[2:4] == [(None, -32600), (None, -32600)]
    assert (
        (2, -32600) in codes
        and (None, -32600) in codes
        and (3, -32600) in codes
        and (4, -32600) in codes
    )
    assert (5, -32602) in codes  # mcpServers is required: the SDK's validation answers
    last = next(f for f in frames if f.get("id") == 6)
    assert last["result"]["protocolVersion"] == 1  # still running
    assert not any(f.get("id") == 99 for f in frames)


def test_an_oversized_frame_is_refused_and_the_next_one_answered():
    big = _frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"pad": "x" * 5000}})
    ok = _frame(
        {"jsonrpc": "2.0", "id": 2, "method": "initialize", "params": {"protocolVersion": 1}}
    )
    frames = asyncio.run(_exchange([big, ok], 2, max_frame=1024))
    assert frames[0]["id"] is None and frames[0]["error"]["code"] == -32600
    assert "larger" in frames[0]["error"]["message"]
    assert frames[1]["id"] == 2 and "result" in frames[1]


def test_a_failed_load_answers_every_request_with_an_internal_error():
    async def scenario():
        async with agent_pipes() as (channel, writer, reader, _):
            pump = asyncio.ensure_future(channel.pump())
            channel.fail("Punie's ACP agent failed to load: ImportError: boom")
            writer.write(_frame({"jsonrpc": "2.0", "id": 1, "method": "session/new", "params": {}}))
            await writer.drain()
            frame = json.loads(await asyncio.wait_for(reader.readline(), 5))
            writer.close()
            await asyncio.wait_for(pump, 5)
            await channel.close()
            return frame

    frame = asyncio.run(scenario())
    assert (
        frame["id"] == 1
        and frame["error"]["code"] == -32603
        and "boom" in frame["error"]["message"]
    )


# -- the real process ----------------------------------------------------------------------------


def test_serve_process_writes_only_protocol_frames_to_stdout(workspace, punie_home):
    frames = [
        _frame(
            {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {"protocolVersion": 1}}
        ),
        b"garbage\n",
        _frame(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "session/new",
                "params": {"cwd": str(workspace), "mcpServers": []},
            }
        ),
        _frame(
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "session/prompt",
                "params": {"sessionId": "none", "prompt": [{"type": "text", "text": "hi"}]},
            }
        ),
    ]
    process = subprocess.Popen(
        punie_command() + ["serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PUNIE_LOAD_PLUGINS": ""},
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(b"".join(frames))
    process.stdin.flush()
    seen = []
    while len([f for f in seen if "id" in f and "method" not in f]) < 4:
        line = process.stdout.readline()
        assert line, "punie serve closed stdout early"
        seen.append(json.loads(line))
    rest, err = process.communicate(timeout=30)  # closes stdin: the client leaves
    assert process.returncode == 0, err.decode()
    for line in rest.splitlines():
        seen.append(json.loads(line))
    assert all(f.get("jsonrpc") == "2.0" for f in seen)
    assert {f.get("id") for f in seen if "method" not in f} == {0, None, 1, 2}


def test_claim_stdio_sends_stray_output_to_stderr():
    code = (
        "import os, subprocess, sys\n"
        "from punie_core.acp.server import claim_stdio\n"
        "frames_in, frames_out = claim_stdio()\n"
        "print('stray print')\n"
        "os.write(1, b'stray fd write\\n')\n"
        "subprocess.run(['echo', 'child output'])\n"
        'os.write(frames_out, b\'{"jsonrpc":"2.0"}\\n\')\n'
        "print(repr(sys.stdin.read()), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        input=b"frames for the agent\n",
        capture_output=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b'{"jsonrpc":"2.0"}\n'
    assert (
        b"stray print" in result.stderr
        and b"stray fd write" in result.stderr
        and b"child output" in result.stderr
    )
    assert b"''" in result.stderr  # fd 0 is /dev/null: children cannot read the client's frames


def test_sessions_opened_while_the_agent_loads_are_adopted(workspace, monkeypatch):
    import threading

    import punie_core.acp.server as server_module

    release = threading.Event()
    real_import = server_module._import_agent_parts

    def held_import():
        release.wait(30)  # the SDK and the agent are "still loading" until the test says so
        return real_import()

    monkeypatch.setattr(server_module, "_import_agent_parts", held_import)

    async def scenario():
        async with harness() as h:
            await h.start()
            early = await h.conn.new_session(cwd=str(workspace), mcp_servers=[])
            bad = asyncio.ensure_future(h.conn.new_session(cwd="relative", mcp_servers=[]))
            await asyncio.sleep(0)
            announced_before = list(h.client.of_kind("available_commands_update"))
            release.set()
            with pytest.raises(RequestError) as error:
                await bad
            await wait_until(lambda: h.client.of_kind("available_commands_update"))
            await h.conn.set_session_mode(session_id=early.session_id, mode_id="read-only")
            help_ = await h.conn.prompt(session_id=early.session_id, prompt=[text_block("/help")])
            session = h.agent().sessions[early.session_id]
            return early, announced_before, error.value, help_, session

    early, announced_before, error, help_, session = run(scenario())
    assert early.modes.current_mode_id == "ask" and len(early.config_options) == 1
    assert announced_before == []
    assert error.code == -32602  # an unusual request waits for the SDK's validation
    assert help_.stop_reason == "end_turn"
    assert session.permissions.mode == "read-only" and session.cwd == workspace
