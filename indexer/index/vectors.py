"""A layer's vector matrix read for indexing: seeded row samples and L2-normalized chunks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np

from indexer.errors import IndexStateError
from indexer.files import release_mapped
from indexer.vectors import VECTOR_DTYPES, unit_rows

CHUNK_ROWS = 65536


class VectorMatrix(Protocol):
    """What indexing reads vectors from: an ``(N, d)`` array (a memory map, say), or a stored
    layer read in place (``indexer.store.layer_vectors.LayerVectors``)."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    @property
    def ndim(self) -> int: ...

    @property
    def dtype(self) -> np.dtype: ...

    def __getitem__(self, key: slice | np.ndarray) -> np.ndarray: ...

    def release(self) -> None: ...


TRAIN_STREAM = 0
RECALL_STREAM = 1


def check_matrix(matrix: VectorMatrix | np.ndarray) -> None:
    """Raise IndexStateError unless ``matrix`` is a non-empty (N, d) float16/float32 array."""
    if matrix.ndim != 2 or matrix.shape[0] < 1 or matrix.shape[1] < 1:
        raise IndexStateError(
            f"vector matrix must have shape (N, d) with N, d >= 1, got {matrix.shape}"
        )
    if matrix.dtype.name not in VECTOR_DTYPES:
        raise IndexStateError(
            f"vector matrix must be {' or '.join(VECTOR_DTYPES)}, got {matrix.dtype}"
        )


def sample_rows(n_rows: int, n_sample: int, seed: int, *, stream: int = TRAIN_STREAM) -> np.ndarray:
    """Sorted distinct row indices drawn uniformly from ``range(n_rows)``.

    The same ``(seed, stream)`` gives the same rows; ``stream`` keeps the training sample and
    the recall queries apart. All rows when ``n_sample >= n_rows``.

    >>> sample_rows(5, 10, seed=0).tolist()
    [0, 1, 2, 3, 4]
    >>> rows = sample_rows(1_000_000, 1000, seed=0)
    >>> len(set(rows.tolist())), bool(rows[0] < 10_000 and rows[-1] > 990_000)
    (1000, True)
    """
    if n_sample >= n_rows:
        return np.arange(n_rows, dtype=np.int64)
    rng = np.random.default_rng([seed, stream])
    return np.sort(rng.choice(n_rows, size=n_sample, replace=False)).astype(np.int64)


def release_pages(matrix: VectorMatrix | np.ndarray) -> None:
    """Drop the pages of a memory-mapped ``matrix`` from this process's resident memory.

    The file's pages stay in the page cache and a later read maps them again; without this,
    every page read stays counted in the process's resident size until the map is closed, so
    reading a whole matrix would grow it with the corpus. Stored layers
    (:class:`indexer.store.layer_vectors.LayerVectors`) release their files' maps; other
    arrays: nothing to do.
    """
    if isinstance(matrix, np.ndarray):
        release_mapped(matrix)
    else:
        matrix.release()


def iter_normalized(
    matrix: VectorMatrix | np.ndarray, chunk_rows: int = CHUNK_ROWS
) -> Iterator[tuple[int, np.ndarray]]:
    """``(first_row, normalized float32 chunk)`` over the matrix, ``chunk_rows`` rows at a time."""
    n = matrix.shape[0]
    for start in range(0, n, chunk_rows):
        stop = min(start + chunk_rows, n)
        chunk = unit_rows(matrix[start:stop], range(start, stop))
        release_pages(matrix)
        yield start, chunk


def read_normalized(matrix: VectorMatrix | np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The given rows (sorted, for sequential reads of a memmap), normalized as float32."""
    vectors = unit_rows(matrix[rows], rows)
    release_pages(matrix)
    return vectors
