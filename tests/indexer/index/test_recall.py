"""Recall@k against exact search, with ties among equal vectors counted as hits."""

from __future__ import annotations

import faiss
import numpy as np

from indexer.index import IndexConfig, build_index, measure_recall, plan_index
from indexer.index.config import rerank_candidates
from indexer.index.recall import exact_kth_scores
from tests.indexer.index.conftest import clustered, unit_rows

N, D = 3000, 32


def test_flat_recall_is_exactly_one(matrix):
    config = IndexConfig(recall_queries=100)
    index = build_index(matrix, plan_index(N, D, config), config)
    report = measure_recall(index, matrix, config)
    assert report.exact and report.recall_at_k == 1.0
    assert (report.k, report.n_queries) == (10, 100)
    assert report.search_ms_per_query > 0


def test_flat_recall_is_one_with_many_equal_vectors():
    """Like ELMo layer 0: every occurrence of a word has the same vector."""
    words = clustered(40, 16, seed=3)
    matrix = words[np.random.default_rng(0).integers(40, size=2000)]
    config = IndexConfig(recall_queries=50)
    index = build_index(matrix, plan_index(2000, 16, config), config)
    assert measure_recall(index, matrix, config).recall_at_k == 1.0


def test_ivf_recall_grows_with_nprobe(matrix):
    reports = {}
    for nprobe in (1, 32):
        config = IndexConfig(kind="IVF64,Flat", nprobe=nprobe, recall_queries=100)
        index = build_index(matrix, plan_index(N, D, config), config)
        reports[nprobe] = measure_recall(index, matrix, config)
    assert not reports[1].exact
    assert 0.2 < reports[1].recall_at_k < 0.95
    assert reports[32].recall_at_k >= 0.95


def test_recall_counts_misses():
    """An index over half the rows finds about half the exact neighbours."""
    matrix = clustered(2000, 16, seed=1)
    index = faiss.IndexFlatIP(16)
    index.add(unit_rows(matrix[:1000]))
    report = measure_recall(index, matrix, IndexConfig(recall_queries=200))
    assert 0.3 < report.recall_at_k < 0.7


def test_exact_kth_scores_match_brute_force(matrix):
    queries = unit_rows(matrix[:7])
    scores = queries @ unit_rows(matrix).T
    expected = np.sort(scores, axis=1)[:, -10]
    assert np.allclose(exact_kth_scores(matrix, queries, 10), expected, atol=1e-6)


def test_compact_codes_are_measured_as_queries_see_them(matrix):
    """An approximate index's recall counts its candidates re-ranked by exact cosine, as
    ``scope="all"`` queries re-rank them: here far above the codes' own top 10."""
    config = IndexConfig(kind="IVF16,PQ4", nprobe=16, recall_queries=100)
    index = build_index(matrix, plan_index(N, D, config), config)
    report = measure_recall(index, matrix, config)
    assert not report.exact and report.candidates == rerank_candidates(10) == 40
    queries = unit_rows(matrix[:100])
    _, labels = index.search(queries, 10)
    exact = unit_rows(matrix) @ queries.T
    kth = exact_kth_scores(matrix, queries, 10)
    raw = np.mean([(exact[row, i] >= kth[i] - 1e-5).sum() / 10 for i, row in enumerate(labels)])
    assert raw < 0.8 and report.recall_at_k > raw + 0.1
    flat = IndexConfig(recall_queries=20)
    exact_report = measure_recall(build_index(matrix, plan_index(N, D, flat), flat), matrix, flat)
    assert exact_report.candidates == 10


def test_lossy_codes_are_calibrated_to_the_target_recall():
    """Near-duplicates (a templated corpus has thousands) are ranked at random by coarse codes:
    the build doubles the candidates until the re-ranked top 10 reach ``target_recall``."""
    base = clustered(5, 16, spread=0.3, seed=5)
    rng = np.random.default_rng(1)
    matrix = base[rng.integers(5, size=20_000)] + 0.01 * rng.standard_normal((20_000, 16))
    matrix = matrix.astype(np.float32)
    config = IndexConfig(kind="IVF8,PQ2", nprobe=8, recall_queries=60, target_recall=0.99)
    index = build_index(matrix, plan_index(20_000, 16, config), config)
    report = measure_recall(index, matrix, config, lossy=True)
    assert report.candidates > rerank_candidates(10, lossy=True) == 1000
    assert report.candidates in (2000, 4000, 8000, 16000)
    assert report.recall_at_k >= 0.99
    smaller = measure_recall(
        index, matrix, IndexConfig(recall_queries=60, target_recall=0.01), lossy=True
    )
    assert smaller.candidates == 1000 and smaller.recall_at_k < report.recall_at_k
