"""The model config of an ElmoForManyLangs folder: where it is, and the shapes it implies."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from indexer.encoder.efml_mapper import MIN_MAX_CHARS
from indexer.encoder.weights import CHAR_CNN_ACTIVATIONS
from indexer.errors import ModelFormatError
from indexer.models import real_path

logger = logging.getLogger(__name__)

#: Copies of the configs the elmoformanylangs package ships, looked up by file name.
BUNDLED_CONFIGS = files("indexer.encoder.efml_configs")
BUNDLED_CONFIG_NAMES = ("cnn_0_100_512_4096_sample.json", "cnn_50_100_512_4096_sample.json")

Shape = tuple[int, ...]


def resolve_config_path(folder: Path, config_path: str) -> Path:
    """Find the model config as elmoformanylangs does.

    ``folder / config_path`` (an absolute ``config_path`` stays as it is); else the file of that
    name inside ``folder``; else the package's bundled config of that name. Raises
    ModelFormatError naming the folder and ``config_path`` when none exists.
    """
    name = os.path.basename(config_path)
    for candidate in (folder / config_path, folder / name):
        if candidate.exists():
            logger.debug("EFML model config of %s: %s", folder, candidate)
            return candidate
    bundled = real_path(BUNDLED_CONFIGS / name) if name in BUNDLED_CONFIG_NAMES else None
    if bundled is not None and bundled.exists():
        logger.debug("EFML model config of %s: %s", folder, bundled)
        return bundled
    raise ModelFormatError(
        f"model config not found: config_path {config_path!r} exists neither as given, nor "
        "inside the folder, nor among elmoformanylangs' bundled configs",
        path=folder,
    )


@dataclass(frozen=True)
class EfmlSpec:
    """The model config's fields that shape the weights, validated."""

    char_dim: int
    word_dim: int
    filters: tuple[tuple[int, int], ...]
    n_highway: int
    activation: str
    max_chars: int
    proj_dim: int
    cell_dim: int
    n_layers: int
    cell_clip: float | None
    proj_clip: float | None

    @classmethod
    def parse(cls, config: Mapping[str, Any], path: Path) -> EfmlSpec:
        def get(section: str, key: str) -> Any:
            try:
                return config[section][key]
            except (KeyError, TypeError) as err:
                raise ModelFormatError(f"missing {section}.{key}", path=path) from err

        def count(section: str, key: str, least: int) -> int:
            value = get(section, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ModelFormatError(
                    f"{section}.{key} must be an integer >= {least}, got {value!r}", path=path
                )
            return value

        def clip(key: str) -> float | None:
            value = get("encoder", key)
            if value is not None and (
                not isinstance(value, int | float) or isinstance(value, bool) or value < 0
            ):
                raise ModelFormatError(f"encoder.{key} must be >= 0, got {value!r}", path=path)
            return float(value) if value else None  # the package skips a clip of 0 or null

        def unsupported(section: str, key: str, allowed: str) -> ModelFormatError:
            return ModelFormatError(
                f"unsupported {section}.{key} {get(section, key)!r} (supported: {allowed})",
                path=path,
            )

        # The package's own tests: it lower-cases the token embedder's name, not the encoder's.
        name = get("token_embedder", "name")
        if not (isinstance(name, str) and name.lower() == "cnn"):
            raise unsupported("token_embedder", "name", "cnn")
        if get("encoder", "name") != "elmo":
            raise unsupported("encoder", "name", "elmo")
        activation = get("token_embedder", "activation")
        if activation not in CHAR_CNN_ACTIVATIONS:
            raise unsupported("token_embedder", "activation", ", ".join(CHAR_CNN_ACTIVATIONS))
        filters = get("token_embedder", "filters")
        if not isinstance(filters, list) or not filters or not all(_is_filter(f) for f in filters):
            raise ModelFormatError(
                f"token_embedder.filters must be a list of [width, count], got {filters!r}",
                path=path,
            )
        widest = max(width for width, _ in filters)
        return cls(
            char_dim=count("token_embedder", "char_dim", 1),
            word_dim=count("token_embedder", "word_dim", 0),
            filters=tuple((width, num) for width, num in filters),
            n_highway=count("token_embedder", "n_highway", 0),
            activation=activation,
            max_chars=count(
                "token_embedder", "max_characters_per_token", max(MIN_MAX_CHARS, widest)
            ),
            proj_dim=count("encoder", "projection_dim", 1),
            cell_dim=count("encoder", "dim", 1),
            n_layers=count("encoder", "n_layers", 1),
            cell_clip=clip("cell_clip"),
            proj_clip=clip("proj_clip"),
        )

    @property
    def n_filters(self) -> int:
        return sum(num for _, num in self.filters)

    def token_shapes(self, n_chars: int, n_words: int) -> dict[str, Shape]:
        n = self.n_filters
        shapes: dict[str, Shape] = {}
        if self.word_dim > 0:
            shapes["word_emb_layer.embedding.weight"] = (n_words, self.word_dim)
        shapes["char_emb_layer.embedding.weight"] = (n_chars, self.char_dim)
        for i, (width, num) in enumerate(self.filters):
            shapes[f"convolutions.{i}.weight"] = (num, self.char_dim, width)
            shapes[f"convolutions.{i}.bias"] = (num,)
        for k in range(self.n_highway):
            shapes[f"highways._layers.{k}.weight"] = (2 * n, n)
            shapes[f"highways._layers.{k}.bias"] = (2 * n,)
        shapes["projection.weight"] = (self.proj_dim, self.word_dim + n)
        shapes["projection.bias"] = (self.proj_dim,)
        return shapes

    def encoder_shapes(self) -> dict[str, Shape]:
        gates, proj = 4 * self.cell_dim, self.proj_dim
        shapes: dict[str, Shape] = {}
        for layer in range(self.n_layers):
            for direction in ("forward", "backward"):
                prefix = f"{direction}_layer_{layer}"
                shapes[f"{prefix}.input_linearity.weight"] = (gates, proj)
                shapes[f"{prefix}.state_linearity.weight"] = (gates, proj)
                shapes[f"{prefix}.state_linearity.bias"] = (gates,)
                shapes[f"{prefix}.state_projection.weight"] = (proj, self.cell_dim)
        return shapes


def _is_filter(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
    )
