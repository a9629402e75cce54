"""Model-family-neutral weights of an ELMo biLM, in PyTorch conventions.

Every loader (allennlp hdf5, ElmoForManyLangs folders) produces a :class:`BiLMWeights`; the
encoder builds its modules from it, and the trainer exports one. Arrays are float32 numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]
#: The activations of the character CNN that the model files of both families name.
CHAR_CNN_ACTIVATIONS = ("relu", "tanh")


@dataclass(frozen=True, eq=False)
class TokenEmbedderWeights:
    """Character CNN + highway + projection, optionally with a word embedding.

    - ``char_embedding``: (n_char_ids, char_dim); row ``k`` embeds character id ``k``.
    - ``filters``: per CNN filter, conv weight (n_out, char_dim, width) and bias (n_out,); the
      output is max over positions, then ``activation``.
    - ``highways``: per layer, weight (2n, n) and bias (2n,) in allennlp's convention: the first
      half is the nonlinear part (relu), the second half the gate ``g``;
      ``out = g * x + (1 - g) * relu(nonlinear)``.
    - ``word_embedding``: (n_words, word_dim) or None; when present its vector is concatenated
      *before* the highway output, and the projection reads ``[word; chars]``.
    - ``projection``: weight (out_dim, in_dim) and bias (out_dim,).
    """

    char_embedding: Array
    filters: tuple[tuple[Array, Array], ...]
    activation: str
    highways: tuple[tuple[Array, Array], ...]
    projection: tuple[Array, Array]
    word_embedding: Array | None = None

    @property
    def n_filters(self) -> int:
        return sum(int(w.shape[0]) for w, _ in self.filters)

    @property
    def output_dim(self) -> int:
        return int(self.projection[0].shape[0])


@dataclass(frozen=True, eq=False)
class LstmWeights:
    """One layer and direction of an LSTM with projection; gates (input, forget, cell, output).

    ``input_weight`` (4c, input_dim), ``hidden_weight`` (4c, hidden_dim), ``bias`` (4c,) with any
    constant forget-gate offset already added, ``projection`` (hidden_dim, c).
    """

    input_weight: Array
    hidden_weight: Array
    bias: Array
    projection: Array

    @property
    def cell_dim(self) -> int:
        return int(self.projection.shape[1])

    @property
    def hidden_dim(self) -> int:
        return int(self.projection.shape[0])


@dataclass(frozen=True, eq=False)
class BiLMWeights:
    """A whole biLM: token embedder and two separate LSTM stacks (forward, backward)."""

    token: TokenEmbedderWeights
    forward: tuple[LstmWeights, ...]
    backward: tuple[LstmWeights, ...]
    cell_clip: float | None
    proj_clip: float | None
    skip_connections: bool

    @property
    def num_layers(self) -> int:
        return len(self.forward)

    @property
    def output_dim(self) -> int:
        """Width of every output layer: both directions concatenated."""
        return 2 * self.forward[0].hidden_dim
