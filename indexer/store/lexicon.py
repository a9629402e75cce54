"""A segment's lexicon: each token's count and where its occurrence ids lie in ``postings.npy``.

Each segment has one (``lexicon/segment=N/``); :class:`Lexicons` reads them together.
``lexicon.parquet`` has one row per token type, sorted by token (Unicode code point order):
``token``, ``count``, ``offset``. ``postings.npy`` is one int64 array of every occurrence id,
grouped by token in lexicon order and ascending within a token, so the occurrences of the token
in row ``r`` are ``postings[offset[r] : offset[r] + count[r]]``.

Built in two passes over the shards' ``token`` column (read as Arrow dictionaries, so each
shard costs its own distinct tokens, not its length): the first counts, the second scatters
each shard's occurrence ids into place. Memory: one dict entry per token type, plus one shard.

A segment whose corpus has lemmas or parts of speech (CoNLL-U) also has an annotation lexicon:
``annotations.parquet`` with one row per distinct ``(token, lemma, upos)`` (sorted by the three,
nulls where the corpus has ``_``), ``count``, ``offset`` into ``annotation_postings.npy``, laid
out as above. ``--lemma``, ``--pos`` and ``--any-case`` lookups are unions of its rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
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
from indexer.store.records import FileEntry, LexiconRecord
from indexer.store.shards import ANNOTATION_COLUMNS, write_table

LEXICON_SCHEMA = pa.schema([("token", pa.string()), ("count", pa.int64()), ("offset", pa.int64())])
ANNOTATIONS_SCHEMA = pa.schema(
    [
        ("token", pa.string()),
        ("lemma", pa.string()),
        ("upos", pa.string()),
        ("count", pa.int64()),
        ("offset", pa.int64()),
    ]
)


#: One chunk of a shard's occurrences: their ids, the dictionary index of each one's key, and
#: the dictionary's keys.
KeyChunk = tuple[np.ndarray, np.ndarray, list[str]]


def _shard_tokens(paths: list[Path]) -> Iterator[KeyChunk]:
    """Per chunk of each shard: occurrence ids, dictionary indices, dictionary values."""
    for path in paths:
        table = pq.read_table(path, columns=["occ_id", "token"], read_dictionary=["token"])
        yield from _chunks(table.column("occ_id").to_numpy(), table.column("token"))


def _chunks(occ_ids: np.ndarray, keys: pa.ChunkedArray) -> Iterator[KeyChunk]:
    offset = 0
    for chunk in keys.chunks:
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
    shards (which hold ``n_occurrences`` rows), and its annotation lexicon when any of them
    holds a lemma or a part of speech.

    Returns the manifest's lexicon record: number of types and the files' sizes and digests.
    """
    postings_path, lexicon_path = layout.postings(segment), layout.lexicon(segment)
    tokens, count_array, offsets = _grouped_postings(
        layout, segment, lambda: _shard_tokens(shard_paths), postings_path, n_occurrences
    )
    table = pa.table([pa.array(tokens, pa.string()), count_array, offsets], schema=LEXICON_SCHEMA)
    record = write_table(lexicon_path, table, compression="zstd")
    files = {
        layout.relative(lexicon_path): record,
        layout.relative(postings_path): file_record(postings_path),
    }
    keys = None
    if _has_annotations(shard_paths):
        keys, annotation_files = _build_annotations(layout, segment, shard_paths, n_occurrences)
        files.update(annotation_files)
    return LexiconRecord(types=len(tokens), files=files, annotation_keys=keys)


