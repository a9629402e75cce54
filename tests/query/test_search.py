"""Exact cosine distances and top-k selection on small arrays with known answers."""

from __future__ import annotations

import numpy as np

from indexer.vectors import unit_rows
from query.cache import BlockCache
from query.search import Candidates, cosine_distances, search_exact, top_k


def reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    cos = (a @ b.T) / np.outer(np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1))
    return np.clip(1.0 - cos, 0.0, 2.0)


def test_matches_the_float64_formula_on_float16_rows():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 64)).astype(np.float16)
    b = rng.standard_normal((300, 64)).astype(np.float16)
    got = cosine_distances(a, b)
    assert got.dtype == np.float32 and got.shape == (5, 300)
    np.testing.assert_allclose(got, reference(a, b), atol=2e-6)


def test_identical_vectors_are_exactly_zero_and_opposite_are_two():
    rng = np.random.default_rng(1)
    v = rng.standard_normal((50, 256)).astype(np.float16)
    d = cosine_distances(v, v)
    assert (np.diag(d) == 0.0).all()
    assert (d[~np.eye(50, dtype=bool)] > 0.1).all()
    assert cosine_distances(v[:1], -v[:1])[0, 0] == 2.0


def test_zero_vectors_are_at_distance_one():
    v = np.array([[0.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    assert cosine_distances(v, v).tolist() == [[1.0, 1.0], [1.0, 0.0]]
    assert unit_rows(v).tolist() == [[0.0, 0.0], [1.0, 0.0]]


def test_scaled_copy_is_near_zero_but_not_forced():
    v = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    assert 0.0 <= cosine_distances(v, 3 * v)[0, 0] < 1e-6


def test_top_k_orders_ties_by_id_and_excludes():
    d = np.array([0.3, 0.1, 0.1, 0.0, 0.1, 0.9])
    ids = np.array([50, 40, 30, 20, 10, 0])
    got_ids, got_d = top_k(d, ids, 3)
    assert got_ids.tolist() == [20, 10, 30] and got_d.tolist() == [0.0, 0.1, 0.1]
    got_ids, _ = top_k(d, ids, 3, exclude=20)
    assert got_ids.tolist() == [10, 30, 40]
    got_ids, _ = top_k(d, ids, 10)
    assert got_ids.tolist() == [20, 10, 30, 40, 50, 0]


def test_search_exact_in_blocks():
    rng = np.random.default_rng(2)
    cand = rng.standard_normal((40, 8)).astype(np.float32)
    ids = np.arange(100, 140)
    queries = cand[:300:7]
    found = search_exact(queries, Candidates.of(ids, cand), 2, [int(i) for i in ids[:300:7]])
    for q, (got_ids, got_d) in zip(range(0, 40, 7), found, strict=True):
        want = reference(cand[q : q + 1], cand)[0]
        want[q] = np.inf
        order = np.argsort(want)[:2]
        assert got_ids.tolist() == (ids[order]).tolist()
        np.testing.assert_allclose(got_d, want[order], atol=1e-6)


def test_candidates_of_zero_rows_and_take():
    block = Candidates.of(np.array([7, 8, 9]), np.array([[3, 4], [0, 0], [1, 0]], np.float16))
    assert block.vectors.dtype == np.float32 and block.norms.tolist() == [5.0, 1.0, 1.0]
    picked = block.take(np.array([2, 0]))
    assert picked.ids.tolist() == [9, 7] and picked.norms.tolist() == [1.0, 5.0]
    d = cosine_distances(np.array([[3.0, 4.0]]), block)
    np.testing.assert_allclose(d, [[0.0, 1.0, 0.4]], atol=1e-7)
    assert d[0, 0] == 0.0


def test_block_cache_evicts_least_recently_used():
    made = []

    def make(n):
        def build():
            made.append(n)
            return Candidates.of(np.arange(n), np.ones((n, 4)))

        return build

    cache = BlockCache(max_bytes=Candidates.of(np.arange(10), np.ones((10, 4))).nbytes * 2)
    a = cache.get("a", make(10))
    cache.get("b", make(10))
    assert cache.get("a", make(10)) is a and made == [10, 10]
    cache.get("c", make(10))  # evicts "b", the least recently used
    cache.get("a", make(10))
    cache.get("b", make(10))
    assert made == [10, 10, 10, 10]
    cache.get("huge", make(1000))  # larger than the budget: returned, not kept
    assert cache.nbytes <= cache.max_bytes
    none = BlockCache(max_bytes=0)
    none.get("a", make(1))
    none.get("a", make(1))
    assert made[-2:] == [1, 1] and none.nbytes == 0
