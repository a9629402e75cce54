"""Recall@k of a built index against exact inner-product search over the same matrix, as a
query sees it: an approximate index's candidates (``rerank_candidates(k)`` of them) are
re-ranked by their exact cosine before the top k are counted.

Exact ties are common here (ELMo's layer 0 gives every occurrence of a word the same
vector), and any k of a thousand equal vectors are an exact top-k. So an approximate hit is
counted when its true cosine is at least the k-th exact cosine minus ``TIE_TOLERANCE``;
without ties this is ``|approx ∩ exact| / k``.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from indexer.index.config import IndexConfig, max_candidates, rerank_candidates
from indexer.index.params import is_exact, omp_threads
from indexer.index.vectors import (
    RECALL_STREAM,
    VectorMatrix,
    check_matrix,
    iter_normalized,
    read_normalized,
    sample_rows,
)

TIE_TOLERANCE = 1e-5


@dataclass(frozen=True)
class RecallReport:
    """Recall@k over ``n_queries`` rows of the matrix; ``exact`` is True for a Flat index;
    ``candidates`` is how many FAISS results per query were re-ranked (``k`` for an exact
    index)."""

    k: int
    n_queries: int
    recall_at_k: float
    exact: bool
    search_ms_per_query: float
    candidates: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def measure_recall(
    index: Any, matrix: VectorMatrix | np.ndarray, config: IndexConfig, *, lossy: bool = False
) -> RecallReport:
    """Search ``config.recall_queries`` seeded random rows and compare with exact search.

    The query rows stay in the index and count as their own neighbours in both searches; the
    index's ids are the matrix rows. A search re-ranks ``rerank_candidates(k, lossy=lossy)``
    candidates, as a query does. For an index of ``lossy`` codes that is where a calibration
    starts: the candidates are doubled (up to ``max_candidates(k)``) until the re-ranked top k
    reach ``config.target_recall``, and the report gives the count that did (or the most, and
    the recall it reached), which queries of the index then re-rank.
    ``search_ms_per_query`` is the time of one batched search divided by the query count.
    """
    check_matrix(matrix)
    n = matrix.shape[0]
    k = min(config.recall_k, n)
    exact = is_exact(index)
    first = k if exact else min(rerank_candidates(k, lossy=lossy), n)
    ladder = [first]
    while lossy and ladder[-1] < min(max_candidates(k), n):
        ladder.append(min(2 * ladder[-1], max_candidates(k), n))
    rows = sample_rows(n, config.recall_queries, config.seed, stream=RECALL_STREAM)
    queries = read_normalized(matrix, rows)
    with omp_threads(config.threads):
        _, labels = index.search(queries, ladder[-1])
    kth = exact_kth_scores(matrix, queries, k)
    labels = labels.astype(np.int64)
    positions = np.where((labels >= 0) & (labels < n), labels, -1)
    true_scores = _true_scores(matrix, queries, positions)
    for candidates in ladder:
        best = -np.partition(-true_scores[:, :candidates], k - 1, axis=1)[:, :k]  # re-ranked
        hits = np.minimum((best >= kth[:, None] - TIE_TOLERANCE).sum(axis=1), k)
        recall = float(hits.mean() / k)
        if recall >= config.target_recall:
            break
    with omp_threads(config.threads):
        started = time.perf_counter()
        index.search(queries, candidates)
        elapsed = time.perf_counter() - started
    return RecallReport(
        k=k,
        n_queries=len(rows),
        recall_at_k=recall,
        exact=exact,
        search_ms_per_query=1000 * elapsed / len(rows),
        candidates=candidates,
    )


def exact_kth_scores(matrix: VectorMatrix | np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The k-th largest cosine of each query over all normalized rows, chunk by chunk."""
    best = np.full((len(queries), k), -np.inf, dtype=np.float32)
    for _, chunk in iter_normalized(matrix):
        scores = np.concatenate([best, queries @ chunk.T], axis=1)
        best = -np.partition(-scores, k - 1, axis=1)[:, :k]
    return best.min(axis=1)


#: Bytes of float32 rows gathered at a time to score candidates.
_SCORE_BYTES = 256 * 1024 * 1024


def _true_scores(
    matrix: VectorMatrix | np.ndarray, queries: np.ndarray, positions: np.ndarray
) -> np.ndarray:
    """Cosine of each query with each returned row; -inf where nothing was returned. Queries
    are taken a few at a time, so that their rows gathered stay within ``_SCORE_BYTES``."""
    scores = np.full(positions.shape, -np.inf, dtype=np.float32)
    per_query = max(1, positions.shape[1]) * matrix.shape[1] * 4
    step = max(1, _SCORE_BYTES // per_query)
    for start in range(0, len(queries), step):
        chunk = positions[start : start + step]
        found = chunk >= 0
        query_of, _ = np.nonzero(found)
        rows = np.unique(chunk[found])
        vectors = read_normalized(matrix, rows)[np.searchsorted(rows, chunk[found])]
        part = scores[start : start + step]
        part[found] = np.einsum("ij,ij->i", vectors, queries[start + query_of])
    return scores
