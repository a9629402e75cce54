"""Exactness against the golden outputs of the original TensorFlow biLM."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from indexer.encoder.loader import load_encoder


def test_top_layer_matches_tensorflow_outputs(reference_dir: Path) -> None:
    sentences = json.loads((reference_dir / "sentences.json").read_text(encoding="utf-8"))
    encoder = load_encoder(reference_dir, state="carry", device="cpu")
    worst = 0.0
    for i in range(10):
        batch = [sentences[k][i].split() for k in range(3)]
        outputs = encoder.embed_batch(batch)
        for k in range(3):
            with h5py.File(reference_dir / f"lm_embeddings_{k}.hdf5", "r") as f:
                expected = f[str(i)][...]
            top = outputs[k][2]
            assert top.shape == (len(batch[k]), 32)
            worst = max(worst, float(np.abs(top - np.concatenate(expected, axis=-1)).max()))
    assert worst < 1e-5


def test_golden_needs_the_carried_state(reference_dir: Path) -> None:
    """Without carrying the state, later batches differ: the golden test really checks carry."""
    sentences = json.loads((reference_dir / "sentences.json").read_text(encoding="utf-8"))
    encoder = load_encoder(reference_dir, state="zero", device="cpu")
    batch = [sentences[k][1].split() for k in range(3)]
    top = encoder.embed_batch(batch)[0][2]
    with h5py.File(reference_dir / "lm_embeddings_0.hdf5", "r") as f:
        expected = np.concatenate(f["1"][...], axis=-1)
    assert np.abs(top - expected).max() > 1e-3


def test_layer_zero_is_token_representation_twice(reference_dir: Path) -> None:
    encoder = load_encoder(reference_dir, state="warm", device="cpu")
    first = encoder.embed_sentence("the bank of the river".split())
    second = encoder.embed_sentence("my bank closed".split())
    assert np.array_equal(first[0, :, :16], first[0, :, 16:])
    np.testing.assert_allclose(first[0, 1], second[0, 1], atol=1e-6)
    assert np.abs(first[2, 1] - second[2, 1]).max() > 1e-3
