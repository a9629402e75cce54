"""Occurrence metadata by id (token, document, sentence, position, text), read shard by shard.

A shard holds whole sentences, so one ``sentences/part-*.parquet`` file answers every
occurrence of its shard: the sentence is found from ``first_occ``, the position is the offset
in it, the token is read from the text. Only where a text does not split back into its tokens
(a token held a space) is the shard's occurrence file read. Recently used shards stay cached.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from indexer.errors import QueryError
from indexer.store.reader import IndexReader, SentenceRows
from query import options
from query.results import Occurrence

logger = logging.getLogger(__name__)


@dataclass(eq=False)
class _SentenceShard:
    """One shard's sentences; ``tokens``, the shard's occurrence tokens, are read only once a
    looked-up sentence's text does not split into its tokens (a token held a space)."""

    rows: SentenceRows
    tokens: list[str] | None = None


class CorpusRows:
    """Looks up :class:`Occurrence` records by occurrence id; keeps ``cache_shards`` shards."""

    def __init__(self, reader: IndexReader, cache_shards: int = options.CACHE_SHARDS) -> None:
        self._reader = reader
        self._shards = list(reader.manifest.shards)
        self._starts = np.array([s.first_occurrence for s in self._shards], dtype=np.int64)
        self._total = self._shards[-1].end_occurrence if self._shards else 0
        self._cache: OrderedDict[int, _SentenceShard] = OrderedDict()
        self._cache_shards = max(1, cache_shards)
        self._lock = threading.Lock()

    @property
    def n_occurrences(self) -> int:
        return self._total

    def check_ids(self, ids: np.ndarray) -> None:
        """Raise QueryError naming the first id that is not an occurrence of this index."""
        bad = (ids < 0) | (ids >= self._total)
        if bad.any():
            raise QueryError(
                f"occurrence {int(ids[np.argmax(bad)])} does not exist; "
                f"this index has occurrences 0 to {self._total - 1}"
            )

    def lookup(self, ids: Sequence[int] | np.ndarray) -> list[Occurrence]:
        """The records of ``ids``, in the given order."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        self.check_ids(ids)
        shard_of = np.searchsorted(self._starts, ids, side="right") - 1
        by_shard: dict[int, list[int]] = {}
        for occ, shard in zip(ids.tolist(), shard_of.tolist(), strict=True):
            by_shard.setdefault(shard, []).append(occ)
        found: dict[int, Occurrence] = {}
        for shard, occs in by_shard.items():
            for record in self._records(shard, self._shard(shard), occs):
                found[record.occurrence] = record
        return [found[occ] for occ in ids.tolist()]

    def _records(self, index: int, data: _SentenceShard, ids: list[int]) -> list[Occurrence]:
        sentences = data.rows
        rows = np.searchsorted(sentences.first_occ, ids, side="right") - 1
        firsts = sentences.first_occ[rows].tolist()
        lengths = sentences.n_tokens[rows].tolist()
        sent_ids = sentences.sent_ids[rows].tolist()
        shard_first = int(sentences.first_occ[0])
        records = []
        for occ, row, first, length, sent_id in zip(
            ids, rows.tolist(), firsts, lengths, sent_ids, strict=True
        ):
            position = occ - first
            text = sentences.text(row)
            words = text.split(" ")
            if data.tokens is None and len(words) != length:
                data.tokens = self._reader.tokens(self._shards[index])
            token = data.tokens[occ - shard_first] if data.tokens is not None else words[position]
            records.append(
                Occurrence(
                    occurrence=occ,
                    token=token,
                    doc_id=sentences.doc_id(row),
                    sent_id=sent_id,
                    position=position,
                    sentence=text,
                )
            )
        return records

    def _shard(self, index: int) -> _SentenceShard:
        """Shard ``index``'s sentences (cached; threads may share the cache, a shard is read
        outside the lock)."""
        with self._lock:
            cached = self._cache.get(index)
            if cached is not None:
                self._cache.move_to_end(index)
                return cached
        data = self._read_shard(index)
        with self._lock:
            self._cache[index] = data
            while len(self._cache) > self._cache_shards:
                self._cache.popitem(last=False)
        return data

    def _read_shard(self, index: int) -> _SentenceShard:
        return _SentenceShard(self._reader.sentences(self._shards[index]))
