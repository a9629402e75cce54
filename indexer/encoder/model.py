"""The ELMo biLM as PyTorch modules: the character CNN token embedder, then the biLSTM."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from indexer.encoder.kernels import full_float32, linear, pad_rows, row_floor, to_numpy
from indexer.encoder.lstm import BiLSTM, LstmState
from indexer.encoder.weights import CHAR_CNN_ACTIVATIONS, BiLMWeights, TokenEmbedderWeights

__all__ = ["BiLM", "BiLMSpec", "BiLSTM", "LstmState", "TokenEmbedder"]

#: Character spans convolved are rounded up to multiples of this (see ``_char_features``).
SPAN_STEP = 8
#: Most token rows computed in one product (see :func:`block_rows`).
TOKEN_BLOCK = 128
#: Fewest rows a block of tokens is padded to, whatever its product's measured floor.
MIN_BLOCK_ROWS = 32


def block_rows(n: int, floor: int = MIN_BLOCK_ROWS) -> int:
    """Rows a block of ``n`` token rows is padded to: a power of two, at least ``floor`` and
    :data:`MIN_BLOCK_ROWS`.
    Products then see a handful of shapes, so the kernels that oneDNN builds and caches per
    shape stay few, and with ``floor`` from :func:`~indexer.encoder.kernels.row_floor`, a
    row's result never depends on its block.

    >>> [block_rows(n) for n in (1, 32, 33, 100, 128)]
    [32, 32, 64, 128, 128]
    """
    return max(MIN_BLOCK_ROWS, floor, 1 << (n - 1).bit_length())


@dataclass(frozen=True)
class BiLMSpec:
    """Shapes of a biLM, as in the official options.json."""

    char_vocab: int = 262
    char_dim: int = 16
    filters: tuple[tuple[int, int], ...] = ((1, 32), (2, 32), (3, 64), (4, 128))
    n_highway: int = 1
    activation: str = "relu"
    projection_dim: int = 128
    cell_dim: int = 512
    num_layers: int = 2
    cell_clip: float | None = 3.0
    proj_clip: float | None = 3.0
    skip_connections: bool = True
    word_vocab: int = 0
    word_dim: int = 0


class TokenEmbedder(nn.Module):
    """Character CNN (max over positions, then activation), highway layers and a projection."""

    def __init__(
        self,
        char_vocab: int,
        char_dim: int,
        filters: Sequence[tuple[int, int]],
        activation: str,
        n_highway: int,
        output_dim: int,
        word_vocab: int = 0,
        word_dim: int = 0,
    ) -> None:
        super().__init__()
        if activation not in CHAR_CNN_ACTIVATIONS:
            raise ValueError(f"unknown char CNN activation {activation!r}")
        self.activation = activation
        self.char_embedding = nn.Embedding(char_vocab, char_dim)
        self.convolutions = nn.ModuleList(
            nn.Conv1d(char_dim, num, kernel_size=width) for width, num in filters
        )
        n_filters = sum(num for _, num in filters)
        self.highways = nn.ModuleList(nn.Linear(n_filters, 2 * n_filters) for _ in range(n_highway))
        self.word_embedding = nn.Embedding(word_vocab, word_dim) if word_dim > 0 else None
        self.projection = nn.Linear(n_filters + word_dim, output_dim)
        self.n_filters = n_filters
        self.widths = [width for width, _ in filters]
        self.output_dim = output_dim

    def forward(self, char_ids: Tensor, word_ids: Tensor | None = None) -> Tensor:
        """(N, max_chars) character ids [and (N,) word ids] -> (N, output_dim).

        Rows go through in blocks of at most :data:`TOKEN_BLOCK` (see :func:`block_rows`).
        """
        if self.word_embedding is not None and word_ids is None:
            raise ValueError("this token embedder needs word ids")
        with full_float32(char_ids.device):
            return self._forward(char_ids, word_ids)

    def _forward(self, char_ids: Tensor, word_ids: Tensor | None) -> Tensor:
        floor = self._row_floor(char_ids)
        feats = self._char_features(char_ids, floor)
        out = []
        for start in range(0, char_ids.shape[0], TOKEN_BLOCK):
            block = feats[start : start + TOKEN_BLOCK]
            m = block.shape[0]
            block = pad_rows(block, block_rows(m, floor))
            for layer in self.highways:
                assert isinstance(layer, nn.Linear)
                nonlinear, gate = linear(block, layer.weight, layer.bias).chunk(2, dim=-1)
                gate = torch.sigmoid(gate)
                block = gate * block + (1 - gate) * torch.relu(nonlinear)
            if self.word_embedding is not None and word_ids is not None:
                words = pad_rows(word_ids[start : start + TOKEN_BLOCK], block_rows(m, floor))
                block = torch.cat([self.word_embedding(words), block], dim=-1)
            out.append(linear(block, self.projection.weight, self.projection.bias)[:m])
        if not out:
            return feats.new_zeros(0, self.output_dim)
        return torch.cat(out)

    def _row_floor(self, char_ids: Tensor) -> int:
        """Fewest rows a block is padded to: that of the highway and projection products on the
        oneDNN path (see :func:`~indexer.encoder.kernels.row_floor`), else
        :data:`MIN_BLOCK_ROWS`."""
        if char_ids.device.type != "cpu" or torch.is_grad_enabled():
            return MIN_BLOCK_ROWS
        shapes = [(self.projection.in_features, self.projection.out_features)]
        for layer in self.highways:
            assert isinstance(layer, nn.Linear)
            shapes.append((layer.in_features, layer.out_features))
        return row_floor(*shapes)

    def _convolve(self, char_ids: Tensor) -> Tensor:
        emb = self.char_embedding(char_ids).transpose(1, 2)
        act = torch.relu if self.activation == "relu" else torch.tanh
        return torch.cat([act(conv(emb).amax(dim=-1)) for conv in self.convolutions], dim=-1)

    def _char_features(self, char_ids: Tensor, floor: int = MIN_BLOCK_ROWS) -> Tensor:
        """Max-pooled filter outputs (N, n_filters), each token convolved over its own span.

        Past a token's last character the ids repeat one padding id, so every window lying wholly
        in that tail gives the same value. Convolving the first ``span`` positions, with ``span``
        covering the token and at least one all-padding window, gives the maximum over all
        positions. Spans are rounded up to fixed steps, so a token always gets the same span.
        """
        n, width = char_ids.shape
        widest = max(self.widths)
        changed = char_ids != char_ids[:, -1:]
        used = torch.where(changed.any(dim=1), width - changed.flip(1).int().argmax(dim=1), 0)
        spans = torch.clamp((used + SPAN_STEP - 1) // SPAN_STEP * SPAN_STEP + widest, max=width)
        feats = torch.empty(n, self.n_filters, device=char_ids.device)
        for span in torch.unique(spans).tolist():
            group = (spans == span).nonzero().squeeze(1)
            for start in range(0, group.shape[0], TOKEN_BLOCK):
                rows = group[start : start + TOKEN_BLOCK]
                m = rows.shape[0]
                block = pad_rows(char_ids[rows, :span], block_rows(m, floor))
                feats[rows] = self._convolve(block)[:m]
        return feats

    @classmethod
    def from_weights(cls, w: TokenEmbedderWeights) -> TokenEmbedder:
        filters = [(int(cw.shape[2]), int(cw.shape[0])) for cw, _ in w.filters]
        word = w.word_embedding
        module = cls(
            char_vocab=int(w.char_embedding.shape[0]),
            char_dim=int(w.char_embedding.shape[1]),
            filters=filters,
            activation=w.activation,
            n_highway=len(w.highways),
            output_dim=w.output_dim,
            word_vocab=0 if word is None else int(word.shape[0]),
            word_dim=0 if word is None else int(word.shape[1]),
        )
        with torch.no_grad():
            module.char_embedding.weight.copy_(torch.from_numpy(w.char_embedding))
            for conv, (cw, cb) in zip(module.convolutions, w.filters, strict=True):
                assert isinstance(conv, nn.Conv1d) and conv.bias is not None
                conv.weight.copy_(torch.from_numpy(cw))
                conv.bias.copy_(torch.from_numpy(cb))
            for layer, (hw, hb) in zip(module.highways, w.highways, strict=True):
                assert isinstance(layer, nn.Linear)
                layer.weight.copy_(torch.from_numpy(hw))
                layer.bias.copy_(torch.from_numpy(hb))
            if module.word_embedding is not None and word is not None:
                module.word_embedding.weight.copy_(torch.from_numpy(word))
            module.projection.weight.copy_(torch.from_numpy(w.projection[0]))
            module.projection.bias.copy_(torch.from_numpy(w.projection[1]))
        return module

    def to_weights(self) -> TokenEmbedderWeights:
        filters = []
        for conv in self.convolutions:
            assert isinstance(conv, nn.Conv1d) and conv.bias is not None
            filters.append((to_numpy(conv.weight), to_numpy(conv.bias)))
        highways = []
        for layer in self.highways:
            assert isinstance(layer, nn.Linear)
            highways.append((to_numpy(layer.weight), to_numpy(layer.bias)))
        return TokenEmbedderWeights(
            char_embedding=to_numpy(self.char_embedding.weight),
            filters=tuple(filters),
            activation=self.activation,
            highways=tuple(highways),
            projection=(to_numpy(self.projection.weight), to_numpy(self.projection.bias)),
            word_embedding=(
                None if self.word_embedding is None else to_numpy(self.word_embedding.weight)
            ),
        )


class BiLM(nn.Module):
    """Token embedder + biLSTM: the whole biLM."""

    def __init__(self, token_embedder: TokenEmbedder, lstm: BiLSTM) -> None:
        super().__init__()
        self.token_embedder = token_embedder
        self.lstm = lstm

    @property
    def output_dim(self) -> int:
        return 2 * self.lstm.hidden_dim

    @classmethod
    def from_weights(cls, w: BiLMWeights) -> BiLM:
        return cls(
            TokenEmbedder.from_weights(w.token),
            BiLSTM.from_weights(
                w.forward, w.backward, w.cell_clip, w.proj_clip, w.skip_connections
            ),
        )

    @classmethod
    def random(cls, spec: BiLMSpec, seed: int = 0) -> BiLM:
        """A freshly initialised biLM (for training), reproducible from ``seed``."""
        gen = torch.random.fork_rng(devices=[])
        with gen:
            torch.manual_seed(seed)
            token = TokenEmbedder(
                spec.char_vocab,
                spec.char_dim,
                spec.filters,
                spec.activation,
                spec.n_highway,
                spec.projection_dim,
                spec.word_vocab,
                spec.word_dim,
            )
            lstm = BiLSTM(
                spec.num_layers,
                spec.projection_dim,
                spec.projection_dim,
                spec.cell_dim,
                spec.cell_clip,
                spec.proj_clip,
                spec.skip_connections,
            )
        return cls(token, lstm)

    def to_weights(self) -> BiLMWeights:
        forward, backward = self.lstm.to_weights()
        return BiLMWeights(
            token=self.token_embedder.to_weights(),
            forward=forward,
            backward=backward,
            cell_clip=self.lstm.cell_clip,
            proj_clip=self.lstm.proj_clip,
            skip_connections=self.lstm.skip_connections,
        )
