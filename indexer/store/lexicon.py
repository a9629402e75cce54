"""A segment's lexicon: each token's count and where its occurrence ids lie in ``postings.npy``.

Each segment has one (``lexicon/segment=N/``); :class:`Lexicons` reads them together.
``lexicon.parquet`` has one row per token type, sorted by token (Unicode code point order):
``token``, ``count``, ``offset``. ``postings.npy`` is one int64 array of every occurrence id,
grouped by token in lexicon order and ascending within a token, so the occurrences of the token
in row ``r`` are ``postings[offset[r] : offset[r] + count[r]]``.

Built in two passes over the shards' ``token`` column (read as Arrow dictionaries, so each
shard costs its own distinct tokens, not its length): the first counts, the second scatters
each shard's occurrence ids into place. Memory: one dict entry per token type, plus one shard.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexer.errors import IndexStateError, QueryError
from indexer.files import atomic_path
from indexer.store.columns import numeric_column
from indexer.store.files import file_record
from indexer.store.layout import IndexLayout
from indexer.store.records import LexiconRecord
from indexer.store.shards import write_table

LEXICON_SCHEMA = pa.schema([("token", pa.string()), ("count", pa.int64()), ("offset", pa.int64())])


def _shard_tokens(paths: list[Path]) -> Iterator[tuple[np.ndarray, np.ndarray, list[str]]]:
    """Per chunk of each shard: occurrence ids, dictionary indices, dictionary values."""
    for path in paths:
        table = pq.read_table(path, columns=["occ_id", "token"], read_dictionary=["token"])
        offset = 0
        occ_ids = table.column("occ_id").to_numpy()
        for chunk in table.column("token").chunks:
            n = len(chunk)
            yield (
                occ_ids[offset : offset + n],
                chunk.indices.to_numpy(zero_copy_only=False).astype(np.int64),
                chunk.dictionary.to_pylist(),
            )
            offset += n


def build_lexicon(
    layout: IndexLayout, segment: int, shard_paths: list[Path], n_occurrences: int
) -> LexiconRecord:
    """Write segment ``segment``'s ``lexicon.parquet`` and ``postings.npy`` from its occurrence
    shards (which hold ``n_occurrences`` rows).

    Returns the manifest's lexicon record: number of types and the files' sizes and digests.
    """
    counts: Counter[str] = Counter()
    for _, indices, values in _shard_tokens(shard_paths):
        for token, count in zip(values, np.bincount(indices, minlength=len(values)), strict=True):
            counts[token] += int(count)
    tokens = sorted(counts)
    count_array = np.array([counts[t] for t in tokens], dtype=np.int64)
    offsets = np.cumsum(count_array) - count_array
    rank = {token: i for i, token in enumerate(tokens)}
    del counts
    if int(count_array.sum()) != n_occurrences:
        raise IndexStateError(
            f"the occurrence shards of segment {segment} hold {count_array.sum()} rows, the "
            f"manifest {n_occurrences}; rebuild with --overwrite",
            path=layout.root,
        )

    cursor = offsets.copy()
    postings_path, lexicon_path = layout.postings(segment), layout.lexicon(segment)
    postings_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(postings_path) as tmp:
        postings = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.int64, shape=(n_occurrences,))
        header = postings.offset
        del postings
        for occ_ids, indices, values in _shard_tokens(shard_paths):
            global_ids = np.array([rank[v] for v in values], dtype=np.int64)[indices]
            order = np.argsort(global_ids, kind="stable")
            grouped = global_ids[order]
            types, starts, sizes = np.unique(grouped, return_index=True, return_counts=True)
            within = np.arange(len(grouped)) - np.repeat(starts, sizes)
            slots = cursor[grouped] + within
            cursor[types] += sizes
            # Map the file per shard so resident memory stays one shard's pages.
            out = np.memmap(tmp, dtype=np.int64, mode="r+", offset=header, shape=(n_occurrences,))
            out[slots] = occ_ids[order]
            out.flush()
            del out
    table = pa.table([pa.array(tokens, pa.string()), count_array, offsets], schema=LEXICON_SCHEMA)
    record = write_table(lexicon_path, table, compression="zstd")
    return LexiconRecord(
        types=len(tokens),
        files={
            layout.relative(lexicon_path): record,
            layout.relative(postings_path): file_record(postings_path),
        },
    )


def read_lexicon_tokens(layout: IndexLayout, segment: int) -> list[str]:
    """The tokens of segment ``segment``'s lexicon, in its order."""
    table = pq.ParquetFile(layout.lexicon(segment)).read(columns=["token"])
    return list(table.column("token").to_pylist())


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Read side: token -> count and occurrence ids (memory-mapped)."""

    tokens: dict[str, int]
    counts: np.ndarray
    offsets: np.ndarray
    postings: np.ndarray

    @classmethod
    def open(cls, layout: IndexLayout, segment: int) -> Lexicon:
        """Read segment ``segment``'s ``lexicon.parquet`` and memory-map its ``postings.npy``
        (through ``ParquetFile``: ``read_table`` would import pandas). A missing file is a
        ``FileNotFoundError``, a damaged one an ``OSError``, ``ValueError`` or
        ``pyarrow.ArrowException``."""
        table = pq.ParquetFile(layout.lexicon(segment)).read(columns=LEXICON_SCHEMA.names)
        tokens = table.column("token").to_pylist()
        return cls(
            tokens={token: row for row, token in enumerate(tokens)},
            counts=numeric_column(table, "count", np.int64),
            offsets=numeric_column(table, "offset", np.int64),
            postings=np.load(layout.postings(segment), mmap_mode="r"),
        )

    def __contains__(self, token: str) -> bool:
        return token in self.tokens

    def __len__(self) -> int:
        return len(self.tokens)

    def count(self, token: str) -> int:
        row = self.tokens.get(token)
        return 0 if row is None else int(self.counts[row])

    def occurrences(self, token: str) -> np.ndarray:
        """Ascending occurrence ids of ``token``; raises QueryError for an unknown token."""
        row = self.tokens.get(token)
        if row is None:
            raise QueryError(f"{token!r} does not occur in the corpus")
        start = int(self.offsets[row])
        return np.asarray(self.postings[start : start + int(self.counts[row])])


class Lexicons:
    """The lexicons of every segment read as one: a token's count and ascending occurrence ids
    over the whole directory (segments hold ascending, disjoint id ranges)."""

    def __init__(self, parts: Sequence[Lexicon]) -> None:
        self.parts = list(parts)

    @cached_property
    def tokens(self) -> dict[str, int]:
        """Every token of any segment, with its total count (sorted by code point)."""
        if len(self.parts) == 1:
            only = self.parts[0]
            return {token: int(only.counts[row]) for token, row in only.tokens.items()}
        totals: Counter[str] = Counter()
        for part in self.parts:
            for token, row in part.tokens.items():
                totals[token] += int(part.counts[row])
        return dict(sorted(totals.items()))

    def __contains__(self, token: str) -> bool:
        return any(token in part for part in self.parts)

    def __len__(self) -> int:
        return len(self.parts[0]) if len(self.parts) == 1 else len(self.tokens)

    def count(self, token: str) -> int:
        return sum(part.count(token) for part in self.parts)

    def occurrences(self, token: str) -> np.ndarray:
        """Ascending occurrence ids of ``token``; raises QueryError for an unknown token."""
        found = [part.occurrences(token) for part in self.parts if token in part]
        if not found:
            raise QueryError(f"{token!r} does not occur in the corpus")
        return found[0] if len(found) == 1 else np.concatenate(found)
