"""The biLM with its training heads: dropout and a softmax shared by both directions."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from indexer.encoder.model import BiLM, BiLMSpec, LstmState
from indexer.train.softmax import LogUniformSampler, full_nll, full_nll_chunked, sampled_nll
from indexer.train.vocab import Vocabulary


@dataclass
class StepOutput:
    """Mean NLL of each direction (2,), and the final LSTM state to carry into the next window."""

    nll: Tensor
    state: LstmState


class LanguageModel(nn.Module):
    """Forward and backward language models over one :class:`BiLM`.

    Both directions read their frames from the biLM's token embedder and biLSTM exactly as the
    encoder does; the top layer's output (skip connection included) predicts the next token of
    each direction through one softmax (weights (V, H)) shared by both, as in bilm-tf. Dropout
    is applied to the token representations and to the top layer's output.
    """

    def __init__(self, bilm: BiLM, vocab_size: int, dropout: float) -> None:
        super().__init__()
        self.bilm = bilm
        hidden = bilm.lstm.hidden_dim
        self.softmax_weight = nn.Parameter(torch.empty(vocab_size, hidden))
        self.softmax_bias = nn.Parameter(torch.zeros(vocab_size))
        self.dropout = nn.Dropout(dropout)

    @classmethod
    def create(cls, spec: BiLMSpec, vocab: Vocabulary, dropout: float, seed: int) -> LanguageModel:
        """A fresh model: the biLM from ``BiLM.random``, forget-gate biases at 1 (as TF's
        LSTMCell), softmax weights N(0, 1/H) and biases at the log unigram frequencies."""
        weights = BiLM.random(spec, seed).to_weights()
        cell = spec.cell_dim
        for layer in (*weights.forward, *weights.backward):
            layer.bias[cell : 2 * cell] = 1.0  # gate order (input, forget, cell, output)
        model = cls(BiLM.from_weights(weights), len(vocab), dropout)
        generator = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            std = 1.0 / math.sqrt(model.bilm.lstm.hidden_dim)
            model.softmax_weight.normal_(0.0, std, generator=generator)
            counts = np.asarray(vocab.counts, dtype=np.float64) + 1.0
            model.softmax_bias.copy_(torch.from_numpy(np.log(counts / counts.sum())))
        return model

    def frames(self, chars: Tensor, index: Tensor) -> Tensor:
        """Token representations (2, B, T, D) of ``index`` (2, B, T) into the unique tokens whose
        character ids are ``chars`` (U, 50): each distinct token goes through the CNN once."""
        return self.bilm.token_embedder(chars)[index]

    def top_layer(
        self, chars: Tensor, index: Tensor, state: LstmState | None
    ) -> tuple[Tensor, LstmState]:
        """Top-layer outputs (2, B, T, H) and the final state."""
        x = self.dropout(self.frames(chars, index))
        lengths = [index.shape[2]] * index.shape[1]
        layers, final = self.bilm.lstm.forward_frames(x, lengths, state)
        return self.dropout(layers[-1]), final

    def forward(
        self,
        chars: Tensor,
        index: Tensor,
        targets: Tensor,
        state: LstmState | None,
        sampler: LogUniformSampler | None = None,
        n_draws: int = 0,
        generator: torch.Generator | None = None,
    ) -> StepOutput:
        """One window: mean NLL per direction of ``targets`` (2, B, T) (softmax classes).

        With a ``sampler`` the loss is the sampled softmax of ``n_draws`` draws, else the full
        softmax.
        """
        top, final = self.top_layer(chars, index, state)
        hidden = top.reshape(-1, top.shape[-1])
        flat = targets.reshape(-1)
        if sampler is None:
            nll = full_nll(hidden, self.softmax_weight, self.softmax_bias, flat)
        else:
            nll = sampled_nll(
                hidden, self.softmax_weight, self.softmax_bias, flat, sampler, n_draws, generator
            )
        return StepOutput(nll.view(2, -1).mean(dim=1), final)

    @torch.no_grad()
    def nll_sums(
        self, chars: Tensor, index: Tensor, targets: Tensor, state: LstmState | None
    ) -> tuple[Tensor, LstmState]:
        """Exact (full softmax) summed NLL per direction (2,), for evaluation."""
        top, final = self.top_layer(chars, index, state)
        hidden = top.reshape(-1, top.shape[-1])
        nll = full_nll_chunked(hidden, self.softmax_weight, self.softmax_bias, targets.reshape(-1))
        return nll.view(2, -1).sum(dim=1), final
