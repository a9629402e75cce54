"""A training run to kill: ``python -m tests.indexer.train.killable CORPUS OUT [--resume]``."""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from indexer.train import train
from tests.indexer.train.conftest import micro

if __name__ == "__main__":
    torch.set_num_threads(1)
    corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
    preset = micro(max_steps=100_000, checkpoint_every=2, eval_every=1000)
    train(corpus, out, preset, resume="--resume" in sys.argv[3:])
