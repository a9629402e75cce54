"""Reading and writing the official allennlp layout, and clear errors on bad files."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pytest

from indexer.encoder.allennlp_format import find_allennlp_files, load_allennlp, save_allennlp
from indexer.encoder.loader import load_encoder
from indexer.errors import ModelFormatError, ModelNotFoundError
from tests.indexer.durable import assert_published, record_fsyncs
from tests.indexer.encoder.fixtures import make_allennlp_model, random_weights


def copy_model(src: Path, dst: Path) -> tuple[Path, Path]:
    shutil.copytree(src, dst)
    pair = find_allennlp_files(dst)
    assert pair is not None
    return pair


def test_save_load_round_trip(tmp_path: Path) -> None:
    weights = random_weights(seed=5)
    options_path, weights_path = save_allennlp(weights, tmp_path)
    loaded, options = load_allennlp(options_path, weights_path)
    assert options["lstm"]["dim"] == 16
    np.testing.assert_array_equal(loaded.token.char_embedding, weights.token.char_embedding)
    pairs = zip(loaded.forward + loaded.backward, weights.forward + weights.backward, strict=True)
    for a, b in pairs:
        np.testing.assert_array_equal(a.input_weight, b.input_weight)
        np.testing.assert_array_equal(a.hidden_weight, b.hidden_weight)
        np.testing.assert_allclose(a.bias, b.bias, atol=1e-6)
        np.testing.assert_array_equal(a.projection, b.projection)
    for (wa, ba), (wb, bb) in zip(loaded.token.highways, weights.token.highways, strict=True):
        np.testing.assert_array_equal(wa, wb)
        np.testing.assert_array_equal(ba, bb)


def test_official_file_names_are_found(tmp_path: Path) -> None:
    make_allennlp_model(tmp_path, prefix="elmo_2x1024_128_2048cnn_1xhighway_")
    options, weights = find_allennlp_files(tmp_path) or (None, None)
    assert options is not None and options.name.endswith("_options.json")
    assert weights is not None and weights.name.endswith("_weights.hdf5")
    assert load_encoder(tmp_path, state="zero", device="cpu").dim == 16


def test_missing_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="not a model directory"):
        load_encoder(tmp_path, device="cpu")
    with pytest.raises(ModelNotFoundError, match="nonexistent-model"):
        load_encoder("nonexistent-model", device="cpu")


def test_truncated_hdf5(tiny_model: Path, tmp_path: Path) -> None:
    _, weights = copy_model(tiny_model, tmp_path / "m")
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFormatError, match=r"weights\.hdf5") as info:
        load_encoder(tmp_path / "m", device="cpu")
    assert "HDF5" in str(info.value) or "unreadable" in str(info.value)


def test_foreign_file(tiny_model: Path, tmp_path: Path) -> None:
    _, weights = copy_model(tiny_model, tmp_path / "m")
    weights.write_text("this is not hdf5\n")
    with pytest.raises(ModelFormatError, match="cannot read as HDF5"):
        load_encoder(tmp_path / "m", device="cpu")


def test_missing_dataset(tiny_model: Path, tmp_path: Path) -> None:
    _, weights = copy_model(tiny_model, tmp_path / "m")
    with h5py.File(weights, "a") as f:
        del f["RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_P_0"]
    with pytest.raises(ModelFormatError, match="Cell1/LSTMCell/W_P_0' is missing"):
        load_encoder(tmp_path / "m", device="cpu")


def test_options_disagree_with_shapes(tiny_model: Path, tmp_path: Path) -> None:
    options, _ = copy_model(tiny_model, tmp_path / "m")
    data = json.loads(options.read_text())
    data["lstm"]["dim"] = 32
    options.write_text(json.dumps(data))
    expected = r"has shape \(16, 64\), the options imply \(16, 128\)"
    with pytest.raises(ModelFormatError, match=expected):
        load_encoder(tmp_path / "m", device="cpu")


def test_bad_options_json(tiny_model: Path, tmp_path: Path) -> None:
    options, _ = copy_model(tiny_model, tmp_path / "m")
    options.write_text("{not json")
    with pytest.raises(ModelFormatError, match=r"options\.json: not valid JSON"):
        load_encoder(tmp_path / "m", device="cpu")
    options.write_text(json.dumps({"lstm": {}}))
    with pytest.raises(ModelFormatError, match="lack a valid entry"):
        load_encoder(tmp_path / "m", device="cpu")


def test_save_is_durable_and_leaves_only_the_two_files(tmp_path: Path, monkeypatch) -> None:
    synced = record_fsyncs(monkeypatch)
    options_path, weights_path = save_allennlp(random_weights(seed=1), tmp_path / "model")
    assert_published(synced, weights_path)
    assert_published(synced, options_path)
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "options.json",
        "weights.hdf5",
    ]


def test_a_write_failing_halfway_keeps_the_previous_model(tmp_path: Path) -> None:
    weights = random_weights(seed=2)
    options_path, weights_path = save_allennlp(weights, tmp_path)
    before = options_path.read_bytes(), weights_path.read_bytes()
    last = weights.backward[-1]
    unstorable = replace(last, projection=np.array([[object()]], dtype=object))
    broken = replace(weights, backward=(*weights.backward[:-1], unstorable))
    with pytest.raises(TypeError):  # h5py cannot store the last dataset
        save_allennlp(broken, tmp_path, options={"written": "never"})
    assert (options_path.read_bytes(), weights_path.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["options.json", "weights.hdf5"]
