"""Builders of small random ElmoForManyLangs model folders, made with the package's own classes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import torch
from elmoformanylangs.frontend import Model
from elmoformanylangs.modules.embedding_layer import EmbeddingLayer

SPECIALS = ("<oov>", "<pad>", "<bow>", "<eow>", "<bos>", "<eos>")
#: Characters of the char.dic, before the specials (as the package's trainer orders them).
#: U+3000 is written as its own line and read back by the package as a one-field line.
CHARS = (*"abcdefghijklmnoprstuvwxyzAB.,-'", "á", "é", "ő", "ü", "ж", "\u3000")
WORDS = (
    "<oov>", "<bos>", "<eos>", "<pad>",
    "the", "cat", "sat", "on", "a", "mat", ".", "alma", "körte", "ő", "über", "abcdefghij",
)  # fmt: skip
CONFIG_NAME = "cnn_tiny.json"


def make_efml_folder(
    tmp_path: Path,
    seed: int = 0,
    word_dim: int = 6,
    char_dim: int = 5,
    filters: Sequence[tuple[int, int]] = ((1, 4), (2, 6), (3, 8)),
    n_highway: int = 2,
    proj_dim: int = 8,
    cell_dim: int = 12,
    n_layers: int = 2,
    config_in_folder: bool = True,
    absolute_config_path: bool = False,
    max_chars: int = 12,
    activation: str = "relu",
    cell_clip: float | None = 3.0,
    proj_clip: float | None = 2.0,
    name: str = "efml-model",
) -> Path:
    """A random EFML model folder ``tmp_path / name``; returns its path.

    The model config goes into the folder (``config_in_folder``) or beside it, in
    ``tmp_path / (name + "-configs")``. config.json's ``config_path`` is relative to the folder,
    or with ``absolute_config_path`` absolute: then, when the config is in the folder, it names a
    directory that does not exist (like the published models, trained elsewhere), so a reader
    must fall back to the file of that name in the folder. Weights are drawn with
    ``torch.manual_seed(seed)`` at a scale where cell and projection clipping happen.
    """
    folder = tmp_path / name
    folder.mkdir(parents=True)
    # the layout of the package's configs/cnn_50_100_512_4096_sample.json
    config = {
        "encoder": {
            "name": "elmo",
            "projection_dim": proj_dim,
            "cell_clip": cell_clip,
            "proj_clip": proj_clip,
            "dim": cell_dim,
            "n_layers": n_layers,
        },
        "token_embedder": {
            "name": "cnn",
            "activation": activation,
            "filters": [list(f) for f in filters],
            "n_highway": n_highway,
            "word_dim": word_dim,
            "char_dim": char_dim,
            "max_characters_per_token": max_chars,
        },
        "classifier": {"name": "sampled_softmax", "n_samples": 8192},
        "dropout": 0.1,
    }
    config_dir = folder if config_in_folder else tmp_path / f"{name}-configs"
    config_dir.mkdir(exist_ok=True)
    (config_dir / CONFIG_NAME).write_text(json.dumps(config, indent=1), encoding="utf-8")
    if absolute_config_path:
        where = config_dir if not config_in_folder else tmp_path / "elsewhere" / "configs"
        config_path = str((where / CONFIG_NAME).absolute())
    else:
        config_path = f"../{config_dir.name}/{CONFIG_NAME}" if not config_in_folder else CONFIG_NAME
    outer = {"gpu": -1, "train_path": "/data/train.txt", "config_path": config_path}
    (folder / "config.json").write_text(json.dumps(outer), encoding="utf-8")

    char2id = {token: i for i, token in enumerate(CHARS + SPECIALS)}
    _write_dic(folder / "char.dic", char2id)
    word2id = {token: i for i, token in enumerate(WORDS)}
    if word_dim > 0:
        _write_dic(folder / "word.dic", word2id)

    torch.manual_seed(seed)
    char_layer = EmbeddingLayer(char_dim, dict(char2id), fix_emb=False, embs=None)
    word_layer = (
        EmbeddingLayer(word_dim, dict(word2id), fix_emb=False, embs=None) if word_dim > 0 else None
    )
    model = Model(config, word_layer, char_layer, use_cuda=False)
    with torch.no_grad():
        for key, param in model.named_parameters():
            fan_in = param.shape[1] if param.dim() > 1 else 1
            param.normal_(0.0, 1.0 if "embedding" in key else _gain(key) / fan_in**0.5)
    torch.save(model.token_embedder.state_dict(), folder / "token_embedder.pkl")
    torch.save(model.encoder.state_dict(), folder / "encoder.pkl")
    return folder


def _gain(key: str) -> float:
    """Weight scale: large input and projection weights make cell and projection clipping happen;
    modest recurrent weights keep rounding differences from being amplified along a sentence."""
    for part, gain in (
        ("input_linearity", 2.0),
        ("state_linearity", 1.0),
        ("state_projection", 3.0),
    ):
        if part in key:
            return gain
    return 1.0


def _write_dic(path: Path, lexicon: dict[str, int]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for token, index in lexicon.items():
            out.write(f"{token}\t{index}\n")
