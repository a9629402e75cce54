"""Occurrence metadata by id (token, document, sentence, position, text), read shard by shard.

A shard holds whole sentences, so one ``sentences/part-*.parquet`` file answers every
occurrence of its shard: the sentence is found from ``first_occ``, the position is the offset
in it, the token is read from the text. Only where a text does not split back into its tokens
(a token held a space) is the shard's occurrence file read. Recently used shards stay cached.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexer.errors import IndexStateError, QueryError
from indexer.store.layout import IndexLayout
from indexer.store.manifest import ShardRecord
from query.arrow import numeric_column
from query.results import Occurrence

logger = logging.getLogger(__name__)

SENTENCE_COLUMNS = ["sent_id", "doc_id", "first_occ", "n_tokens", "text"]


def read_parquet(path: Path, columns: list[str], rows: int) -> pa.Table:
    """Read ``columns`` of one shard file; a missing, unreadable or short file is named."""
    try:
        table = pq.ParquetFile(path).read(columns=columns)
    except FileNotFoundError as err:
        raise IndexStateError("shard file is missing; the index is damaged", path=path) from err
    except (OSError, pa.ArrowException, ValueError) as err:
        raise IndexStateError(f"shard file is corrupt: {err}", path=path) from err
    if table.num_rows != rows:
        raise IndexStateError(
            f"shard file has {table.num_rows} rows, the manifest {rows}; the index is damaged",
            path=path,
        )
    return table


@dataclass(frozen=True, eq=False)
class _SentenceShard:
    """One shard's sentences; ``tokens`` only where a text does not split into its tokens."""

    sent_ids: np.ndarray
    first_occ: np.ndarray
    n_tokens: np.ndarray
    doc_ids: list[str]
    texts: list[str]
    tokens: list[str] | None = None


class CorpusRows:
    """Looks up :class:`Occurrence` records by occurrence id; keeps ``cache_shards`` shards."""

    def __init__(
        self, layout: IndexLayout, shards: Sequence[ShardRecord], cache_shards: int = 32
    ) -> None:
        self._layout = layout
        self._shards = list(shards)
        self._starts = np.array([s.first_occurrence for s in self._shards], dtype=np.int64)
        self._total = self._shards[-1].end_occurrence if self._shards else 0
        self._cache: OrderedDict[int, _SentenceShard] = OrderedDict()
        self._cache_shards = max(1, cache_shards)

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
        found: dict[int, Occurrence] = {}
        for shard in np.unique(shard_of):
            data = self._shard(int(shard))
            for record in self._records(data, ids[shard_of == shard]):
                found[record.occurrence] = record
        return [found[occ] for occ in ids.tolist()]

    def _records(self, data: _SentenceShard, ids: np.ndarray) -> list[Occurrence]:
        rows = np.searchsorted(data.first_occ, ids, side="right") - 1
        records = []
        for occ, row in zip(ids.tolist(), rows.tolist(), strict=True):
            position = occ - int(data.first_occ[row])
            text = data.texts[row]
            if data.tokens is not None:
                token = data.tokens[occ - int(data.first_occ[0])]
            else:
                token = text.split(" ")[position]
            records.append(
                Occurrence(
                    occurrence=occ,
                    token=token,
                    doc_id=data.doc_ids[row],
                    sent_id=int(data.sent_ids[row]),
                    position=position,
                    sentence=text,
                )
            )
        return records

    def _shard(self, index: int) -> _SentenceShard:
        cached = self._cache.get(index)
        if cached is not None:
            self._cache.move_to_end(index)
            return cached
        data = self._read_shard(self._shards[index])
        self._cache[index] = data
        if len(self._cache) > self._cache_shards:
            self._cache.popitem(last=False)
        return data

    def _read_shard(self, record: ShardRecord) -> _SentenceShard:
        path = self._layout.sentences_part(record.index)
        table = read_parquet(path, SENTENCE_COLUMNS, record.n_sentences)
        columns: dict[str, Any] = {name: table.column(name) for name in SENTENCE_COLUMNS}
        first_occ = numeric_column(table, "first_occ", np.int64)
        n_tokens = numeric_column(table, "n_tokens", np.int32).astype(np.int64)
        if (
            len(first_occ) == 0
            or int(first_occ[0]) != record.first_occurrence
            or int(n_tokens.sum()) != record.n_occurrences
        ):
            raise IndexStateError(
                "sentence rows do not cover the shard's occurrences; the index is damaged",
                path=path,
            )
        texts = columns["text"].to_pylist()
        tokens = None
        if any(len(t.split(" ")) != n for t, n in zip(texts, n_tokens.tolist(), strict=True)):
            occurrences = read_parquet(
                self._layout.occurrences_part(record.index), ["token"], record.n_occurrences
            )
            tokens = occurrences.column("token").to_pylist()
        return _SentenceShard(
            sent_ids=numeric_column(table, "sent_id", np.int64),
            first_occ=first_occ,
            n_tokens=n_tokens,
            doc_ids=columns["doc_id"].to_pylist(),
            texts=texts,
            tokens=tokens,
        )
