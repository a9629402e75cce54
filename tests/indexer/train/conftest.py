"""Shared fixtures of the training tests: a micro preset and a small generated corpus."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from indexer.encoder.model import BiLMSpec
from indexer.train import Preset, TrainConfig
from tools.sample_corpus import generate, write_lines

MICRO = Preset(
    "micro",
    "a model small enough to train in a test",
    BiLMSpec(
        char_dim=4, filters=((1, 8), (2, 8), (3, 16)), n_highway=1, projection_dim=16, cell_dim=32
    ),
    TrainConfig(
        window=8,
        batch_size=4,
        max_steps=6,
        eval_every=3,
        checkpoint_every=3,
        heldout_sentences=20,
        learning_rate=1e-2,
        device="cpu",
    ),
)


def micro(**train_overrides: Any) -> Preset:
    """The micro preset with some training fields replaced."""
    return replace(MICRO, train=replace(MICRO.train, **train_overrides))


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    write_lines(path, [s.text for s in generate(300, seed=5)])
    return path


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Micro models gain nothing from threads, and busy machines lose a lot to them."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
