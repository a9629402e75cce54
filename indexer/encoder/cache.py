"""An LRU cache of context-free token representations (the char CNN output), keyed by token."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch


class TokenCache:
    """Least-recently-used cache of token vectors, bounded by a number of entries.

    The vectors are rows of one tensor (on the device they are computed on), and the cache maps
    each token to its row: about 0.1 KB besides the vector itself per entry, where a tensor per
    token costs over 1 KB, and a batch's vectors come out in one gather. The tensor of
    ``max_entries`` rows is allocated, not filled, on the first insert: on the CPU the system
    backs only the pages written, so memory follows the entries in use, and the rows are never
    copied into a larger tensor.
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
        """(len(tokens), width) vectors of distinct ``tokens``; misses go through ``compute``
        (which is also asked for no tokens while the cache is empty: the width comes from it)."""
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
        if not missing and self._store is not None:
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
        if self._store is None:
            self._store = vectors.new_empty((self.max_entries, vectors.shape[1]))
        targets = []
        for token in tokens:
            if len(rows) < self.max_entries:
                row = len(rows)
            else:
                _, row = rows.popitem(last=False)
            rows[token] = row
            targets.append(row)
        self._store[self._index(targets)] = vectors
