"""The biLSTM of ELMo: two LSTM-with-projection stacks (forward, backward) computed together."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from indexer.encoder.kernels import (
    fast_path,
    full_float32,
    linear,
    pad_rows,
    product_rows,
    row_floor,
    to_numpy,
)
from indexer.encoder.weights import LstmWeights

#: Batched products of the general path (training, GPU) are padded to at least this many rows.
GENERAL_MIN_ROWS = 8


def _swap_last_gates(a: np.ndarray) -> np.ndarray:
    """(i, f, g, o) <-> (i, f, o, g) along axis 0: the swap is its own inverse."""
    i, f, x, y = np.split(a, 4, axis=0)
    return np.ascontiguousarray(np.concatenate([i, f, y, x], axis=0))


@dataclass
class LstmState:
    """Hidden (L, 2, B, H) and cell (L, 2, B, C) states; direction 0 forward, 1 backward."""

    h: Tensor
    c: Tensor

    def rows(self, index: Tensor) -> LstmState:
        return LstmState(self.h[:, :, index], self.c[:, :, index])

    def repeat(self, batch: int) -> LstmState:
        """A one-row state copied to ``batch`` rows, materialized: matrix products on broadcast
        (stride 0) rows round differently."""
        return LstmState(
            self.h.expand(-1, -1, batch, -1).contiguous(),
            self.c.expand(-1, -1, batch, -1).contiguous(),
        )

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

    The backward stack reads each sequence reversed within its length, so both directions read
    "left to right" in their own frame. Rows are sorted by length (descending) and only the rows
    still running are computed at each step.

    Weights per layer, stacked over directions, in ``linear``'s (out, in) layout: ``weights``
    (2, 4C, D + H) reads ``[input; previous hidden]`` as the TF cell does, with the gates in the
    order (input, forget, output, cell); ``biases`` (2, 4C); ``projections`` (2, H, C).
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
        *,
        initialize: bool = True,
    ) -> None:
        super().__init__()
        self.num_layers = num_layers
        self.hidden_dim = hidden_dim
        self.cell_dim = cell_dim
        self.cell_clip = cell_clip
        self.proj_clip = proj_clip
        self.skip_connections = skip_connections
        self.input_dims = [input_dim] + [hidden_dim] * (num_layers - 1)
        gates = 4 * cell_dim

        # Initial values drawn in the order (all input weights, all hidden weights, all
        # projections), each as (2, in, out), so a seed gives the same model as it always has.
        def draw(*shape: int) -> Tensor:  # left uninitialized for weights loaded right after
            t = torch.empty(*shape)
            return t.uniform_(-0.05, 0.05) if initialize else t

        inputs = [draw(2, d, gates) for d in self.input_dims]
        hidden = [draw(2, hidden_dim, gates) for _ in inputs]
        projs = [draw(2, cell_dim, hidden_dim) for _ in inputs]
        self.weights = nn.ParameterList(
            nn.Parameter(torch.cat([x, h], dim=1).transpose(1, 2).contiguous())
            for x, h in zip(inputs, hidden, strict=True)
        )
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(2, gates)) for _ in inputs)
        self.projections = nn.ParameterList(
            nn.Parameter(p.transpose(1, 2).contiguous()) for p in projs
        )

    def zero_state(self, batch_size: int, like: Tensor) -> LstmState:
        shape = (self.num_layers, 2, batch_size)
        return LstmState(
            like.new_zeros(*shape, self.hidden_dim), like.new_zeros(*shape, self.cell_dim)
        )

    def forward(
        self,
        inputs: Tensor,
        lengths: Sequence[int],
        state: LstmState | None = None,
        *,
        skip_final_step: bool = False,
        first_step_done: bool = False,
    ) -> tuple[Tensor, LstmState]:
        """(B, T, D) inputs, lengths sorted descending -> ((L, B, T, 2H) outputs, final state).

        Positions past a row's length are zero in the output. The last step of each direction
        only gives the output of the forward stack at the last position, of the backward stack at
        the first, and the final state: ``skip_final_step`` leaves it out when the caller drops
        the boundary positions and needs no final state (those outputs are then zero, and the
        state returned is the one before the last step). With ``first_step_done``, ``state`` is
        the state after each direction's first step (the forward stack reads the first position
        first, the backward stack the last), and those steps are not run again: their outputs
        are zero.
        """
        rev = reverse_index(lengths, inputs.shape[1], inputs.device)
        frames = torch.stack([inputs, _gather_time(inputs, rev)])
        steps = [max(0, n - 1) for n in lengths] if skip_final_step else list(lengths)
        if first_step_done:
            frames = frames[:, :, 1:]
            steps = [max(0, n - 1) for n in steps]
        out, final = self.forward_frames(frames, steps, state)
        if first_step_done:
            out = torch.cat([out.new_zeros(*out.shape[:3], 1, out.shape[4]), out], dim=3)
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
        layer_fn = self._layer_inference if fast_path(frames) else self._layer
        outputs = []
        finals_h, finals_c = [], []
        layer_input = frames
        with full_float32(frames.device):
            for layer in range(self.num_layers):
                out, h_final, c_final = layer_fn(
                    layer, layer_input, running, state.h[layer], state.c[layer]
                )
                if self.skip_connections and layer > 0:
                    out = out + layer_input
                outputs.append(out)
                finals_h.append(h_final)
                finals_c.append(c_final)
                layer_input = out
        return torch.stack(outputs), LstmState(torch.stack(finals_h), torch.stack(finals_c))

    # -- inference on the CPU: one product per step and direction, [x; h] @ W as TF computes it --

    def _layer_inference(
        self, layer: int, x: Tensor, running: list[int], h0: Tensor, c0: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        _, batch, total, _ = x.shape
        cell, inputs = self.cell_dim, self.weights[layer].shape[2]
        floor = row_floor((inputs, 3 * cell), (inputs, cell), (cell, self.hidden_dim))
        out = x.new_zeros(2, batch, total, self.hidden_dim)
        final_h, final_c = h0.clone(), c0.clone()
        h, c = list(h0.unbind(0)), list(c0.unbind(0))
        n_prev = batch
        for t in range(total):
            n = running[t]
            if n < n_prev:  # rows n..n_prev-1 have finished: keep their last state
                for d in (0, 1):
                    final_h[d, n:n_prev] = h[d][n:n_prev]
                    final_c[d, n:n_prev] = c[d][n:n_prev]
                    h[d], c[d] = h[d][:n], c[d][:n]
                n_prev = n
            if n == 0:
                break
            for d in (0, 1):
                h[d], c[d] = self._cell(layer, d, x[d, :n, t], h[d], c[d], floor)
                out[d, :n, t] = h[d]
        for d in (0, 1):
            final_h[d, :n_prev] = h[d]
            final_c[d, :n_prev] = c[d]
        return out, final_h, final_c

    def _cell(
        self, layer: int, direction: int, x: Tensor, h: Tensor, c: Tensor, floor: int
    ) -> tuple[Tensor, Tensor]:
        """One step of one direction, in place where it can: (n, D), (n, H), (n, C) in; the
        products padded to at least ``floor`` rows (see ``kernels.row_floor``)."""
        cell = self.cell_dim
        n = h.shape[0]
        weight, bias = self.weights[layer][direction], self.biases[layer][direction]
        projection = self.projections[layer][direction]
        rows = product_rows(n, floor)
        xh = pad_rows(torch.cat([x, h], dim=1), rows)
        # gates (input, forget, output) through a sigmoid, the cell candidate through tanh
        sig = linear(xh, weight[: 3 * cell], bias[: 3 * cell], activation="sigmoid")
        candidate = linear(xh, weight[3 * cell :], bias[3 * cell :], activation="tanh")
        c = pad_rows(c, rows) * sig[:, cell : 2 * cell]
        c.addcmul_(sig[:, :cell], candidate)
        if self.cell_clip is not None:
            c.clamp_(-self.cell_clip, self.cell_clip)
        hidden = torch.tanh(c).mul_(sig[:, 2 * cell :])
        h = linear(hidden, projection, clip=self.proj_clip)
        return h[:n], c[:n]

    # -- the general path (training, GPU): both directions batched, autograd-friendly ----------

    def _layer(
        self, layer: int, x: Tensor, running: list[int], h0: Tensor, c0: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:
        _, batch, total, dim = x.shape
        cell = self.cell_dim
        weights = self.weights[layer]
        w_h = weights[:, :, dim:].transpose(1, 2)
        w_p = self.projections[layer].transpose(1, 2)
        # Time-major projected inputs: (2, T, B, 4C), bias included.
        x_t = pad_rows(x.transpose(1, 2).reshape(2, total * batch, dim), GENERAL_MIN_ROWS, dim=1)
        bias = self.biases[layer].unsqueeze(1)
        projected = torch.baddbmm(bias, x_t, weights[:, :, :dim].transpose(1, 2))
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
        """One time step of both directions; ``w_h`` (2, H, 4C) and ``w_p`` (2, C, H)."""
        cell = self.cell_dim
        n = h.shape[1]
        if n < GENERAL_MIN_ROWS:
            projected = pad_rows(projected, GENERAL_MIN_ROWS, dim=1)
            h = pad_rows(h, GENERAL_MIN_ROWS, dim=1)
            c = pad_rows(c, GENERAL_MIN_ROWS, dim=1)
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

    # -- weights ----------------------------------------------------------------------------

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
            initialize=False,
        )
        with torch.no_grad():
            for layer, (fw, bw) in enumerate(zip(forward, backward, strict=True)):
                pair = (fw, bw)
                joined = [np.concatenate([w.input_weight, w.hidden_weight], axis=1) for w in pair]
                module.weights[layer].copy_(
                    torch.from_numpy(np.stack([_swap_last_gates(w) for w in joined]))
                )
                module.biases[layer].copy_(
                    torch.from_numpy(np.stack([_swap_last_gates(w.bias) for w in pair]))
                )
                module.projections[layer].copy_(
                    torch.from_numpy(np.stack([w.projection for w in pair]))
                )
        return module

    def to_weights(self) -> tuple[tuple[LstmWeights, ...], tuple[LstmWeights, ...]]:
        directions: list[list[LstmWeights]] = [[], []]
        for layer in range(self.num_layers):
            dim = self.input_dims[layer]
            for d in (0, 1):
                joined = _swap_last_gates(to_numpy(self.weights[layer][d]))
                directions[d].append(
                    LstmWeights(
                        input_weight=np.ascontiguousarray(joined[:, :dim]),
                        hidden_weight=np.ascontiguousarray(joined[:, dim:]),
                        bias=_swap_last_gates(to_numpy(self.biases[layer][d])),
                        projection=to_numpy(self.projections[layer][d]),
                    )
                )
        return tuple(directions[0]), tuple(directions[1])
