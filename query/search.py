"""Exact cosine search over stored vectors: distances, top-k selection, candidate blocks.

Pure functions on arrays. A cosine distance is ``1 - cos`` computed in float32 (float16 rows are
upcast), clipped to ``[0, 2]`` as scikit-learn's ``cosine_distances`` does, and exactly 0 for
two identical non-zero vectors. A zero vector is at distance 1 from every vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.vectors import unit_rows

#: Distances at or below this are checked for identical vectors (and then set to exactly 0).
IDENTICAL_SLACK = 1e-5
#: Query rows per block when many queries meet many candidates.
QUERY_BLOCK = 256
#: Whether BLAS is held to one thread in this process (:func:`hold_blas_to_one_thread`).
_blas_one_thread = False


def hold_blas_to_one_thread() -> bool:
    """Limit BLAS to one thread in this process (threadpoolctl; False where it is missing).

    For a server running a process per core. A single query's matrix-vector product then goes
    to BLAS, several times faster than einsum; a threaded BLAS is not used for it, because on a
    busy machine it can wait ten times longer for its threads than it computes.
    """
    global _blas_one_thread
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(1, user_api="blas")
    _blas_one_thread = True
    return True


def as_float32(vectors: np.ndarray) -> np.ndarray:
    """A 2-D float32 array of ``vectors`` (a copy only where needed)."""
    array = np.asarray(vectors, dtype=np.float32)
    return array.reshape(1, -1) if array.ndim == 1 else array


def row_norms(x: np.ndarray) -> np.ndarray:
    """Euclidean norm of each row of a 2-D float32 array."""
    return np.sqrt(np.einsum("ij,ij->i", x, x))


@dataclass(frozen=True, eq=False)
class Candidates:
    """Rows searched exactly: their ids, float32 vectors and norms (1 for zero rows)."""

    ids: np.ndarray
    vectors: np.ndarray
    norms: np.ndarray

    @classmethod
    def of(cls, ids: np.ndarray, vectors: np.ndarray) -> Candidates:
        x = np.ascontiguousarray(as_float32(vectors))
        norms = row_norms(x)
        return cls(np.asarray(ids, dtype=np.int64), x, np.where(norms > 0, norms, 1.0))

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.vectors.nbytes + self.norms.nbytes)

    def take(self, rows: np.ndarray) -> Candidates:
        return Candidates(self.ids[rows], self.vectors[rows], self.norms[rows])


def cosine_distances(queries: np.ndarray, candidates: np.ndarray | Candidates) -> np.ndarray:
    """(m, n) float32 cosine distances between ``m`` query rows and ``n`` candidate rows.

    >>> v = np.array([[1.0, 2.0], [2.0, 4.0], [-1.0, 0.5], [0.0, 0.0]], dtype=np.float32)
    >>> cosine_distances(v[:1], v).round(4).tolist()
    [[0.0, 0.0, 1.0, 1.0]]
    """
    if not isinstance(candidates, Candidates):
        candidates = Candidates.of(np.arange(len(candidates)), candidates)
    q = as_float32(queries)
    c = candidates.vectors
    q_unit = unit_rows(q)
    out = np.empty((len(q), len(c)), dtype=np.float32)
    for start in range(0, len(q), QUERY_BLOCK):
        stop = start + QUERY_BLOCK
        if len(q) == 1 and not _blas_one_thread:
            # einsum, not a threaded BLAS (see hold_blas_to_one_thread)
            dots = np.einsum("ij,j->i", c, q_unit[0])[None, :]
        elif len(q) == 1:
            dots = (c @ q_unit[0])[None, :]  # a matrix-vector product, quicker than q @ c.T
        else:
            dots = q_unit[start:stop] @ c.T
        block = 1.0 - dots / candidates.norms
        np.clip(block, 0.0, 2.0, out=block)
        out[start:stop] = block
    _zero_identical(out, q, c)
    return out


def _zero_identical(distances: np.ndarray, q: np.ndarray, c: np.ndarray) -> None:
    """Set the distance of identical non-zero row pairs to exactly 0 (in place)."""
    rows, cols = np.nonzero((distances <= IDENTICAL_SLACK) & (distances > 0))
    if len(rows):
        same = (q[rows] == c[cols]).all(axis=1)
        distances[rows[same], cols[same]] = 0.0


def top_k(
    distances: np.ndarray, ids: np.ndarray, k: int, exclude: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` smallest of one row of ``distances``: (ids, distances), nearest first.

    Ties are broken by the smaller id, so that equal distances (common on layer 0, where
    every occurrence of a word has the same vector) give the same answer every time.
    ``exclude`` is an id left out (the query occurrence itself).

    >>> top_k(np.array([0.5, 0.0, 0.0, 0.2]), np.array([10, 11, 12, 13]), 2, exclude=11)
    (array([12, 13]), array([0. , 0.2]))
    """
    d = np.asarray(distances)
    ids = np.asarray(ids)
    if exclude is not None:
        keep = ids != exclude
        d, ids = d[keep], ids[keep]
    if len(d) > k:
        kth = np.partition(d, k - 1)[k - 1]
        close = np.flatnonzero(d <= kth)
        d, ids = d[close], ids[close]
    order = np.lexsort((ids, d))[:k]
    return ids[order], d[order]


def search_exact(
    queries: np.ndarray, candidates: Candidates, k: int, exclude: Sequence[int | None]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per query row: its ``k`` nearest candidates (ids, distances), ``exclude[i]`` left out."""
    results = []
    for start in range(0, len(queries), QUERY_BLOCK):
        block = cosine_distances(queries[start : start + QUERY_BLOCK], candidates)
        for offset, row in enumerate(block):
            results.append(top_k(row, candidates.ids, k, exclude[start + offset]))
    return results
