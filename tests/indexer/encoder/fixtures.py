"""Builders of small random ELMo models in the official allennlp layout, for tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from indexer.encoder.allennlp_format import save_allennlp
from indexer.encoder.model import BiLM, BiLMSpec
from indexer.encoder.weights import BiLMWeights, LstmWeights

TINY = BiLMSpec(
    char_dim=4,
    filters=((1, 4), (2, 8), (3, 16)),
    n_highway=1,
    projection_dim=8,
    cell_dim=16,
)

#: The official model shapes (options.json of the published downloads).
OFFICIAL_FILTERS = ((1, 32), (2, 32), (3, 64), (4, 128), (5, 256), (6, 512), (7, 1024))
OFFICIAL = {
    "small": BiLMSpec(
        char_dim=16, filters=OFFICIAL_FILTERS, n_highway=1, projection_dim=128, cell_dim=1024
    ),
    "medium": BiLMSpec(
        char_dim=16, filters=OFFICIAL_FILTERS, n_highway=1, projection_dim=256, cell_dim=2048
    ),
    "original": BiLMSpec(
        char_dim=16, filters=OFFICIAL_FILTERS, n_highway=2, projection_dim=512, cell_dim=4096
    ),
}


def random_weights(spec: BiLMSpec = TINY, seed: int = 0, scale: float = 0.5) -> BiLMWeights:
    """Random weights of the given shapes; ``scale`` large enough that clipping happens."""
    rng = np.random.default_rng(seed)
    base = BiLM.random(spec, seed=seed).to_weights()

    def noise(a: np.ndarray, s: float) -> np.ndarray:
        return rng.normal(0.0, s, size=a.shape).astype(np.float32)

    def lstm(w: LstmWeights) -> LstmWeights:
        fan = w.input_weight.shape[1] + w.hidden_weight.shape[1]
        s = scale * 4 / np.sqrt(fan)
        return LstmWeights(
            input_weight=noise(w.input_weight, s),
            hidden_weight=noise(w.hidden_weight, s),
            bias=noise(w.bias, scale),
            projection=noise(w.projection, scale * 4 / np.sqrt(w.cell_dim)),
        )

    token = base.token
    char = noise(token.char_embedding, scale)
    char[0] = 0.0
    token = replace(
        token,
        char_embedding=char,
        filters=tuple((noise(w, scale), noise(b, 0.1)) for w, b in token.filters),
        highways=tuple(
            (noise(w, scale / np.sqrt(w.shape[1])), noise(b, 0.1)) for w, b in token.highways
        ),
        projection=(
            noise(token.projection[0], 2 * scale / np.sqrt(token.projection[0].shape[1])),
            noise(token.projection[1], 0.1),
        ),
    )
    return replace(
        base,
        token=token,
        forward=tuple(lstm(w) for w in base.forward),
        backward=tuple(lstm(w) for w in base.backward),
    )


def make_allennlp_model(
    folder: Path, seed: int = 0, spec: BiLMSpec = TINY, scale: float = 0.5, prefix: str = ""
) -> Path:
    """Write a random model as ``{prefix}options.json`` + ``{prefix}weights.hdf5`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    options, weights = save_allennlp(random_weights(spec, seed, scale), folder)
    if prefix:
        options.rename(folder / f"{prefix}options.json")
        weights.rename(folder / f"{prefix}weights.hdf5")
    return folder
