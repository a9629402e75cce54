"""A least-recently-used cache of candidate blocks, bounded by their size in bytes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from query.search import Candidates


class BlockCache:
    """Keeps the most recently used blocks while their total stays within ``max_bytes``.

    A block larger than the whole budget is returned but not kept; ``max_bytes`` 0 keeps none.

    >>> import numpy as np
    >>> cache = BlockCache(max_bytes=1000)
    >>> make = lambda: Candidates.of(np.arange(10), np.ones((10, 4)))
    >>> block = cache.get(("w", 2), make)
    >>> cache.get(("w", 2), make) is block, cache.nbytes
    (True, 280)
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._blocks: OrderedDict[Hashable, Candidates] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Candidates]) -> Candidates:
        """The block of ``key``, made (outside the lock: threads may share the cache) when
        it is not kept."""
        with self._lock:
            block = self._blocks.get(key)
            if block is not None:
                self._blocks.move_to_end(key)
                return block
        block = make()
        with self._lock:
            if block.nbytes <= self.max_bytes and key not in self._blocks:
                self._blocks[key] = block
                self.nbytes += block.nbytes
                while self.nbytes > self.max_bytes:
                    _, dropped = self._blocks.popitem(last=False)
                    self.nbytes -= dropped.nbytes
        return block

    def peek(self, key: Hashable) -> Candidates | None:
        """The block of ``key`` if it is kept (its place in the order unchanged), else None."""
        with self._lock:
            return self._blocks.get(key)

    def clear(self) -> None:
        with self._lock:
            self._blocks.clear()
            self.nbytes = 0
