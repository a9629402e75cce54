"""Load ElmoForManyLangs (EFML) model folders into :class:`BiLMWeights` and an :class:`EfmlMapper`.

A folder holds ``config.json`` (whose ``config_path`` names the model config), ``char.dic``,
``word.dic`` (when the model has word embeddings), and two PyTorch state dicts,
``token_embedder.pkl`` and ``encoder.pkl``. Only the ``cnn`` token embedder with the ``elmo``
encoder is supported: that is what every published model uses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from indexer.encoder.efml_config import EfmlSpec, Shape, resolve_config_path
from indexer.encoder.efml_mapper import REQUIRED_CHARS, REQUIRED_WORDS, EfmlMapper, read_lexicon
from indexer.encoder.identity import file_identity
from indexer.encoder.weights import Array, BiLMWeights, LstmWeights, TokenEmbedderWeights
from indexer.errors import ModelFormatError

CONFIG_JSON = "config.json"
CHAR_DIC = "char.dic"
WORD_DIC = "word.dic"
TOKEN_EMBEDDER_PKL = "token_embedder.pkl"
ENCODER_PKL = "encoder.pkl"


@dataclass(frozen=True, eq=False)
class EfmlModel:
    """A loaded EFML folder. ``config`` is the model config (the file ``config_path`` names)."""

    weights: BiLMWeights
    mapper: EfmlMapper
    config: dict[str, Any]
    identity: str
    folder: Path


def is_efml_folder(path: str | Path) -> bool:
    """Whether ``path`` is a folder with config.json, encoder.pkl and token_embedder.pkl."""
    folder = Path(path)
    return folder.is_dir() and all(
        (folder / name).is_file() for name in (CONFIG_JSON, ENCODER_PKL, TOKEN_EMBEDDER_PKL)
    )


def load_efml(folder: str | Path) -> EfmlModel:
    """Read an EFML model folder; raises ModelFormatError naming the file at fault.

    ``identity`` is :func:`file_identity` over config.json, the model config, char.dic, word.dic
    (when the model has word embeddings), token_embedder.pkl and encoder.pkl.
    """
    folder = Path(folder)
    config_path = _read_json(folder / CONFIG_JSON).get("config_path")
    if not isinstance(config_path, str):
        raise ModelFormatError(
            f"'config_path' must be a string, got {config_path!r}", path=folder / CONFIG_JSON
        )
    resolved = resolve_config_path(folder, config_path)
    config = _read_json(resolved)
    spec = EfmlSpec.parse(config, resolved)
    files = [folder / CONFIG_JSON, resolved, folder / CHAR_DIC]
    char2id = read_lexicon(folder / CHAR_DIC, REQUIRED_CHARS)
    word2id = None
    if spec.word_dim > 0:
        files.append(folder / WORD_DIC)
        word2id = read_lexicon(folder / WORD_DIC, REQUIRED_WORDS)
    files += [folder / TOKEN_EMBEDDER_PKL, folder / ENCODER_PKL]

    token = _token_weights(
        _load_state(
            folder / TOKEN_EMBEDDER_PKL, spec.token_shapes(len(char2id), len(word2id or {}))
        ),
        spec,
    )
    encoder = _load_state(folder / ENCODER_PKL, spec.encoder_shapes())
    weights = BiLMWeights(
        token=token,
        forward=_lstm_stack(encoder, "forward", spec.n_layers),
        backward=_lstm_stack(encoder, "backward", spec.n_layers),
        cell_clip=spec.cell_clip,
        proj_clip=spec.proj_clip,
        skip_connections=True,  # the package's _lstm_forward adds each layer's input from layer 1
    )
    return EfmlModel(
        weights=weights,
        mapper=EfmlMapper(char2id, word2id, spec.max_chars),
        config=config,
        identity=file_identity(files),
        folder=folder,
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_bytes().decode("utf-8"))
    except OSError as err:
        raise ModelFormatError(f"cannot read: {err.strerror or err}", path=path) from err
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelFormatError(f"not valid UTF-8 JSON: {err}", path=path) from err
    if not isinstance(value, dict):
        raise ModelFormatError("expected a JSON object", path=path)
    return value


def _load_state(path: Path, shapes: Mapping[str, Shape]) -> dict[str, Array]:
    """A state dict's tensors as float32 arrays, after checking its keys and shapes.

    Unpickled with ``weights_only``, so that a model file cannot run code.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for a missing, truncated or foreign file
        raise ModelFormatError(f"not a loadable PyTorch state dict: {err}", path=path) from err
    if not isinstance(state, Mapping) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()
    ):
        raise ModelFormatError("expected a state dict of named tensors", path=path)
    missing = [key for key in shapes if key not in state]
    if missing:
        raise ModelFormatError(f"missing keys {missing}", path=path)
    unexpected = [key for key in state if key not in shapes]
    if unexpected:
        raise ModelFormatError(f"unexpected keys {unexpected}", path=path)
    arrays: dict[str, Array] = {}
    for key, shape in shapes.items():
        tensor = state[key]
        if tuple(tensor.shape) != shape:
            raise ModelFormatError(
                f"{key} has shape {tuple(tensor.shape)}, the config implies {shape}", path=path
            )
        if not tensor.is_floating_point():
            raise ModelFormatError(f"{key} has dtype {tensor.dtype}, expected float", path=path)
        arrays[key] = np.ascontiguousarray(tensor.detach().to(torch.float32).numpy())
    return arrays


def _token_weights(a: Mapping[str, Array], spec: EfmlSpec) -> TokenEmbedderWeights:
    return TokenEmbedderWeights(
        char_embedding=a["char_emb_layer.embedding.weight"],
        filters=tuple(
            (a[f"convolutions.{i}.weight"], a[f"convolutions.{i}.bias"])
            for i in range(len(spec.filters))
        ),
        activation=spec.activation,
        highways=tuple(
            (a[f"highways._layers.{k}.weight"], a[f"highways._layers.{k}.bias"])
            for k in range(spec.n_highway)
        ),
        projection=(a["projection.weight"], a["projection.bias"]),
        word_embedding=a.get("word_emb_layer.embedding.weight"),
    )


def _lstm_stack(a: Mapping[str, Array], direction: str, n_layers: int) -> tuple[LstmWeights, ...]:
    """EFML's LstmCellWithProjection already uses gate order (input, forget, cell, output)."""
    return tuple(
        LstmWeights(
            input_weight=a[f"{direction}_layer_{i}.input_linearity.weight"],
            hidden_weight=a[f"{direction}_layer_{i}.state_linearity.weight"],
            bias=a[f"{direction}_layer_{i}.state_linearity.bias"],
            projection=a[f"{direction}_layer_{i}.state_projection.weight"],
        )
        for i in range(n_layers)
    )
