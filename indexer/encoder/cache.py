"""An LRU cache of context-free token representations (the char CNN output), keyed by token."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch


class TokenCache:
    """Least-recently-used cache of token vectors, bounded by a number of entries."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._rows: OrderedDict[str, torch.Tensor] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._rows)

    def lookup(
        self, tokens: list[str], compute: Callable[[list[str]], torch.Tensor]
    ) -> torch.Tensor:
        """(len(tokens), width) vectors of distinct ``tokens``; misses go through ``compute``."""
        rows = self._rows
        missing = [t for t in tokens if t not in rows]
        self.misses += len(missing)
        self.hits += len(tokens) - len(missing)
        fresh: dict[str, torch.Tensor] = {}
        if missing:
            computed = compute(missing)
            fresh = dict(zip(missing, computed, strict=True))
        out = torch.stack([fresh[t] if t in fresh else rows[t] for t in tokens])
        for t in tokens:
            if t in fresh:
                rows[t] = fresh[t]
            else:
                rows.move_to_end(t)
        while len(rows) > self.max_entries:
            rows.popitem(last=False)
        return out
