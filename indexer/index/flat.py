"""An exact (``Flat``, inner product) FAISS index file written chunk by chunk from a matrix.

A Flat index is a short header followed by its float32 vectors. Writing that file directly,
one normalized chunk at a time, gives the bytes ``faiss.write_index`` writes for an
``IndexFlatIP`` holding the same vectors, without ever holding the index in memory: the
build's peak memory then does not grow with the corpus. The sha256 is taken on the way.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from indexer.errors import IndexStateError
from indexer.files import atomic_path, flush_durably
from indexer.index.vectors import VectorMatrix, check_matrix, iter_normalized

#: FAISS's type tag of an ``IndexFlatIP``.
FLAT_IP_FOURCC = b"IxFI"
#: FAISS's ``METRIC_INNER_PRODUCT``.
METRIC_INNER_PRODUCT = 0
#: Two header fields FAISS no longer reads and always writes as 2**20.
_UNUSED = 1 << 20
#: Rows normalized at a time: a few MiB, so that layers can be written side by side.
CHUNK_ROWS = 16384


def flat_header(n: int, d: int) -> bytes:
    """The bytes before the vectors: tag; d, ntotal, two unused fields, is_trained and the
    metric (FAISS's index header); then the float count of the vector array that follows."""
    return (
        FLAT_IP_FOURCC
        + struct.pack("<iqqq?i", d, n, _UNUSED, _UNUSED, True, METRIC_INNER_PRODUCT)
        + struct.pack("<Q", n * d)
    )


def write_flat_index(matrix: VectorMatrix | np.ndarray, path: str | Path) -> dict[str, int | str]:
    """Write the Flat inner-product index of ``matrix``'s L2-normalized rows to ``path``.

    The file is written durably (``indexer.files.atomic_path``: a temporary name in the
    same folder, flushed to disk, then renamed), each chunk put on disk and dropped from the
    page cache as it is written (``forget_cached``). Returns what the manifest records of it:
    ``bytes`` and ``sha256``.
    """
    check_matrix(matrix)
    path = Path(path)
    digest = hashlib.sha256()
    size = 0
    try:
        with atomic_path(path) as tmp, tmp.open("wb") as handle:
            for block in _blocks(matrix):
                handle.write(block)
                digest.update(block)
                size += len(block)
                flush_durably(handle, forget=True)
    except OSError as err:
        raise IndexStateError(
            f"cannot write the FAISS index: {err.strerror or err}", path=path
        ) from err
    return {"bytes": size, "sha256": digest.hexdigest()}


def _blocks(matrix: VectorMatrix | np.ndarray) -> Iterator[memoryview]:
    n, d = matrix.shape
    yield memoryview(flat_header(n, d))
    for _, chunk in iter_normalized(matrix, CHUNK_ROWS):
        yield np.ascontiguousarray(chunk, dtype="<f4").data.cast("B")
