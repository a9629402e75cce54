"""Batch planning."""

from __future__ import annotations

import random

import pytest

from indexer.encoder.batching import plan_batches


@pytest.mark.parametrize("budget", [1, 10, 64, 1000])
def test_every_sentence_once_within_budget(budget: int) -> None:
    rng = random.Random(budget)
    lengths = [rng.randint(0, 60) for _ in range(300)]
    batches = plan_batches(lengths, budget, max_batch_size=32)
    assert sorted(i for b in batches for i in b) == list(range(300))
    for batch in batches:
        longest = max(max(1, lengths[i]) for i in batch)
        assert len(batch) == 1 or len(batch) * longest <= budget
        assert len(batch) <= 32
        assert [lengths[i] for i in batch] == sorted((lengths[i] for i in batch), reverse=True)


def test_rejects_empty_budget() -> None:
    with pytest.raises(ValueError, match="positive"):
        plan_batches([1], 0)
