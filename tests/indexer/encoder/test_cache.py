"""The token cache: the vectors it gives are those computed, in order, under LRU eviction."""

from __future__ import annotations

import pytest
import torch

from indexer.encoder.cache import TokenCache
from tests.process_memory import status_kib


class Vectors:
    """A deterministic vector per token, and a record of what was computed."""

    def __init__(self) -> None:
        self.computed: list[list[str]] = []

    def __call__(self, tokens: list[str]) -> torch.Tensor:
        self.computed.append(list(tokens))
        return torch.stack([self.vector(t) for t in tokens])

    @staticmethod
    def vector(token: str) -> torch.Tensor:
        seed = sum(ord(c) * 31**i for i, c in enumerate(token)) % 10_007
        return torch.arange(3, dtype=torch.float32) + seed


def expected(tokens: list[str]) -> torch.Tensor:
    return torch.stack([Vectors.vector(t) for t in tokens])


def test_hits_and_misses_in_order():
    compute, cache = Vectors(), TokenCache(max_entries=10)
    assert torch.equal(cache.lookup(["a", "b"], compute), expected(["a", "b"]))
    assert torch.equal(cache.lookup(["c", "a", "d", "b"], compute), expected(["c", "a", "d", "b"]))
    assert compute.computed == [["a", "b"], ["c", "d"]]
    assert (cache.hits, cache.misses, len(cache)) == (2, 4, 4)
    assert torch.equal(cache.lookup(["d", "c"], compute), expected(["d", "c"]))  # all hits
    assert len(compute.computed) == 2


def test_least_recently_used_is_evicted():
    compute, cache = Vectors(), TokenCache(max_entries=3)
    cache.lookup(["a", "b", "c"], compute)
    cache.lookup(["a"], compute)  # b is now the oldest
    assert torch.equal(cache.lookup(["d", "a"], compute), expected(["d", "a"]))
    assert len(cache) == 3
    cache.lookup(["a", "c", "d"], compute)
    assert compute.computed[-1] == ["d"]  # nothing new: a, c, d were kept
    assert torch.equal(cache.lookup(["b"], compute), expected(["b"]))
    assert compute.computed[-1] == ["b"]


def test_a_batch_larger_than_the_cache():
    compute, cache = Vectors(), TokenCache(max_entries=2)
    tokens = ["p", "q", "r", "s", "t"]
    assert torch.equal(cache.lookup(tokens, compute), expected(tokens))
    assert len(cache) == 2
    assert torch.equal(cache.lookup(["t", "s", "p"], compute), expected(["t", "s", "p"]))
    assert compute.computed[-1] == ["p"]


def test_storage_is_allocated_once_for_every_entry():
    compute, cache = Vectors(), TokenCache(max_entries=5)
    words = [f"w{i}" for i in range(12)]
    cache.lookup(words[:2], compute)
    assert cache._store is not None and cache._store.shape == (5, 3)
    storage = cache._store.data_ptr()
    for start in range(2, 12, 3):
        batch = words[start : start + 3]
        assert torch.equal(cache.lookup(batch, compute), expected(batch))
    assert len(cache) == 5
    assert cache._store.data_ptr() == storage
    recent = words[-5:]
    assert torch.equal(cache.lookup(recent, compute), expected(recent))
    assert compute.computed[-1] == ["w11"]  # w7..w10 were kept; nothing computed since


def test_memory_follows_the_entries_not_the_capacity():
    """A cache with room for 256 MiB of vectors costs what its entries fill, on the CPU."""
    width = 64
    cache = TokenCache(max_entries=(256 << 20) // (4 * width))
    before = status_kib("RssAnon")
    tokens = [f"t{i}" for i in range(1000)]
    vectors = cache.lookup(tokens, lambda ts: torch.ones(len(ts), width))
    assert vectors.shape == (1000, width)
    assert status_kib("RssAnon") - before < 64 << 10  # KiB


def test_at_least_one_entry():
    with pytest.raises(ValueError, match="at least one entry"):
        TokenCache(max_entries=0)
