"""Handing freed heap memory back to the system during and after a build."""

from __future__ import annotations

import ctypes


def release_free_memory() -> None:
    """Return freed heap memory to the system (glibc's ``malloc_trim``; elsewhere nothing).

    The encoder allocates and frees tensors of ever-changing sizes; glibc keeps the freed
    pages, scattered through its heaps, so the resident size creeps up over a long stream.
    Trimming after every shard, and after the stream (when the model is freed), keeps it flat.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    trim = getattr(libc, "malloc_trim", None)
    if trim is not None:
        trim(0)
