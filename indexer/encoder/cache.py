"""An LRU cache of context-free token representations (the char CNN output), keyed by token."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch

#: Rows the cache's storage starts with; it doubles as entries arrive, up to ``max_entries``.
FIRST_ROWS = 4096


class TokenCache:
    """Least-recently-used cache of token vectors, bounded by a number of entries.

    The vectors are rows of one tensor (on the device they are computed on), and the cache maps
    each token to its row: about 0.1 KB besides the vector itself per entry, where a tensor per
    token costs over 1 KB, and a batch's vectors come out in one gather.
    """

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError(f"a token cache holds at least one entry, got {max_entries}")
        self.max_entries = max_entries
        self._rows: OrderedDict[str, int] = OrderedDict()
        self._store: torch.Tensor | None = None
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._rows)

    def lookup(
        self, tokens: list[str], compute: Callable[[list[str]], torch.Tensor]
    ) -> torch.Tensor:
        """(len(tokens), width) vectors of distinct ``tokens``; misses go through ``compute``."""
        rows = self._rows
        hit_at, hit_rows, missing_at, missing = [], [], [], []
        for i, token in enumerate(tokens):
            row = rows.get(token)
            if row is None:
                missing_at.append(i)
                missing.append(token)
            else:
                hit_at.append(i)
                hit_rows.append(row)
                rows.move_to_end(token)
        self.misses += len(missing)
        self.hits += len(hit_rows)
        if not missing:
            assert self._store is not None
            return self._store[self._index(hit_rows)]
        computed = compute(missing)
        if not hit_rows:
            out = computed
        else:
            assert self._store is not None
            out = computed.new_empty((len(tokens), computed.shape[1]))
            out[self._index(hit_at)] = self._store[self._index(hit_rows)]
            out[self._index(missing_at)] = computed
        self._insert(missing, computed)
        return out

    def _index(self, positions: list[int]) -> torch.Tensor:
        assert self._store is not None
        return torch.tensor(positions, dtype=torch.long).to(self._store.device)

    def _insert(self, tokens: list[str], vectors: torch.Tensor) -> None:
        """Store the last ``max_entries`` of ``tokens``, evicting the least recently used.

        The rows in use are always ``0 .. len(self) - 1``: new rows are taken in order, and an
        evicted token's row goes straight to a new one."""
        keep = min(len(tokens), self.max_entries)
        tokens, vectors = tokens[len(tokens) - keep :], vectors[len(tokens) - keep :]
        rows = self._rows
        capacity = self._grow(len(rows) + keep, vectors)
        targets = []
        for token in tokens:
            if len(rows) < capacity:
                row = len(rows)
            else:
                _, row = rows.popitem(last=False)
            rows[token] = row
            targets.append(row)
        assert self._store is not None
        self._store[self._index(targets)] = vectors

    def _grow(self, wanted: int, like: torch.Tensor) -> int:
        """Enlarge the storage towards ``wanted`` rows (doubling, at most ``max_entries``);
        the number of rows it has."""
        store = self._store
        capacity = 0 if store is None else store.shape[0]
        if wanted > capacity and capacity < self.max_entries:
            size = max(FIRST_ROWS, capacity)
            while size < wanted:
                size *= 2
            size = min(size, self.max_entries)
            grown = like.new_empty((size, like.shape[1]))
            if store is not None:
                grown[:capacity] = store
            self._store, capacity = grown, size
        return capacity
