"""Matrix products for inference: oneDNN's matmul on the CPU where PyTorch has it, else ``linear``.

On the CPU, PyTorch's own ``linear`` goes through MKL's GEMM, which repacks the weight matrix on
every call; oneDNN's matmul runs the LSTM's products 20-40% faster. Its results for a row do not
depend on how many other rows (two or more) are computed with it, which the encoder's batch
invariance relies on: callers pad products to at least :data:`MIN_LSTM_ROWS` rows.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

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


def to_numpy(t: Tensor) -> np.ndarray:
    """A float32 numpy copy of ``t``."""
    return t.detach().to("cpu", torch.float32).numpy().copy()


#: Elementwise functions a product can apply to its result: oneDNN fuses them into the product.
ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "none": lambda t: t,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
}


def _find_onednn_linear() -> Callable[..., Tensor] | None:
    if not torch.backends.mkldnn.is_available():
        return None
    if os.environ.get("LRU_CACHE_CAPACITY", "").strip() in ("0", "-0"):
        return None  # with its kernel cache turned off, the op crashes the process
    try:
        op: Any = torch.ops.mkldnn._linear_pointwise
    except (AttributeError, RuntimeError):
        return None
    try:  # check it once on a tiny product: an op that exists can still be unusable
        x = torch.tensor([[0.5, -1.0, 2.0], [1.0, 0.0, -0.25]])
        w = torch.tensor([[1.0, 2.0, 3.0], [-2.0, 0.5, 1.0], [0.0, 0.0, 4.0]])
        expected = x @ w.T
        checks: list[tuple[str, list[float], Tensor]] = [
            (name, [], fn(expected)) for name, fn in ACTIVATIONS.items()
        ]
        checks.append(("hardtanh", [-1.0, 1.0], expected.clamp(-1.0, 1.0)))
        for name, scalars, want in checks:
            if not torch.allclose(op(x, w, None, name, scalars, ""), want, atol=1e-6):
                return None
    except RuntimeError:
        return None
    return op


_ONEDNN_LINEAR = _find_onednn_linear()


def fast_path(x: Tensor) -> bool:
    """Whether products on ``x`` can take the oneDNN path (CPU, float32, no autograd)."""
    return (
        _ONEDNN_LINEAR is not None
        and bool(torch.backends.mkldnn.enabled)
        and x.device.type == "cpu"
        and x.dtype == torch.float32
        and not torch.is_grad_enabled()
    )


def linear(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    *,
    activation: str = "none",
    clip: float | None = None,
) -> Tensor:
    """``activation(x @ weight.T + bias)``, clamped to ``[-clip, clip]`` when ``clip`` is given.

    ``x`` is (rows, in) and ``weight`` (out, in); ``activation`` is a key of :data:`ACTIVATIONS`
    and cannot be combined with ``clip``.
    """
    if activation not in ACTIVATIONS or (clip is not None and activation != "none"):
        raise ValueError(f"unsupported activation {activation!r} with clip {clip!r}")
    if _ONEDNN_LINEAR is not None and fast_path(x):
        if clip is not None:
            return _ONEDNN_LINEAR(x, weight.contiguous(), bias, "hardtanh", [-clip, clip], "")
        return _ONEDNN_LINEAR(x, weight.contiguous(), bias, activation, [], "")
    out = ACTIVATIONS[activation](F.linear(x, weight, bias))
    return out if clip is None else out.clamp(-clip, clip)
