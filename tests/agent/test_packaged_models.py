"""Packaged models: part wheels assembled once into the cache, checked by size and sha256.

The part packages here are real importable packages laid out like the PyPI wheels
(`NAME_partN/data/partNN.bin`), put on `sys.path`; the registry entry is the real dataclass.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from punie_core.models import packaged
from punie_core.models.packaged import PackagedModel, PackagedModelError, model_path
from tests.agent.conftest import run_async

PARTS = [b"GGUF-first-part-", b"second-part-", b"last"]


def make_parts(root: Path, parts: list[bytes], prefix: str = "fakemodel_part") -> None:
    for index, data in enumerate(parts, 1):
        package = root / f"{prefix}{index}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{index:02d}.bin").write_bytes(data)


@pytest.fixture
def fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PackagedModel:
    site = tmp_path / "site"
    make_parts(site, PARTS)
    monkeypatch.syspath_prepend(str(site))
    whole = b"".join(PARTS)
    model = PackagedModel(
        name="fake-coder-1b",
        label="Fake Coder",
        distribution="fakemodel-part",
        parts=len(PARTS),
        version="1.0",
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
        filename="fake-coder.gguf",
    )
    monkeypatch.setitem(packaged.PACKAGED, model.name, model)
    monkeypatch.setenv("PUNIE_MODEL_CACHE", str(tmp_path / "cache"))
    return model


def test_parts_assemble_once_into_the_cache_and_are_checked(fake_model: PackagedModel) -> None:
    path = model_path("fake-coder-1b")
    assert path == fake_model.cache_path and path.read_bytes() == b"".join(PARTS)
    assert packaged.cached(fake_model)
    stamp = path.stat().st_mtime_ns
    assert model_path("FAKE-CODER-1B") == path and path.stat().st_mtime_ns == stamp  # reused


def test_a_wrong_part_is_an_error_and_leaves_nothing_behind(
    fake_model: PackagedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(packaged.PACKAGED, fake_model.name, _with(fake_model, sha256="0" * 64))
    with pytest.raises(PackagedModelError, match="sha256") as info:
        model_path(fake_model.name)
    assert "reinstall" in str(info.value) and "fakemodel-part1..3==1.0" in str(info.value)
    assert list(fake_model.cache_path.parent.iterdir()) == []


def test_a_missing_part_is_named(fake_model: PackagedModel, tmp_path: Path) -> None:
    (tmp_path / "site" / "fakemodel_part2" / "data" / "part02.bin").unlink()
    with pytest.raises(PackagedModelError, match="only partly installed: missing fakemodel-part2"):
        model_path(fake_model.name)


def test_a_model_not_installed_says_how_to_install_it(
    fake_model: PackagedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(
        packaged.PACKAGED, "absent", _with(fake_model, name="absent", distribution="nowhere-part")
    )
    with pytest.raises(PackagedModelError, match="is not installed: uv sync --group models"):
        model_path("absent")


def test_a_corrupted_cache_file_is_not_loaded_silently(fake_model: PackagedModel) -> None:
    path = model_path(fake_model.name)
    path.write_bytes(b"X" * fake_model.size)  # same size, other bytes, new mtime
    assert not packaged.cached(fake_model)
    assert model_path(fake_model.name).read_bytes() == b"".join(PARTS)  # reassembled


def test_the_short_model_string_reports_a_missing_model_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PUNIE_MODEL_CACHE", raising=False)
    from punie_core.models.connection import connect
    from punie_core.models.strings import ModelUnavailable

    if all(m.installed_parts() for m in packaged.PACKAGED.values()):
        pytest.skip("the models group is installed here")
    absent = next(m for m in packaged.PACKAGED.values() if not m.installed_parts())
    with pytest.raises(ModelUnavailable, match="uv sync --group models"):
        run_async(connect(absent.model_string))


def test_punie_models_lists_the_packaged_models_and_their_licence() -> None:
    import os

    from tests.helpers.cli import run_cli

    result = run_cli("models", env=dict(os.environ), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "gguf:qwen2.5-coder-1.5b" in result.stdout and "gguf:qwen2.5-coder-0.5b" in result.stdout
    assert "Apache-2.0" in result.stdout and "no licence text" in result.stdout


def _with(model: PackagedModel, **changes: object) -> PackagedModel:
    from dataclasses import replace

    return replace(model, **changes)  # type: ignore[arg-type]


def test_the_registry_pins_what_the_lock_file_pins() -> None:
    lock = (Path(__file__).resolve().parents[2] / "uv.lock").read_text()
    for model in packaged.PACKAGED.values():
        for index in range(1, model.parts + 1):
            assert f'name = "{model.distribution}{index}"\nversion = "{model.version}"' in lock
    assert sys.version_info >= (3, 11)
