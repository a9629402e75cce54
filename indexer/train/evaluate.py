"""Held-out perplexity of both directions, with the exact (full) softmax."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from indexer.encoder.model import LstmState
from indexer.train.data import EncodedCorpus, stream_rows, window_bounds, window_frames
from indexer.train.lm import LanguageModel
from indexer.train.tensors import window_tensors


@dataclass(frozen=True)
class Perplexity:
    """Per-token perplexity of the forward and backward models, and of their mean NLL."""

    forward: float
    backward: float
    n_tokens: int

    @property
    def mean(self) -> float:
        return math.exp(0.5 * (math.log(self.forward) + math.log(self.backward)))


def heldout_perplexity(
    model: LanguageModel,
    heldout: EncodedCorpus,
    char_table: npt.NDArray[np.int16],
    classes: npt.NDArray[np.int64],
    *,
    batch_size: int,
    window: int,
    device: torch.device,
) -> Perplexity:
    """Read ``heldout`` in sentence order as training does (rows, windows, carried state, from
    zero state), without dropout; every target position counts, boundaries included."""
    rows = max(1, min(batch_size, heldout.n_positions // window))
    rows_in, rows_target = stream_rows(heldout, rows)
    length = rows_in.shape[1]
    was_training = model.training
    model.eval()
    totals = torch.zeros(2, dtype=torch.float64)
    state: LstmState | None = None
    try:
        with torch.no_grad():
            for index in range(-(-length // window)):
                start, end = window_bounds(length, window, index)
                inputs, targets = window_frames(rows_in, rows_target, start, end)
                t = window_tensors(inputs, targets, char_table, classes, device)
                sums, state = model.nll_sums(t.chars, t.index, t.targets, state)
                totals += sums.double().cpu()
    finally:
        model.train(was_training)
    n_tokens = rows * length
    forward, backward = (math.exp(float(x) / n_tokens) for x in totals)
    return Perplexity(forward, backward, n_tokens)
