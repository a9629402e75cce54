"""Random-weight models of the official sizes: load, encode, shapes, clipping."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.encoder.allennlp_format import save_allennlp
from indexer.encoder.loader import load_encoder
from tests.indexer.encoder.fixtures import OFFICIAL, random_weights

SIZES = [
    ("small", 256, 2048),
    ("medium", 512, 2048),
    ("original", 1024, 2048),  # the 5.5B model has the same shapes
]


@pytest.mark.parametrize(("name", "dim", "n_filters"), SIZES)
def test_official_size(tmp_path: Path, name: str, dim: int, n_filters: int) -> None:
    weights = random_weights(OFFICIAL[name], seed=1, scale=2.0)
    assert weights.token.n_filters == n_filters
    save_allennlp(weights, tmp_path)
    encoder = load_encoder(tmp_path, state="warm", device="cpu")
    assert (encoder.dim, encoder.num_layers) == (dim, 3)
    sentence = "The bank of the river was closed on Sunday .".split()
    out = encoder.embed_sentence(sentence)
    assert out.shape == (3, len(sentence), dim) and out.dtype == np.float32
    # projection clipping: LSTM layer 1 stays within proj_clip and reaches it
    layer1 = np.abs(out[1])
    assert layer1.max() <= 3.0 + 1e-6
    assert np.isclose(layer1, 3.0, atol=1e-6).any()
    # layer 2 adds the skip connection, so it may exceed the clip, but not twice it
    assert np.abs(out[2]).max() <= 6.0 + 1e-6