def _grouped_postings(
    layout: IndexLayout,
    segment: int,
    chunks: Callable[[], Iterator[KeyChunk]],
    postings_path: Path,
    n_occurrences: int,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Write every occurrence id grouped by key (keys sorted, ids ascending within a key) to
    ``postings_path`` in two passes over ``chunks()``; the keys, their counts and offsets."""
    counts: Counter[str] = Counter()
    for _, indices, values in chunks():
        for key, count in zip(values, np.bincount(indices, minlength=len(values)), strict=True):
            counts[key] += int(count)
    keys = sorted(counts)
    count_array = np.array([counts[t] for t in keys], dtype=np.int64)
    offsets = np.cumsum(count_array) - count_array
    rank = {key: i for i, key in enumerate(keys)}
    del counts
    if int(count_array.sum()) != n_occurrences:
        raise IndexStateError(
            f"the occurrence shards of segment {segment} hold {count_array.sum()} rows, the "
            f"manifest {n_occurrences}; rebuild with --overwrite",
            path=layout.root,
        )

    cursor = offsets.copy()
    postings_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(postings_path) as tmp:
        postings = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.int64, shape=(n_occurrences,))
        header = postings.offset
        del postings
        for occ_ids, indices, values in chunks():
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
    return keys, count_array, offsets


# -- annotations: (form, lemma, upos) keys ---------------------------------------------------

#: Joins a key's parts (a form never holds it: tokens are split on whitespace); a null part is
#: written as NULL_PART.
_SEPARATOR = "\x1f"
_NULL_PART = "\x00"


def _present_columns(path: Path) -> set[str]:
    return set(pq.ParquetFile(path).schema_arrow.names)


def _has_annotations(paths: list[Path]) -> bool:
    """Whether any occurrence of the shards has a lemma or a part of speech."""
    for path in paths:
        if not set(ANNOTATION_COLUMNS) <= _present_columns(path):
            continue
        table = pq.read_table(path, columns=list(ANNOTATION_COLUMNS))
        if any(table.column(name).null_count < table.num_rows for name in ANNOTATION_COLUMNS):
            return True
    return False


def _shard_annotations(paths: list[Path]) -> Iterator[KeyChunk]:
    import pyarrow.compute as pc

    for path in paths:
        present = _present_columns(path)
        table = pq.read_table(
            path, columns=["occ_id", "token", *(c for c in ANNOTATION_COLUMNS if c in present)]
        )
        parts = [table.column("token")]
        for name in ANNOTATION_COLUMNS:
            column = (
                table.column(name) if name in present else pa.nulls(table.num_rows, pa.string())
            )
            parts.append(pc.fill_null(column, _NULL_PART))
        keys = pc.binary_join_element_wise(*parts, _SEPARATOR)
        yield from _chunks(table.column("occ_id").to_numpy(), pc.dictionary_encode(keys))


def _build_annotations(
    layout: IndexLayout, segment: int, shard_paths: list[Path], n_occurrences: int
) -> tuple[int, dict[str, FileEntry]]:
    postings_path, lexicon_path = layout.annotation_postings(segment), layout.annotations(segment)
    keys, counts, offsets = _grouped_postings(
        layout, segment, lambda: _shard_annotations(shard_paths), postings_path, n_occurrences
    )
    columns: list[list[str | None]] = [[], [], []]
    for key in keys:
        for column, part in zip(columns, key.split(_SEPARATOR), strict=True):
            column.append(None if part == _NULL_PART else part)
    table = pa.table(
        [*(pa.array(column, pa.string()) for column in columns), counts, offsets],
        schema=ANNOTATIONS_SCHEMA,
    )
    record = write_table(lexicon_path, table, compression="zstd")
    return len(keys), {
        layout.relative(lexicon_path): record,
        layout.relative(postings_path): file_record(postings_path),
    }


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

    @cached_property
    def _folded(self) -> dict[str, list[int]]:
        rows: dict[str, list[int]] = {}
        for token, row in self.tokens.items():
            rows.setdefault(token.casefold(), []).append(row)
        return rows

    def any_case(self, word: str) -> np.ndarray:
        """Ascending occurrence ids of every token equal to ``word`` case-folded (none: empty)."""
        rows = np.array(self._folded.get(word.casefold(), []), dtype=np.int64)
        return _union(self.postings, self.offsets[rows], self.counts[rows])


class Lexicons:
    """The lexicons of every segment read as one: a token's count and ascending occurrence ids
    over the whole directory (segments hold ascending, disjoint id ranges)."""

    def __init__(
        self, parts: Sequence[Lexicon], annotations: Sequence[Annotations | None] = ()
    ) -> None:
        self.parts = list(parts)
        self.annotations = list(annotations) or [None] * len(self.parts)

    @property
    def annotated(self) -> bool:
        """Whether any segment has lemmas or parts of speech."""
        return any(part is not None for part in self.annotations)

    def select(
        self,
        word: str | None = None,
        lemma: str | None = None,
        pos: str | None = None,
        any_case: bool = False,
    ) -> np.ndarray:
        """Ascending occurrence ids of the occurrences with this form (case-folded with
        ``any_case``), lemma and part of speech (each None: any); empty when none matches.
        Lemmas and parts of speech come from the annotation lexicons; without any, QueryError."""
        if lemma is None and pos is None:
            if word is None:
                raise QueryError("give a word, a lemma or a part of speech")
            if not any_case:
                return self.occurrences(word) if word in self else np.empty(0, np.int64)
            return _concat([part.any_case(word) for part in self.parts])
        if not self.annotated:
            raise QueryError(
                "this index has no lemmas or parts of speech: its corpus had none (they are "
                "read from the LEMMA and UPOS columns of CoNLL-U)"
            )
        criteria = [
            (column, value)
            for column, value in (("token", word), ("lemma", lemma), ("upos", pos))
            if value is not None
        ]
        found = []
        for part in self.annotations:
            if part is not None:
                found.append(part.occurrences(part.rows(criteria, any_case)))
        return _concat(found)

    @cached_property
    def lemmas(self) -> frozenset[str]:
        """Every lemma of the annotation lexicons (empty where the corpus had none)."""
        found: set[str] = set()
        for part in self.annotations:
            if part is not None:
                found.update(v for v in part.table.column("lemma").unique().to_pylist() if v)
        return frozenset(found)

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


@dataclass(frozen=True, eq=False)
class Annotations:
    """Read side of a segment's annotation lexicon: the occurrence ids of any choice of form,
    lemma and part of speech (memory-mapped postings)."""

    table: pa.Table
    counts: np.ndarray
    offsets: np.ndarray
    postings: np.ndarray

    @classmethod
    def open(cls, layout: IndexLayout, segment: int) -> Annotations:
        """Read ``annotations.parquet`` and map ``annotation_postings.npy`` (errors as
        :meth:`Lexicon.open`)."""
        table = pq.ParquetFile(layout.annotations(segment)).read(columns=ANNOTATIONS_SCHEMA.names)
        return cls(
            table=table.select(["token", "lemma", "upos"]),
            counts=numeric_column(table, "count", np.int64),
            offsets=numeric_column(table, "offset", np.int64),
            postings=np.load(layout.annotation_postings(segment), mmap_mode="r"),
        )

    @cached_property
    def _folded(self) -> dict[str, pa.Array]:
        return {
            name: pa.array(
                [None if v is None else v.casefold() for v in self.table.column(name).to_pylist()],
                pa.string(),
            )
            for name in ("token", "lemma")
        }

    def rows(self, criteria: Sequence[tuple[str, str]], any_case: bool = False) -> np.ndarray:
        """Rows whose columns (``token``, ``lemma``, ``upos``) equal the given values; with
        ``any_case`` forms and lemmas are compared case-folded."""
        import pyarrow.compute as pc

        mask = None
        for column, value in criteria:
            if any_case and column in self._folded:
                found = pc.equal(self._folded[column], value.casefold())
            else:
                found = pc.equal(self.table.column(column), value)
            mask = found if mask is None else pc.and_(mask, found)
        if mask is None:
            return np.arange(self.table.num_rows)
        return np.flatnonzero(np.asarray(pc.fill_null(mask, False)))

    def occurrences(self, rows: np.ndarray) -> np.ndarray:
        """Ascending occurrence ids of the given rows."""
        return _union(self.postings, self.offsets[rows], self.counts[rows])


def _concat(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Ascending ids of disjoint segments' ascending id arrays (segments are in id order)."""
    kept = [part for part in parts if len(part)]
    if not kept:
        return np.empty(0, dtype=np.int64)
    return kept[0] if len(kept) == 1 else np.concatenate(kept)


def _union(postings: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The ids of the postings slices ``[start, start + count)``, ascending."""
    if len(starts) == 1:
        return np.asarray(postings[int(starts[0]) : int(starts[0]) + int(counts[0])])
    parts = [
        np.asarray(postings[int(s) : int(s) + int(c)]) for s, c in zip(starts, counts, strict=True)
    ]
    if not parts:
        return np.empty(0, dtype=np.int64)
    return np.sort(np.concatenate(parts))
