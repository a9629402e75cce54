"""The ELMo biLM as PyTorch modules: character CNN token embedder and a fused bidirectional LSTM."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from indexer.encoder.weights import BiLMWeights, LstmWeights, TokenEmbedderWeights


def _np(t: Tensor) -> np.ndarray:
    return t.detach().to("cpu", torch.float32).numpy().copy()


#: Matrix products of fewer rows take other kernels whose results differ in the last bits; padding
#: to these minimum row counts keeps every row's result independent of how many rows run with it.
MIN_LSTM_ROWS = 8
MIN_TOKEN_ROWS = 32


def pad_rows(t: Tensor, rows: int, dim: int = 0) -> Tensor:
    """``t`` with zero rows appended along ``dim`` up to ``rows`` (unchanged when long enough)."""
    missing = rows - t.shape[dim]
    if missing <= 0:
        return t
    shape = list(t.shape)
    shape[dim] = missing
    return torch.cat([t, t.new_zeros(shape)], dim=dim)


def _swap_last_gates(a: np.ndarray) -> np.ndarray:
    """(i, f, g, o) <-> (i, f, o, g) along axis 0: the swap is its own inverse."""
    i, f, x, y = np.split(a, 4, axis=0)
    return np.ascontiguousarray(np.concatenate([i, f, y, x], axis=0))


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
        if activation not in ("relu", "tanh"):
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
        self.output_dim = output_dim

    def forward(self, char_ids: Tensor, word_ids: Tensor | None = None) -> Tensor:
        """(N, max_chars) character ids [and (N,) word ids] -> (N, output_dim)."""
        n = char_ids.shape[0]
        char_ids = pad_rows(char_ids, MIN_TOKEN_ROWS)
        if word_ids is not None:
            word_ids = pad_rows(word_ids, MIN_TOKEN_ROWS)
        emb = self.char_embedding(char_ids).transpose(1, 2)
        act = torch.relu if self.activation == "relu" else torch.tanh
        feats = torch.cat([act(conv(emb).amax(dim=-1)) for conv in self.convolutions], dim=-1)
        for layer in self.highways:
            nonlinear, gate = layer(feats).chunk(2, dim=-1)
            gate = torch.sigmoid(gate)
            feats = gate * feats + (1 - gate) * torch.relu(nonlinear)
        if self.word_embedding is not None:
            if word_ids is None:
                raise ValueError("this token embedder needs word ids")
            feats = torch.cat([self.word_embedding(word_ids), feats], dim=-1)
        return self.projection(feats)[:n]

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
            filters.append((_np(conv.weight), _np(conv.bias)))
        highways = []
        for layer in self.highways:
            assert isinstance(layer, nn.Linear)
            highways.append((_np(layer.weight), _np(layer.bias)))
        return TokenEmbedderWeights(
            char_embedding=_np(self.char_embedding.weight),
            filters=tuple(filters),
            activation=self.activation,
            highways=tuple(highways),
            projection=(_np(self.projection.weight), _np(self.projection.bias)),
            word_embedding=None if self.word_embedding is None else _np(self.word_embedding.weight),
        )


@dataclass
class LstmState:
    """Hidden (L, 2, B, H) and cell (L, 2, B, C) states; direction 0 forward, 1 backward."""

    h: Tensor
    c: Tensor

    def rows(self, index: Tensor) -> LstmState:
        return LstmState(self.h[:, :, index], self.c[:, :, index])

    @property
    def batch_size(self) -> int:
        return int(self.h.shape[2])


def reverse_index(lengths: Sequence[int], total: int, device: torch.device) -> Tensor:
    """(B, T) index reversing each row within its length; padding positions map to themselves."""
    steps = torch.arange(total, device=device)
    lens = torch.as_tensor(list(lengths), device=device).unsqueeze(1)
    return torch.where(steps < lens, lens - 1 - steps, steps)


def _gather_time(x: Tensor, index: Tensor) -> Tensor:
    """Reorder the time axis (dim -2) of x (..., B, T, D) row by row with index (B, T)."""
    expanded = index.unsqueeze(-1).expand(*x.shape[:-1], x.shape[-1])
    return torch.gather(x, -2, expanded)


class BiLSTM(nn.Module):
    """Two separate LSTM-with-projection stacks (forward, backward) computed together.

    Both directions are run as one batched computation: the backward stack reads each sequence
    reversed within its length, so both read "left to right" in their own frame. Rows are sorted
    by length (descending) and only the rows still running are computed at each step. Input
    projections of all steps are one matrix product per layer.
    """

    def __init__(
        self,
        num_layers: int,
        input_dim: int,
        hidden_dim: int,
        cell_dim: int,
        cell_clip: float | None,
        proj_clip: float | None,
        skip_connections: bool,
    ) -> None:
        super().__init__()
        self.num_layers = num_layers
        self.hidden_dim = hidden_dim
        self.cell_dim = cell_dim
        self.cell_clip = cell_clip
        self.proj_clip = proj_clip
        self.skip_connections = skip_connections
        dims = [input_dim] + [hidden_dim] * (num_layers - 1)
        # Stored transposed for x @ W, stacked over directions.
        self.input_weights = nn.ParameterList(
            nn.Parameter(torch.empty(2, d, 4 * cell_dim)) for d in dims
        )
        self.hidden_weights = nn.ParameterList(
            nn.Parameter(torch.empty(2, hidden_dim, 4 * cell_dim)) for _ in dims
        )
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(2, 1, 4 * cell_dim)) for _ in dims)
        self.projections = nn.ParameterList(
            nn.Parameter(torch.empty(2, cell_dim, hidden_dim)) for _ in dims
        )
        for group in (self.input_weights, self.hidden_weights, self.projections):
            for p in group:
                nn.init.uniform_(p, -0.05, 0.05)

    def zero_state(self, batch_size: int, like: Tensor) -> LstmState:
        shape = (self.num_layers, 2, batch_size)
        return LstmState(
            like.new_zeros(*shape, self.hidden_dim), like.new_zeros(*shape, self.cell_dim)
        )

    def forward(
        self, inputs: Tensor, lengths: Sequence[int], state: LstmState | None = None
    ) -> tuple[Tensor, LstmState]:
        """(B, T, D) inputs, lengths sorted descending -> ((L, B, T, 2H) outputs, final state).

        Positions past a row's length are zero in the output.
        """
        rev = reverse_index(lengths, inputs.shape[1], inputs.device)
        frames = torch.stack([inputs, _gather_time(inputs, rev)])
        out, final = self.forward_frames(frames, lengths, state)
        backward = _gather_time(out[:, 1], rev.unsqueeze(0).expand(out.shape[0], -1, -1))
        return torch.cat([out[:, 0], backward], dim=-1), final

    def forward_frames(
        self, frames: Tensor, lengths: Sequence[int], state: LstmState | None = None
    ) -> tuple[Tensor, LstmState]:
        """(2, B, T, D) inputs, each direction already in its reading order -> (L, 2, B, T, H)."""
        _, batch, total, _ = frames.shape
        lens = list(lengths)
        if any(a < b for a, b in itertools.pairwise(lens)):
            raise ValueError("lengths must be sorted in descending order")
        if state is None:
            state = self.zero_state(batch, frames)
        # running[t] = number of rows whose length exceeds t
        running = [sum(1 for n in lens if n > t) for t in range(total)]
        outputs = []
        finals_h, finals_c = [], []
        layer_input = frames
        for layer in range(self.num_layers):
            out, h_final, c_final = self._layer(
                layer, layer_input, running, state.h[layer], state.c[layer]
            )
            if self.skip_connections and layer > 0:
                out = out + layer_input
            outputs.append(out)
            finals_h.append(h_final)
            finals_c.append(c_final)
            layer_input = out
        return torch.stack(outputs), LstmState(torch.stack(finals_h), torch.stack(finals_c))

    def _layer(
        self, layer: int, x: Tensor, running: list[int], h0: Tensor, c0: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        _, batch, total, dim = x.shape
        cell = self.cell_dim
        w_h = self.hidden_weights[layer]
        w_p = self.projections[layer]
        # Time-major projected inputs: (2, T, B, 4C), bias included.
        x_t = pad_rows(x.transpose(1, 2).reshape(2, total * batch, dim), MIN_LSTM_ROWS, dim=1)
        projected = torch.baddbmm(self.biases[layer], x_t, self.input_weights[layer])
        projected = projected[:, : total * batch].view(2, total, batch, 4 * cell)
        steps = projected.unbind(1)  # one view per step: cheap to index, cheap to back-propagate
        inplace = not torch.is_grad_enabled()
        h, c = h0, c0
        outputs: list[Tensor] = []
        final_h: list[Tensor] = []
        final_c: list[Tensor] = []
        n_prev = batch
        for t in range(total):
            n = running[t]
            if n < n_prev:
                # rows n..n_prev-1 have finished: keep their last state
                final_h.insert(0, h[:, n:n_prev])
                final_c.insert(0, c[:, n:n_prev])
                h, c = h[:, :n], c[:, :n]
                n_prev = n
            if n == 0:
                outputs.extend([h0.new_zeros(2, batch, self.hidden_dim)] * (total - t))
                break
            h, c = self._step(steps[t][:, :n], h, c, w_h, w_p, inplace)
            outputs.append(pad_rows(h, batch, dim=1))
        if n_prev > 0:
            final_h.insert(0, h[:, :n_prev])
            final_c.insert(0, c[:, :n_prev])
        # Rows of length 0 "finish" at step 0 and so keep their initial state.
        out = torch.stack(outputs, dim=2) if outputs else x.new_zeros(2, batch, 0, self.hidden_dim)
        return out, torch.cat(final_h, dim=1), torch.cat(final_c, dim=1)

    def _step(
        self, projected: Tensor, h: Tensor, c: Tensor, w_h: Tensor, w_p: Tensor, inplace: bool
    ) -> tuple[Tensor, Tensor]:
        """One time step of both directions; stored gate order is (input, forget, output, cell)."""
        cell = self.cell_dim
        n = h.shape[1]
        if n < MIN_LSTM_ROWS:
            projected = pad_rows(projected, MIN_LSTM_ROWS, dim=1)
            h = pad_rows(h, MIN_LSTM_ROWS, dim=1)
            c = pad_rows(c, MIN_LSTM_ROWS, dim=1)
        gates = torch.baddbmm(projected, h, w_h)
        if inplace:  # inference: fewer passes over memory, no autograd to protect
            gates[..., : 3 * cell].sigmoid_()
            gates[..., 3 * cell :].tanh_()
            c = c * gates[..., cell : 2 * cell]
            c.addcmul_(gates[..., :cell], gates[..., 3 * cell :])
            if self.cell_clip is not None:
                c.clamp_(-self.cell_clip, self.cell_clip)
            hidden = torch.tanh(c).mul_(gates[..., 2 * cell : 3 * cell])
            h = torch.bmm(hidden, w_p)
            if self.proj_clip is not None:
                h.clamp_(-self.proj_clip, self.proj_clip)
            return h[:, :n], c[:, :n]
        sig = torch.sigmoid(gates[..., : 3 * cell])
        c = torch.addcmul(
            sig[..., cell : 2 * cell] * c, sig[..., :cell], torch.tanh(gates[..., 3 * cell :])
        )
        if self.cell_clip is not None:
            c = torch.clamp(c, -self.cell_clip, self.cell_clip)
        h = torch.bmm(sig[..., 2 * cell :] * torch.tanh(c), w_p)
        if self.proj_clip is not None:
            h = torch.clamp(h, -self.proj_clip, self.proj_clip)
        return h[:, :n], c[:, :n]

    @classmethod
    def from_weights(
        cls,
        forward: Sequence[LstmWeights],
        backward: Sequence[LstmWeights],
        cell_clip: float | None,
        proj_clip: float | None,
        skip_connections: bool,
    ) -> BiLSTM:
        first = forward[0]
        module = cls(
            num_layers=len(forward),
            input_dim=int(first.input_weight.shape[1]),
            hidden_dim=first.hidden_dim,
            cell_dim=first.cell_dim,
            cell_clip=cell_clip,
            proj_clip=proj_clip,
            skip_connections=skip_connections,
        )
        with torch.no_grad():
            for layer, (fw, bw) in enumerate(zip(forward, backward, strict=True)):
                pair = (fw, bw)
                module.input_weights[layer].copy_(
                    torch.from_numpy(np.stack([_swap_last_gates(w.input_weight).T for w in pair]))
                )
                module.hidden_weights[layer].copy_(
                    torch.from_numpy(np.stack([_swap_last_gates(w.hidden_weight).T for w in pair]))
                )
                module.biases[layer].copy_(
                    torch.from_numpy(np.stack([_swap_last_gates(w.bias)[None] for w in pair]))
                )
                module.projections[layer].copy_(
                    torch.from_numpy(np.stack([w.projection.T for w in pair]))
                )
        return module

    def to_weights(self) -> tuple[tuple[LstmWeights, ...], tuple[LstmWeights, ...]]:
        directions: list[list[LstmWeights]] = [[], []]
        for layer in range(self.num_layers):
            for d in (0, 1):
                directions[d].append(
                    LstmWeights(
                        input_weight=_swap_last_gates(_np(self.input_weights[layer][d]).T),
                        hidden_weight=_swap_last_gates(_np(self.hidden_weights[layer][d]).T),
                        bias=_swap_last_gates(_np(self.biases[layer][d, 0])),
                        projection=np.ascontiguousarray(_np(self.projections[layer][d]).T),
                    )
                )
        return tuple(directions[0]), tuple(directions[1])


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
