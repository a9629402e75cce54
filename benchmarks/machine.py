"""How fast this machine multiplies matrices right now, printed beside throughput figures.

On a shared or virtual machine the speed of the cores changes from minute to minute; a
figure taken with the matrix-product rate of that moment can be compared with others.
"""

from __future__ import annotations

import time

import torch


def gemm_gflops(size: int = 2048, repeat: int = 20) -> float:
    """GFLOP/s of a float32 (size x size) @ (size x size) product on the current torch threads."""
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    a @ b
    started = time.perf_counter()
    for _ in range(repeat):
        a @ b
    return 2 * size**3 * repeat / (time.perf_counter() - started) / 1e9
