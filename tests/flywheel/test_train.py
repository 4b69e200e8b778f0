"""`punie train` says clearly what is missing before it starts anything."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from punie_core.cli import main
from punie_core.flywheel.train import TrainError, TrainOptions, check_ready


def dataset(folder: Path, records: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return folder


def model_dir(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text('{"model_type": "qwen3", "num_hidden_layers": 2}')
    return folder


CHAT = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}


def test_ready_when_mlx_data_and_base_are_there(tmp_path: Path) -> None:
    pytest.importorskip("mlx_lm", reason="the mlx extra is not installed (uv sync --extra mlx)")
    data = dataset(tmp_path / "data", [CHAT, CHAT])
    (data / "valid.jsonl").write_text(json.dumps(CHAT) + "\n")
    counts = check_ready(
        TrainOptions(data=data, base=str(model_dir(tmp_path / "base")), out=tmp_path / "out")
    )
    assert counts == {"train": 2, "valid": 1, "test": 0}


def test_missing_mlx_lm_is_a_clear_error_before_starting(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setitem(sys.modules, "mlx_lm", None)  # what an environment without the extra sees
    data = dataset(tmp_path / "data", [CHAT])
    args = [
        "train",
        "--data",
        str(data),
        "--base",
        str(model_dir(tmp_path / "base")),
        "--out",
        str(tmp_path / "out"),
    ]
    assert main(args) == 2
    assert "pip install 'punie[mlx]'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing was started


@pytest.mark.parametrize(
    ("records", "message"),
    [
        (None, "no training data"),
        ([], "holds no examples"),
        ([{"question": "?"}], "not an mlx-lm record"),
    ],
)
def test_empty_or_foreign_data_is_a_clear_error(tmp_path: Path, records, message: str) -> None:
    pytest.importorskip("mlx_lm", reason="the mlx extra is not installed (uv sync --extra mlx)")
    data = tmp_path / "data"
    if records is not None:
        dataset(data, records)
    options = TrainOptions(data=data, base=str(model_dir(tmp_path / "base")), out=tmp_path / "out")
    with pytest.raises(TrainError, match=message):
        check_ready(options)


def test_a_torn_data_file_and_a_missing_base_are_clear_errors(tmp_path: Path) -> None:
    pytest.importorskip("mlx_lm", reason="the mlx extra is not installed (uv sync --extra mlx)")
    data = dataset(tmp_path / "data", [CHAT])
    with open(data / "train.jsonl", "a") as handle:
        handle.write('{"messages": [')
    with pytest.raises(TrainError, match=r"train.jsonl:2: not JSON"):
        check_ready(
            TrainOptions(data=data, base=str(model_dir(tmp_path / "base")), out=tmp_path / "out")
        )
    good = dataset(tmp_path / "good", [CHAT])
    with pytest.raises(TrainError, match="not an mlx model folder"):
        check_ready(TrainOptions(data=good, base=str(tmp_path / "nowhere"), out=tmp_path / "out"))
    with pytest.raises(TrainError, match="--bits 7"):
        check_ready(
            TrainOptions(
                data=good, base=str(model_dir(tmp_path / "base")), out=tmp_path / "o", bits=7
            )
        )
