"""The context batcher: sentences arriving together go in one encoder call, a sentence that
arrives during a call goes in the next, a full batch goes at once, and a window of 0 batches
nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from query.serve.batching import ContextBatcher


class Recorder:
    def __init__(self, seconds: float = 0.0) -> None:
        self.batches: list[list[str]] = []
        self.seconds = seconds

    def __call__(self, batch: Sequence[Sequence[str]]) -> None:
        time.sleep(self.seconds)  # an encoder call
        self.batches.append([" ".join(tokens) for tokens in batch])


def test_sentences_arriving_together_are_one_batch():
    prepare = Recorder()

    async def main() -> None:
        batcher = ContextBatcher(prepare, window=0.02, max_batch=32)
        await asyncio.gather(*(batcher.ready([f"s{i}", "bank"]) for i in range(10)))

    asyncio.run(main())
    assert [len(b) for b in prepare.batches] == [10]


def test_a_sentence_arriving_during_a_call_goes_in_the_next_one():
    prepare = Recorder(seconds=0.2)

    async def main() -> float:
        batcher = ContextBatcher(prepare, window=0.005, max_batch=32)
        started = time.perf_counter()
        first = asyncio.create_task(batcher.ready(["the", "bank"]))
        await asyncio.sleep(0.05)  # the first batch is being embedded now
        await asyncio.wait_for(batcher.ready(["a", "bank"]), timeout=3)
        await first
        return time.perf_counter() - started

    seconds = asyncio.run(main())
    assert prepare.batches == [["the bank"], ["a bank"]]
    assert seconds < 1.0


def test_a_full_batch_goes_at_once_and_the_rest_follows():
    prepare = Recorder()

    async def main() -> None:
        batcher = ContextBatcher(prepare, window=0.01, max_batch=4)
        await asyncio.gather(*(batcher.ready([f"s{i}"]) for i in range(10)))
        assert (batcher.batches, batcher.sentences) == (3, 10)

    asyncio.run(main())
    assert [len(b) for b in prepare.batches] == [4, 4, 2]
    assert sorted(s for b in prepare.batches for s in b) == sorted(f"s{i}" for i in range(10))


def test_a_window_of_zero_batches_nothing():
    prepare = Recorder()

    async def main() -> None:
        batcher = ContextBatcher(prepare, window=0, max_batch=32)
        await asyncio.gather(*(batcher.ready([f"s{i}"]) for i in range(3)))

    asyncio.run(main())
    assert prepare.batches == []
