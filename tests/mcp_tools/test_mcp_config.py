"""MCP config: the ACP shapes, the mcpServers files, merging, secrets, trust."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from punie_core.mcp.config import ConfigProblem, from_acp, merge, parse_file, read_file
from punie_core.mcp.secrets import Redactor
from punie_core.mcp.trust import is_trusted, remember


def test_the_three_acp_shapes_become_specs_without_showing_secrets():
    stdio = from_acp({"name": "a", "command": "/bin/x", "args": ["-v"],
                      "env": [{"name": "TOKEN", "value": "s3cret-value"}]})  # fmt: skip
    header = {"name": "Authorization", "value": "Bearer hidden-123"}
    http = from_acp(
        {"type": "http", "name": "b", "url": "http://127.0.0.1:1/mcp", "headers": [header]}
    )
    sse = from_acp({"type": "sse", "name": "c", "url": "http://127.0.0.1:1/sse", "headers": []})
    assert (stdio.transport, http.transport, sse.transport) == ("stdio", "http", "sse")
    shown = repr(stdio) + repr(http) + json.dumps([stdio.public(), http.public()])
    assert "s3cret-value" not in shown and "hidden-123" not in shown
    assert stdio.public()["env"] == ["TOKEN"]
    assert sorted(stdio.secret_values() + http.secret_values()) == [
        "Bearer hidden-123",
        "s3cret-value",
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"command": "x"}, "no name"),
        ({"name": "a"}, "needs a command"),
        ({"type": "http", "name": "a", "url": "ftp://x"}, "http\\(s\\) url"),
        ({"type": "acp", "name": "a", "id": "x"}, "not supported"),
    ],
)
def test_bad_acp_entries_are_clear_errors(entry, message):
    with pytest.raises(ConfigProblem, match=message):
        from_acp(entry)


def test_config_files_read_the_mcp_servers_shape_with_env_expansion(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_TOKEN", "tok-from-env")
    path = tmp_path / ".mcp.json"
    path.write_text(json.dumps({"mcpServers": {
        "local": {"command": "srv", "args": ["--x"], "env": {"TOKEN": "${MY_TOKEN}"}},
        "remote": {"type": "http", "url": "http://127.0.0.1:9/mcp", "headers": {"X": "${NOPE:-d}"}},
        "off": {"command": "srv", "disabled": True},
    }}))  # fmt: skip
    specs = read_file(path, "project")
    assert [s.name for s in specs] == ["local", "remote"]
    assert specs[0].env == {"TOKEN": "tok-from-env"} and specs[1].headers == {"X": "d"}
    assert all(s.source == "project" for s in specs)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"servers": {}}', "mcpServers"),
        ('{"mcpServers": {"a": {"command": 3}}}', "command must be a non-empty string"),
        ('{"mcpServers": {"a": {"url": "http://x", "type": "ws"}}}', "type 'ws'"),
        (
            '{"mcpServers": {"a": {"command": "x", "env": {"T": "${UNSET_VAR_XYZ}"}}}}',
            "UNSET_VAR_XYZ",
        ),
    ],
)
def test_bad_config_files_are_clear_errors_naming_the_file(text, message, tmp_path):
    path = tmp_path / ".mcp.json"
    with pytest.raises(ConfigProblem, match=message) as info:
        parse_file(text, path, "project")
    assert str(path) in str(info.value)


def test_the_client_wins_by_name_then_the_user_then_the_project():
    client = [from_acp({"name": "a", "command": "client"})]
    user = parse_file(
        '{"mcpServers": {"a": {"command": "user"}, "b": {"command": "user"}}}', Path("u"), "user"
    )
    project = parse_file(
        '{"mcpServers": {"b": {"command": "p"}, "c": {"command": "p"}}}', Path("p"), "project"
    )
    merged = {s.name: s.command for s in merge(client, user, project)}
    assert merged == {"a": "client", "b": "user", "c": "p"}


def test_trust_is_remembered_per_file_content(tmp_path, punie_home):
    path = tmp_path / ".mcp.json"
    assert not is_trusted(path, b"one")
    remember(path, b"one")
    assert is_trusted(path, b"one")
    assert not is_trusted(path, b"two")  # an edited file asks again
    assert json.loads((punie_home / "mcp-trust.json").read_text())["trusted"]


def test_redactor_masks_secrets_in_text_and_data():
    redactor = Redactor(["sk-abcdef", "on"])
    assert redactor.text("key=sk-abcdef") == "key=[secret]"
    assert redactor.data({"a": ["sk-abcdef!", 1], "sk-abcdef": "on"}) == {
        "a": ["[secret]!", 1],
        "[secret]": "on",  # values shorter than 4 characters are not masked
    }


def test_url_credentials_and_query_values_are_secrets_too():
    spec = from_acp(
        {
            "type": "sse",
            "name": "s",
            "url": "https://u:pw-secret@h.example:8443/sse?key=q-secret-1",
            "headers": [],
        }
    )
    assert spec.public()["url"] == "https://h.example:8443/sse?…"
    assert "q-secret-1" not in spec.describe() and "pw-secret" not in spec.describe()
    assert set(spec.secret_values()) == {"pw-secret", "q-secret-1"}


def test_mcp_secrets_are_masked_in_the_sdk_logs(caplog):
    import logging

    from punie_core.mcp.secrets import register

    register(["log-secret-4242"])
    with caplog.at_level(logging.DEBUG, logger="mcp.client"):
        logging.getLogger("mcp.client.sse").debug(
            "Connecting to %s", "http://h/sse?k=log-secret-4242"
        )
    assert "log-secret-4242" not in caplog.text and "[secret]" in caplog.text


def test_values_taken_from_the_environment_are_never_shown(tmp_path, monkeypatch):
    # An untrusted .mcp.json puts an environment secret into a URL's path and an argument:
    # `punie mcp --json`, the trust question and the web UI show the server's settings.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-SECRETKEY")
    text = json.dumps(
        {
            "mcpServers": {
                "web": {"type": "http", "url": "http://127.0.0.1:8765/${OPENAI_API_KEY}"},
                "tool": {"command": "srv", "args": ["--key=${OPENAI_API_KEY}", "${NONE:-plain}"]},
            }
        }
    )
    specs = {s.name: s for s in parse_file(text, tmp_path / ".mcp.json", "project")}
    web, tool = specs["web"], specs["tool"]
    assert web.url == "http://127.0.0.1:8765/sk-SECRETKEY"  # what is connected to
    shown = json.dumps([web.public(), tool.public(), web.describe(), tool.describe()])
    assert "sk-SECRETKEY" not in shown
    assert web.public()["url"] == "http://127.0.0.1:8765/[secret]"
    assert tool.public()["args"] == ["--key=[secret]", "plain"]  # a file default is no secret
    assert "sk-SECRETKEY" in web.secret_values() and "sk-SECRETKEY" in tool.secret_values()


def test_punie_mcp_json_never_prints_an_expanded_secret(tmp_path):
    import os

    from tests.helpers.cli import run_cli

    project = tmp_path / "project"
    project.mkdir()
    (project / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"web": {"type": "http", "url": "http://127.0.0.1:9/${TOK}"}}})
    )
    env = dict(os.environ, TOK="sk-SECRETKEY", PUNIE_HOME=str(tmp_path / "home"))
    done = run_cli("mcp", "--json", "--cwd", str(project), env=env, timeout=120)
    assert "sk-SECRETKEY" not in done.stdout + done.stderr
    row = json.loads(done.stdout)["servers"][0]
    assert row["state"] == "untrusted" and row["config"]["url"] == "http://127.0.0.1:9/[secret]"
