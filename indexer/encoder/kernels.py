"""Matrix products for inference: oneDNN's matmul on the CPU where PyTorch has it, else ``linear``.

On the CPU, PyTorch's own ``linear`` goes through MKL's GEMM, which repacks the weight matrix on
every call; oneDNN's matmul runs the LSTM's products 20-40% faster. Its results for a row do not
depend on how many other rows (two or more) are computed with it, which the encoder's batch
invariance relies on: callers pad products to :func:`product_rows` rows.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

#: Row counts a product may be padded to, smallest first (see :func:`min_rows`).
ROW_FLOORS = (8, 16, 24, 32, 48, 64, 96, 128)
#: Row counts above the floor are rounded up to multiples of this, at least (see
#: :func:`product_rows`).
ROW_STEP = 8
#: Row counts a product may take between a power of two and the next (see :func:`product_rows`).
SIZES_PER_DOUBLING = 8


def pad_rows(t: Tensor, rows: int, dim: int = 0) -> Tensor:
    """``t`` with zero rows appended along ``dim`` up to ``rows`` (unchanged when long enough)."""
    missing = rows - t.shape[dim]
    if missing <= 0:
        return t
    shape = list(t.shape)
    shape[dim] = missing
    return torch.cat([t, t.new_zeros(shape)], dim=dim)


@contextlib.contextmanager
def full_float32(device: torch.device) -> Iterator[None]:
    """Products and convolutions on ``device`` in full float32 while the block runs.

    On CUDA, cuDNN's convolutions use TF32 (10-bit mantissas) by default, and a process may turn
    it on for matrix products too; the published models' vectors are float32 computations, so
    both are turned off for the block and restored after it. Nothing changes on the CPU.
    """
    if device.type != "cuda":
        yield
        return
    matmul, conv = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = matmul
        torch.backends.cudnn.allow_tf32 = conv


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


@functools.cache
def min_rows(inputs: int, outputs: int) -> int:
    """Fewest rows an (inputs -> outputs) product is padded to, so that a row's result never
    depends on how many rows are computed with it.

    oneDNN picks its kernels by shape, and products of few rows can round differently from
    larger ones: on AVX-512 CPUs only single rows do; on CPUs with AMX, products of up to 12 to
    76 rows do, depending on the shape, and all larger ones agree. Measured once per shape and
    process: the smallest of :data:`ROW_FLOORS` whose product gives the bits of a larger one,
    found by bisection (the counts that differ are the smallest ones).
    """
    reference = ROW_FLOORS[-1] + ROW_STEP
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(reference, inputs, generator=gen)
    w = torch.randn(outputs, inputs, generator=gen) * 0.05
    b = torch.randn(outputs, generator=gen)
    with torch.inference_mode():
        full = linear(x, w, b)

        def agrees(i: int) -> bool:
            rows = ROW_FLOORS[i]
            return torch.equal(linear(x[:rows], w, b), full[:rows])

        low, high = 0, len(ROW_FLOORS) - 1
        if not agrees(high):
            return reference
        while low < high:  # ROW_FLOORS[high] agrees; find the first that does
            middle = (low + high) // 2
            if agrees(middle):
                high = middle
            else:
                low = middle + 1
    return ROW_FLOORS[high]


def row_floor(*shapes: tuple[int, int]) -> int:
    """Fewest rows the same rows are padded to when they go through products of all the given
    (inputs, outputs) shapes: the largest :func:`min_rows` of them."""
    return max((min_rows(k, o) for k, o in shapes), default=ROW_FLOORS[0])


def product_rows(n: int, floor: int) -> int:
    """Rows a product of ``n`` rows is padded to: at least ``floor`` (see :func:`row_floor`),
    rounded up to a multiple of :data:`ROW_STEP` or, above ``8 * ROW_STEP`` rows, to one of
    :data:`SIZES_PER_DOUBLING` sizes between two powers of two (less than 12.5% padding).

    oneDNN builds, and keeps in two caches, a kernel of about 0.3 MB for each shape it sees
    (in ``torch.ops.mkldnn``'s LRU cache and in oneDNN's primitive cache), and an LSTM
    step's row count is the number of sentences still running. Multiples of 8 alone give
    hundreds of shapes, which a long build meets one by one; these sizes are ~50 up to 3,000
    rows, met early in any corpus, so memory stops growing after the first batches.

    >>> [product_rows(n, 32) for n in (1, 33, 64, 65, 129, 300, 1000)]
    [32, 40, 64, 72, 144, 320, 1024]
    """
    step = max(ROW_STEP, (1 << (n - 1).bit_length()) // (2 * SIZES_PER_DOUBLING))
    return max(floor, -(-n // step) * step)
