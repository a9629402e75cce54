"""How fast this machine multiplies matrices right now, printed beside throughput figures.

On a shared or virtual machine the speed of the cores changes from minute to minute; a
figure taken with the matrix-product rate of that moment can be compared with others.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

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


def describe_machine() -> dict[str, Any]:
    """The processor, cores, memory and matrix-product rate of this machine right now."""
    model = platform.processor()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [x for x in cpuinfo.read_text().splitlines() if x.startswith("model name")]
        model = names[0].split(":", 1)[1].strip() if names else model
    memory = 0.0
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = next(x for x in meminfo.read_text().splitlines() if x.startswith("MemTotal"))
        memory = int(total.split()[1]) / 1024 / 1024
    return {
        "cpu": model,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(memory, 1),
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "gemm_gflops": round(gemm_gflops(), 1),
    }
