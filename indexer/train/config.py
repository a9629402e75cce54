"""Training settings: model shapes and training options as frozen presets, and TOML preset files."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from indexer.encoder.model import BiLMSpec
from indexer.encoder.settings import DEFAULT_DEVICE
from indexer.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 only
    import tomli as tomllib

OPTIMIZERS = ("adagrad", "adam")
DEVICES = ("auto", "cpu", "cuda")
OFFICIAL_FILTERS = ((1, 32), (2, 32), (3, 64), (4, 128), (5, 256), (6, 512), (7, 1024))


@dataclass(frozen=True)
class TrainConfig:
    """How to train; every field has a default, override with :func:`dataclasses.replace`.

    - ``window``: tokens per truncated-backpropagation window; ``batch_size``: parallel streams
      (batch rows), each carrying its LSTM state from one window to the next.
    - ``vocab_size``: most frequent words kept in the softmax vocabulary (plus ``<S>``,
      ``</S>`` and ``<UNK>``); a vocabulary larger than ``sampled_softmax_threshold`` is trained
      with a sampled softmax of ``n_samples`` log-uniform samples per step.
    - ``max_steps`` / ``epochs``: when to stop (at most one; neither means one epoch).
    - ``heldout_sentences``: sentences set aside from the corpus for the held-out perplexity
      (at most a tenth of it) when no held-out file is given.
    - ``eval_every``, ``checkpoint_every``: in steps; ``keep_checkpoints``: how many to keep.
    """

    window: int = 20
    batch_size: int = 64
    vocab_size: int = 50_000
    max_steps: int | None = None
    epochs: int | None = None
    optimizer: str = "adam"
    learning_rate: float = 2e-3
    dropout: float = 0.1
    grad_clip: float = 10.0
    sampled_softmax_threshold: int = 8192
    n_samples: int = 8192
    heldout_sentences: int = 1000
    eval_every: int = 500
    checkpoint_every: int = 1000
    keep_checkpoints: int = 2
    seed: int = 0
    device: str = DEFAULT_DEVICE

    def __post_init__(self) -> None:
        positive = ("window", "batch_size", "vocab_size", "n_samples", "eval_every")
        for name in (*positive, "checkpoint_every", "keep_checkpoints"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        for name in ("max_steps", "epochs"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"{name} must be at least 1, got {value}")
        if self.max_steps is not None and self.epochs is not None:
            raise ConfigError("give either max_steps or epochs, not both")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"optimizer must be one of {', '.join(OPTIMIZERS)}")
        if self.device not in DEVICES:
            raise ConfigError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.learning_rate <= 0 or self.grad_clip <= 0:
            raise ConfigError("learning_rate and grad_clip must be positive")
        if self.heldout_sentences < 0:
            raise ConfigError(f"heldout_sentences must be >= 0, got {self.heldout_sentences}")


#: Fields that fix the data order or the optimizer state: a resumed run must keep them.
STRUCTURAL_FIELDS = ("window", "batch_size", "vocab_size", "optimizer", "heldout_sentences", "seed")


@dataclass(frozen=True)
class Preset:
    """A named model shape with the training options that suit it."""

    name: str
    description: str
    model: BiLMSpec
    train: TrainConfig = field(default_factory=TrainConfig)


#: The preset used when none is named (and the base of a preset file that names none).
DEFAULT_PRESET = "tiny"

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "tiny",
            "small char CNN, 2x256 LSTM projected to 64: a few MB, trains on a CPU (the demo)",
            BiLMSpec(
                char_dim=16,
                filters=((1, 32), (2, 32), (3, 64), (4, 128)),
                n_highway=1,
                projection_dim=64,
                cell_dim=256,
            ),
            TrainConfig(batch_size=64, optimizer="adam", learning_rate=2e-3),
        ),
        Preset(
            "small",
            "the official small shapes (2x1024_128_2048cnn_1xhighway)",
            BiLMSpec(
                char_dim=16,
                filters=OFFICIAL_FILTERS,
                n_highway=1,
                projection_dim=128,
                cell_dim=1024,
            ),
            TrainConfig(batch_size=128, optimizer="adagrad", learning_rate=0.2),
        ),
        Preset(
            "medium",
            "the official medium shapes (2x2048_256_2048cnn_1xhighway)",
            BiLMSpec(
                char_dim=16,
                filters=OFFICIAL_FILTERS,
                n_highway=1,
                projection_dim=256,
                cell_dim=2048,
            ),
            TrainConfig(batch_size=128, optimizer="adagrad", learning_rate=0.2),
        ),
        Preset(
            "original",
            "the official original shapes (2x4096_512_2048cnn_2xhighway)",
            BiLMSpec(
                char_dim=16,
                filters=OFFICIAL_FILTERS,
                n_highway=2,
                projection_dim=512,
                cell_dim=4096,
            ),
            TrainConfig(batch_size=128, optimizer="adagrad", learning_rate=0.2),
        ),
    )
}

_MODEL_KEYS = frozenset(
    {"char_dim", "filters", "n_highway", "activation", "projection_dim", "cell_dim"}
    | {"num_layers", "cell_clip", "proj_clip", "skip_connections"}
)


def get_preset(name_or_path: str | Path) -> Preset:
    """A preset by name, or read from a TOML file (a path ending in ``.toml``)."""
    text = str(name_or_path)
    if text.endswith(".toml"):
        return load_preset_file(Path(text))
    try:
        return PRESETS[text]
    except KeyError:
        raise ConfigError(
            f"unknown preset {text!r}; choose one of {', '.join(PRESETS)} or a .toml file"
        ) from None


def load_preset_file(path: Path) -> Preset:
    """Read a preset file: ``base`` (a preset name), ``[model]`` and ``[train]`` overrides.

    Raises :class:`ConfigError` naming the file and the offending key.
    """
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as err:
        raise ConfigError("preset file not found", path=path) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"not valid TOML: {err}", path=path) from err
    unknown = sorted(set(data) - {"base", "description", "model", "train"})
    if unknown:
        raise ConfigError(f"unknown top-level key {unknown[0]!r}", path=path)
    base_name = data.get("base", DEFAULT_PRESET)
    if base_name not in PRESETS:
        raise ConfigError(f"base must be one of {', '.join(PRESETS)}, got {base_name!r}", path=path)
    base = PRESETS[base_name]
    model_values = _table(data, "model", _MODEL_KEYS, path)
    if "filters" in model_values:
        model_values["filters"] = _filters(model_values["filters"], path)
    train_values = _table(data, "train", {f.name for f in fields(TrainConfig)}, path)
    try:
        return Preset(
            name=path.stem,
            description=str(data.get("description", f"{base.name} with overrides from {path}")),
            model=replace(base.model, **model_values),
            train=replace(base.train, **train_values),
        )
    except ConfigError as err:
        raise ConfigError(err.message, path=path) from err
    except TypeError as err:
        raise ConfigError(f"bad value: {err}", path=path) from err


def _table(data: dict[str, Any], key: str, allowed: set[str] | frozenset[str], path: Path) -> dict:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{key} must be a table", path=path)
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{key}: unknown key {unknown[0]!r}", path=path)
    return dict(table)


def _filters(value: Any, path: Path) -> tuple[tuple[int, int], ...]:
    try:
        pairs = tuple((int(width), int(count)) for width, count in value)
    except (TypeError, ValueError) as err:
        raise ConfigError(
            f"model.filters must be [[width, count], ...], got {value!r}", path=path
        ) from err
    if not pairs or any(w < 1 or n < 1 for w, n in pairs):
        raise ConfigError(f"model.filters must be positive pairs, got {value!r}", path=path)
    return pairs
