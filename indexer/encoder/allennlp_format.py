"""Read and write ELMo models in the official allennlp layout (options.json + weights.hdf5)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from indexer.encoder.weights import (
    CHAR_CNN_ACTIVATIONS,
    Array,
    BiLMWeights,
    LstmWeights,
    TokenEmbedderWeights,
)
from indexer.errors import ModelFormatError
from indexer.files import atomic_path, write_text_atomic

logger = logging.getLogger(__name__)

_RNN = "RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell"


def find_allennlp_files(folder: Path) -> tuple[Path, Path] | None:
    """The (options, weights) pair of a model folder, or None when it is not one.

    The official downloads are named ``elmo_..._options.json`` and ``elmo_..._weights.hdf5``.
    """
    options = sorted(folder.glob("*options.json"))
    weights = sorted(folder.glob("*weights.hdf5"))
    if not options and not weights:
        return None
    if len(options) != 1 or len(weights) != 1:
        raise ModelFormatError(
            f"expected exactly one *options.json and one *weights.hdf5, found "
            f"{[p.name for p in options]} and {[p.name for p in weights]}",
            path=folder,
        )
    return options[0], weights[0]


def read_options(path: Path) -> dict[str, Any]:
    """Parse and check an options.json."""
    try:
        options = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ModelFormatError("options file not found", path=path) from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelFormatError(f"not valid JSON: {err}", path=path) from err
    try:
        lstm, cnn = options["lstm"], options["char_cnn"]
        for key in ("dim", "projection_dim", "n_layers"):
            int(lstm[key])
        missing = [
            key
            for key in ("filters", "n_highway", "embedding", "max_characters_per_token")
            if key not in cnn
        ]
        if missing:
            raise KeyError(f"char_cnn.{missing[0]}")
        int(cnn["embedding"]["dim"])
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFormatError(f"options lack a valid entry {err}", path=path) from err
    if cnn.get("activation", "relu") not in CHAR_CNN_ACTIVATIONS:
        raise ModelFormatError(f"unknown char_cnn activation {cnn['activation']!r}", path=path)
    return options


def _clip(value: Any) -> float | None:
    return None if value in (None, 0) else float(value)


class _Reader:
    def __init__(self, handle: h5py.File, path: Path) -> None:
        self.handle = handle
        self.path = path

    def get(self, key: str, shape: tuple[int, ...]) -> Array:
        if key not in self.handle:
            raise ModelFormatError(f"dataset {key!r} is missing", path=self.path)
        data = np.asarray(self.handle[key][...], dtype=np.float32)
        if data.shape != shape:
            raise ModelFormatError(
                f"dataset {key!r} has shape {data.shape}, the options imply {shape}",
                path=self.path,
            )
        return data


def load_allennlp(options_path: Path, weights_path: Path) -> tuple[BiLMWeights, dict[str, Any]]:
    """Load official-layout weights into :class:`BiLMWeights` (PyTorch conventions)."""
    options = read_options(options_path)
    if not weights_path.is_file():
        raise ModelFormatError("weights file not found", path=weights_path)
    try:
        handle = h5py.File(weights_path, "r")
    except OSError as err:
        raise ModelFormatError(
            f"cannot read as HDF5 (truncated or not an hdf5 file): {err}", path=weights_path
        ) from err
    with handle:
        try:
            weights = _convert(_Reader(handle, weights_path), options)
        except (OSError, KeyError, TypeError) as err:
            raise ModelFormatError(f"unreadable weights: {err}", path=weights_path) from err
    return weights, options


def _convert(r: _Reader, options: dict[str, Any]) -> BiLMWeights:
    cnn, lstm = options["char_cnn"], options["lstm"]
    char_dim = int(cnn["embedding"]["dim"])
    filters = [(int(w), int(n)) for w, n in cnn["filters"]]
    n_filters = sum(n for _, n in filters)
    proj = int(lstm["projection_dim"])
    cell = int(lstm["dim"])
    n_chars = int(r.handle["char_embed"].shape[0]) if "char_embed" in r.handle else 261
    # Row 0 of the torch embedding is the mask (all-zero) id; the file holds ids 1..n.
    char_embed = np.zeros((n_chars + 1, char_dim), dtype=np.float32)
    char_embed[1:] = r.get("char_embed", (n_chars, char_dim))
    convs = []
    for i, (width, num) in enumerate(filters):
        w = r.get(f"CNN/W_cnn_{i}", (1, width, char_dim, num))
        convs.append(
            (
                np.ascontiguousarray(np.transpose(w[0], (2, 1, 0))),
                r.get(f"CNN/b_cnn_{i}", (num,)),
            )
        )
    highways = []
    for k in range(int(cnn["n_highway"])):
        # TF: gate = sigmoid(x W_carry + b_carry); out = gate * relu(x W_t + b_t) + (1-gate) x.
        # In our convention out = g * x + (1-g) * relu(.), so g = 1 - gate = sigmoid(-(...)).
        base = f"CNN_high_{k}"
        w_t = r.get(f"{base}/W_transform", (n_filters, n_filters)).T
        w_c = -r.get(f"{base}/W_carry", (n_filters, n_filters)).T
        b_t = r.get(f"{base}/b_transform", (n_filters,))
        b_c = -r.get(f"{base}/b_carry", (n_filters,))
        highways.append(
            (np.ascontiguousarray(np.concatenate([w_t, w_c])), np.concatenate([b_t, b_c]))
        )
    w_proj = r.get("CNN_proj/W_proj", (n_filters, proj))
    token = TokenEmbedderWeights(
        char_embedding=char_embed,
        filters=tuple(convs),
        activation=str(cnn.get("activation", "relu")),
        highways=tuple(highways),
        projection=(np.ascontiguousarray(w_proj.T), r.get("CNN_proj/b_proj", (proj,))),
    )
    stacks: list[list[LstmWeights]] = [[], []]
    for direction in (0, 1):
        for layer in range(int(lstm["n_layers"])):
            base = _RNN.format(direction=direction, layer=layer)
            w = r.get(f"{base}/W_0", (proj + proj, 4 * cell)).T
            b = r.get(f"{base}/B", (4 * cell,)).copy()
            b[2 * cell : 3 * cell] += 1.0  # TF adds 1 to the forget gate at run time
            stacks[direction].append(
                LstmWeights(
                    input_weight=_tf_to_torch_gates(w[:, :proj], cell),
                    hidden_weight=_tf_to_torch_gates(w[:, proj:], cell),
                    bias=_tf_to_torch_gates(b, cell),
                    projection=np.ascontiguousarray(r.get(f"{base}/W_P_0", (cell, proj)).T),
                )
            )
    return BiLMWeights(
        token=token,
        forward=tuple(stacks[0]),
        backward=tuple(stacks[1]),
        cell_clip=_clip(lstm.get("cell_clip")),
        proj_clip=_clip(lstm.get("proj_clip")),
        skip_connections=bool(lstm.get("use_skip_connections", True)),
    )


def _tf_to_torch_gates(a: Array, cell: int) -> Array:
    """TF gate order (input, new, forget, output) -> ours (input, forget, new, output)."""
    i, j, f, o = (a[k * cell : (k + 1) * cell] for k in range(4))
    return np.ascontiguousarray(np.concatenate([i, f, j, o]))


def _torch_to_tf_gates(a: Array, cell: int) -> Array:
    return _tf_to_torch_gates(a, cell)  # swapping the middle two gates is its own inverse


def options_for(weights: BiLMWeights, max_characters_per_token: int = 50) -> dict[str, Any]:
    """The official options.json content describing ``weights``."""
    token = weights.token
    first = weights.forward[0]
    return {
        "lstm": {
            "cell_clip": weights.cell_clip or 0,
            "use_skip_connections": weights.skip_connections,
            "n_layers": weights.num_layers,
            "proj_clip": weights.proj_clip or 0,
            "projection_dim": first.hidden_dim,
            "dim": first.cell_dim,
        },
        "char_cnn": {
            "embedding": {"dim": int(token.char_embedding.shape[1])},
            "filters": [[int(w.shape[2]), int(w.shape[0])] for w, _ in token.filters],
            "n_highway": len(token.highways),
            "n_characters": int(token.char_embedding.shape[0]),
            "max_characters_per_token": max_characters_per_token,
            "activation": token.activation,
        },
    }


def save_allennlp(
    weights: BiLMWeights, out_dir: Path, options: dict[str, Any] | None = None
) -> tuple[Path, Path]:
    """Write ``options.json`` and ``weights.hdf5`` in the official layout; returns their paths.

    Each file is written durably (``indexer.files``): a killed or failed write leaves the
    previous file whole and no partial one under either name.
    """
    if weights.token.word_embedding is not None:
        raise ModelFormatError("the allennlp layout has no word embedding", path=out_dir)
    options = options or options_for(weights)
    cell = weights.forward[0].cell_dim
    options_path, weights_path = out_dir / "options.json", out_dir / "weights.hdf5"
    with atomic_path(weights_path) as tmp, h5py.File(tmp, "w") as f:
        token = weights.token
        f["char_embed"] = token.char_embedding[1:]
        for i, (w, b) in enumerate(token.filters):
            f[f"CNN/W_cnn_{i}"] = np.transpose(w, (2, 1, 0))[None]
            f[f"CNN/b_cnn_{i}"] = b
        for k, (w, b) in enumerate(token.highways):
            n = w.shape[1]
            f[f"CNN_high_{k}/W_transform"] = w[:n].T
            f[f"CNN_high_{k}/W_carry"] = -w[n:].T
            f[f"CNN_high_{k}/b_transform"] = b[:n]
            f[f"CNN_high_{k}/b_carry"] = -b[n:]
        f["CNN_proj/W_proj"] = token.projection[0].T
        f["CNN_proj/b_proj"] = token.projection[1]
        for direction, stack in enumerate((weights.forward, weights.backward)):
            for layer, lw in enumerate(stack):
                base = _RNN.format(direction=direction, layer=layer)
                w = np.concatenate([lw.input_weight, lw.hidden_weight], axis=1)
                f[f"{base}/W_0"] = _torch_to_tf_gates(w, cell).T
                b = _torch_to_tf_gates(lw.bias, cell).copy()
                b[2 * cell : 3 * cell] -= 1.0
                f[f"{base}/B"] = b
                f[f"{base}/W_P_0"] = lw.projection.T
    write_text_atomic(options_path, json.dumps(options, indent=2) + "\n")
    logger.info("wrote %s and %s", options_path, weights_path)
    return options_path, weights_path
