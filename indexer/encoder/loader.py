"""Resolve a model name or path to an :class:`Encoder`, detecting the model family."""

from __future__ import annotations

import logging
from pathlib import Path

from indexer.encoder.allennlp_format import find_allennlp_files, load_allennlp
from indexer.encoder.chars import AllennlpCharMapper
from indexer.encoder.encoder import Encoder
from indexer.encoder.identity import file_identity
from indexer.encoder.settings import DEFAULT_DEVICE, DEFAULT_STATE
from indexer.errors import ModelNotFoundError

logger = logging.getLogger(__name__)


def resolve_model_path(path_or_name: str | Path) -> Path:
    """A model directory from a path, or from a registry name (local or cached download)."""
    path = Path(path_or_name).expanduser()
    if path.exists():
        return path
    from indexer.encoder.download import resolve_cached
    from indexer.encoder.registry import load_registry

    registry = load_registry()
    entry = registry.get(str(path_or_name))
    cached = resolve_cached(entry)
    if cached is None:
        raise ModelNotFoundError(
            f"model {entry.name!r} is not downloaded yet: run `indexer models download "
            f"{entry.name}` (needs internet), or pass a local model directory with --model PATH "
            f"(the bundled `demo` model works offline)"
        )
    return cached


def load_encoder(
    path_or_name: str | Path, state: str = DEFAULT_STATE, device: str = DEFAULT_DEVICE
) -> Encoder:
    """Load a model directory (allennlp pair or ElmoForManyLangs folder) or a registry name."""
    path = resolve_model_path(path_or_name)
    if path.is_file():
        path = path.parent
    if not path.is_dir():
        raise ModelNotFoundError("not a model directory", path=path)
    pair = find_allennlp_files(path)
    if pair is not None:
        options_path, weights_path = pair
        weights, options = load_allennlp(options_path, weights_path)
        identity = file_identity([options_path, weights_path])
        logger.info("loaded allennlp model %s (%s)", path, identity[:12])
        return Encoder.from_parts(
            weights,
            AllennlpCharMapper(),
            identity=identity,
            family="allennlp",
            state=state,
            device=device,
            options=options,
        )
    from indexer.encoder.efml import is_efml_folder, load_efml

    if is_efml_folder(path):
        model = load_efml(path)
        logger.info("loaded ElmoForManyLangs model %s (%s)", path, model.identity[:12])
        return Encoder.from_parts(
            model.weights,
            model.mapper,
            identity=model.identity,
            family="elmoformanylangs",
            state=state,
            device=device,
            options=model.config,
        )
    raise ModelNotFoundError(
        "not a model directory: expected *options.json + *weights.hdf5 (allennlp) or "
        "config.json + encoder.pkl + token_embedder.pkl (ElmoForManyLangs)",
        path=path,
    )
