"""Model strings, the config file and the compatibility switches, checked on the wire."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from punie_core.agent.session import Session
from punie_core.models.config import DEFAULT_LOCAL_URL, Config, ConfigError, load_config
from punie_core.models.connection import connect, identify_server
from punie_core.models.strings import ModelUnavailable, choose_model, parse_model_string
from punie_core.testing.scripted_model import ScriptedModelServer
from tests.agent.conftest import run_async


@pytest.mark.parametrize(
    ("text", "kind", "base_url", "name", "target"),
    [
        ("local", "local", DEFAULT_LOCAL_URL, None, None),
        ("local:qwen3-coder", "local", DEFAULT_LOCAL_URL, "qwen3-coder", None),
        ("local:http://127.0.0.1:9000/v1/", "local", "http://127.0.0.1:9000/v1", None, None),
        ("http://box:1234/v1", "local", "http://box:1234/v1", None, None),
        ("mlx:mlx-community/Qwen3-4B-4bit", "mlx", None, None, "mlx-community/Qwen3-4B-4bit"),
        ("gguf:/models/m.gguf", "gguf", None, None, "/models/m.gguf"),
        ("embedded", "embedded", None, None, None),
        ("openai:gpt-4.1", "pydantic-ai", None, None, None),
        ("anthropic:claude-sonnet-4-5", "pydantic-ai", None, None, None),
    ],
)
def test_model_strings_parse(
    text: str, kind: str, base_url: str | None, name: str | None, target: str | None
) -> None:
    spec = parse_model_string(text)
    assert (spec.kind, spec.base_url, spec.name, spec.target) == (kind, base_url, name, target)


@pytest.mark.parametrize("text", ["", "mlx:", "gguf:"])
def test_empty_model_strings_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_model_string(text)


def test_precedence_argument_then_env_then_config_then_local(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = Config(model="local:from-config")
    assert (
        choose_model(None, Config()).source == "default"
        and not choose_model(None, Config()).explicit
    )
    assert (choose_model(None, config).name, choose_model(None, config).source) == (
        "from-config",
        "config",
    )
    monkeypatch.setenv("PUNIE_MODEL", "local:from-env")
    assert (choose_model(None, config).name, choose_model(None, config).source) == (
        "from-env",
        "PUNIE_MODEL",
    )
    chosen = choose_model("local:from-arg", config)
    assert (chosen.name, chosen.source, chosen.explicit) == ("from-arg", "argument", True)


def test_the_config_file_lives_in_punie_home(punie_home: Path) -> None:
    punie_home.mkdir(parents=True)
    (punie_home / "config.toml").write_text(
        'model = "local"\nrequest_limit = 7\n'
        '[local]\nurl = "http://10.1.2.3:8080/v1/"\nname = "qwen"\n'
        "[compat]\nstrict_tools = true\n[settings]\ntemperature = 0.2\n"
    )
    config = load_config()
    assert config.path == punie_home / "config.toml"
    assert (config.local_url, config.local_name, config.request_limit) == (
        "http://10.1.2.3:8080/v1",
        "qwen",
        7,
    )
    assert config.compat == {"strict_tools": True} and config.settings == {"temperature": 0.2}
    spec = choose_model(None, config)
    assert (spec.base_url, spec.name, spec.source) == ("http://10.1.2.3:8080/v1", "qwen", "config")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("model = [", "not valid TOML"),
        ("model = 3", "model must be a str"),
        ("[compat]\nstrict = true", "[compat] strict must be one of"),
        ("[local]\nurl = 1", "[local] url must be a str"),
        ('[servers."http://x/v1"]\nstrict_tools = "yes"', "must be true or false"),
    ],
)
def test_a_bad_config_file_is_a_clear_error(text: str, says: str, punie_home: Path) -> None:
    punie_home.mkdir(parents=True)
    (punie_home / "config.toml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config()
    assert says in str(info.value) and "config.toml" in str(info.value)


def test_a_bad_config_file_ends_a_prompt_with_its_message(
    workspace: Path, core_toolbox: Any, punie_home: Path
) -> None:
    punie_home.mkdir(parents=True)
    (punie_home / "config.toml").write_text("model = [")
    outcome = run_async(Session(cwd=workspace, toolbox=core_toolbox).prompt("hi"))
    assert outcome.stop_reason == "error" and "not valid TOML" in outcome.error


@pytest.mark.parametrize(
    ("owned_by", "header", "kind"),
    [
        ("llamacpp", "llama.cpp", "llama.cpp"),
        ("", "llama.cpp", "llama.cpp"),
        ("vllm", "uvicorn", "vllm"),
        ("organization_owner", "", "lm-studio"),
        ("library", "", "ollama"),
        ("", "BaseHTTP/0.6 Python/3.12.1", "mlx-lm"),
        ("punie-scripted", "punie-scripted", "unknown"),
    ],
)
def test_servers_are_identified_by_models_and_header(owned_by: str, header: str, kind: str) -> None:
    with ScriptedModelServer([], owned_by=owned_by, server_header=header, model_id="m1") as server:
        info = identify_server(server.base_url)
    assert info is not None and info.kind == kind and info.models == ("m1",)


def test_nothing_listening_is_unreachable() -> None:
    with ScriptedModelServer([]) as server:
        url = server.base_url
    assert identify_server(url, timeout=1) is None


def first_body(
    server_kwargs: dict[str, Any], model: str, workspace: Path, toolbox: Any, settings: str = ""
) -> dict[str, Any]:
    with ScriptedModelServer([{"text": "ok"}], **server_kwargs) as server:
        home = Path(__import__("os").environ["PUNIE_HOME"])
        home.mkdir(parents=True, exist_ok=True)
        (home / "config.toml").write_text(settings.replace("URL", server.base_url))
        session = Session(
            cwd=workspace, model=model.replace("URL", server.base_url), toolbox=toolbox
        )
        outcome = run_async(session.prompt("hi"))
        assert outcome.stop_reason == "end_turn", outcome.error
        return server.chat_requests[0].body


def test_local_servers_get_conservative_switches(workspace: Path, core_toolbox: Any) -> None:
    body = first_body(
        {"owned_by": "llamacpp"},
        "local:URL",
        workspace,
        core_toolbox,
        "[settings]\nmax_tokens = 64\n",
    )
    assert all("strict" not in t["function"] for t in body["tools"])
    assert body["max_tokens"] == 64 and "max_completion_tokens" not in body
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["model"] == "scripted"  # the first model the server lists


def test_an_identified_vllm_gets_max_completion_tokens(workspace: Path, core_toolbox: Any) -> None:
    body = first_body(
        {"owned_by": "vllm"}, "local:URL", workspace, core_toolbox, "[settings]\nmax_tokens = 64\n"
    )
    assert body["max_completion_tokens"] == 64 and "max_tokens" not in body


def test_config_overrides_the_switches_per_server(workspace: Path, core_toolbox: Any) -> None:
    settings = (
        '[compat]\nstrict_tools = true\n[servers."URL"]\nmax_completion_tokens = true\n'
        'name = "my-model"\n[settings]\nmax_tokens = 9\n'
    )
    body = first_body({"owned_by": "llamacpp"}, "local:URL", workspace, core_toolbox, settings)
    # pydantic-ai marks every tool whose schema can be strict (execute_code's can).
    assert (
        body["tools"][0]["function"]["name"] == "execute_code"
        and body["tools"][0]["function"]["strict"] is True
    )
    assert body["max_completion_tokens"] == 9 and body["model"] == "my-model"


def test_local_name_is_the_model_sent(workspace: Path, core_toolbox: Any) -> None:
    body = first_body({}, "local:qwen3-coder", workspace, core_toolbox, '[local]\nurl = "URL"\n')
    assert body["model"] == "qwen3-coder"


def test_mlx_lm_gets_default_model(workspace: Path, core_toolbox: Any) -> None:
    body = first_body(
        {"server_header": "BaseHTTP/0.6 Python/3.12", "owned_by": ""},
        "local:URL",
        workspace,
        core_toolbox,
    )
    assert body["model"] == "default_model"


def test_punie_model_env_names_the_model(
    workspace: Path, core_toolbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ScriptedModelServer([{"text": "from env"}]) as server:
        monkeypatch.setenv("PUNIE_MODEL", server.model_string)
        session = Session(cwd=workspace, toolbox=core_toolbox)
        outcome = run_async(session.prompt("hi"))
    assert outcome.output == "from env" and session.model == server.model_string


def test_an_unreachable_named_model_is_never_substituted(
    punie_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with ScriptedModelServer([]) as server:
        url = server.base_url
    monkeypatch.setenv("PUNIE_MODEL", f"local:{url}")
    with pytest.raises(ModelUnavailable) as info:
        run_async(
            connect(None, config=Config(), notice=lambda text: pytest.fail("no notice expected"))
        )
    assert f"no model server answers at {url}" in str(info.value) and "PUNIE_MODEL" in str(
        info.value
    )


def test_a_url_that_is_not_a_model_server_is_named_as_such() -> None:
    with ScriptedModelServer([]) as server:
        wrong = f"http://127.0.0.1:{server.port}/not-v1"  # answers 404 for /models
        info = identify_server(wrong)
        assert info is not None and not info.model_server
        with pytest.raises(ModelUnavailable, match="not as an OpenAI-compatible model server"):
            run_async(connect(f"local:{wrong}", config=Config()))
        # The default model does not fall back silently either when the fallback is off.
        with pytest.raises(ModelUnavailable, match="not as an OpenAI-compatible model server"):
            run_async(connect(None, config=Config(local_url=wrong, embedded=False)))


def test_an_unknown_pydantic_ai_provider_is_a_clear_error() -> None:
    with pytest.raises(ModelUnavailable, match="cannot use model 'nosuchprovider:x'"):
        run_async(connect("nosuchprovider:x", config=Config()))


def test_pydantic_ai_model_strings_go_to_pydantic_ai(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-used-000000")
    connection = run_async(connect("openai:gpt-4.1", config=Config()))
    assert connection.label == "openai:gpt-4.1" and connection.model.model_name == "gpt-4.1"
    assert "sk-test-not-used-000000" in connection.secrets
