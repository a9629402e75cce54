"""Micro-batching of context sentences: requests arriving together are embedded in one batch.

A context request waits up to ``window`` seconds for others (at most ``max_batch`` in all);
the batch then goes to the encoder in one call, in a worker thread, and each request goes on
with its sentence's vectors ready (``ContextEmbedder.prepare``). Sentences that arrive while a
batch is being embedded form the next batch. Under the default state policy a sentence's
vectors do not depend on its batch, so answers are the same as alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

logger = logging.getLogger(__name__)

Prepare = Callable[[Sequence[Sequence[str]]], None]


class ContextBatcher:
    """Collects sentences for ``prepare`` (a blocking call, run off the event loop).

    One task embeds batches while sentences are waiting, and ends when none is.
    """

    def __init__(self, prepare: Prepare, window: float, max_batch: int) -> None:
        self._prepare = prepare
        self._window = window
        self._max_batch = max_batch
        self._pending: list[tuple[list[str], asyncio.Future[None]]] = []
        self._runner: asyncio.Task[None] | None = None
        self.batches = 0
        self.sentences = 0
        #: Called once per batch handed to the encoder (the service's metrics).
        self.on_batch: Callable[[], None] | None = None

    async def ready(self, tokens: Sequence[str]) -> None:
        """Return once ``tokens`` are embedded (with whatever arrived in the same window)."""
        if self._window <= 0:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((list(tokens), future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        await future

    async def _run(self) -> None:
        while self._pending:
            if len(self._pending) < self._max_batch:
                await asyncio.sleep(self._window)  # let others join this batch
            batch = self._pending[: self._max_batch]
            self._pending = self._pending[self._max_batch :]
            self.batches += 1
            self.sentences += len(batch)
            if self.on_batch is not None:
                self.on_batch()
            try:
                await asyncio.to_thread(self._prepare, [tokens for tokens, _ in batch])
            except Exception as err:  # each request then embeds alone and reports its own error
                logger.info("a batch of %d context sentences failed (%s)", len(batch), err)
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
