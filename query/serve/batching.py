"""Micro-batching of context sentences: requests arriving together are embedded in one batch.

A context request waits up to ``window`` seconds for others (at most ``max_batch`` in all);
the batch then goes to the encoder in one call, in a worker thread, and each request goes on
with its sentence's vectors ready (``ContextEmbedder.prepare``). Under the default state
policy a sentence's vectors do not depend on its batch, so answers are the same as alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

logger = logging.getLogger(__name__)

Prepare = Callable[[Sequence[Sequence[str]]], None]


class ContextBatcher:
    """Collects sentences for ``prepare`` (a blocking call, run off the event loop)."""

    def __init__(self, prepare: Prepare, window: float, max_batch: int) -> None:
        self._prepare = prepare
        self._window = window
        self._max_batch = max_batch
        self._pending: list[tuple[list[str], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0
        self.sentences = 0

    async def ready(self, tokens: Sequence[str]) -> None:
        """Return once ``tokens`` are embedded (with whatever arrived in the same window)."""
        if self._window <= 0:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((list(tokens), future))
        if len(self._pending) >= self._max_batch:
            await self._flush()
        elif self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_later())
        await future

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._window)
        await self._flush()

    async def _flush(self) -> None:
        batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
        if not batch:
            return
        if self._pending and (self._flusher is None or self._flusher.done()):
            self._flusher = asyncio.create_task(self._flush_later())
        self.batches += 1
        self.sentences += len(batch)
        try:
            await asyncio.to_thread(self._prepare, [tokens for tokens, _ in batch])
        except Exception as err:  # the requests embed alone then, and report their own error
            logger.info(
                "a batch of %d context sentences failed (%s); each goes alone", len(batch), err
            )
        for _, future in batch:
            if not future.done():
                future.set_result(None)
