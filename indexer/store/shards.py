"""Shard contents as Arrow tables (occurrences, sentences) written as Parquet, and the encoder
state saved beside a shard."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexer.files import write_bytes_atomic
from indexer.store.layout import IndexLayout
from indexer.store.records import ShardRecord

OCCURRENCES_SCHEMA = pa.schema(
    [
        ("occ_id", pa.int64()),
        ("sent_id", pa.int64()),
        ("doc_id", pa.string()),
        ("position", pa.int32()),
        ("token", pa.string()),
        ("lemma", pa.string()),
        ("upos", pa.string()),
    ]
)
SENTENCES_SCHEMA = pa.schema(
    [
        ("sent_id", pa.int64()),
        ("doc_id", pa.string()),
        ("sent_key", pa.string()),
        ("source_line", pa.int64()),
        ("first_occ", pa.int64()),
        ("n_tokens", pa.int32()),
        ("text", pa.string()),
        ("fields", pa.string()),
    ]
)
#: Columns of the shard tables that builds before lemmas and metadata did not write: a reader
#: takes them as all null there.
ANNOTATION_COLUMNS = ("lemma", "upos")
FIELDS_COLUMN = "fields"


@dataclass(frozen=True, eq=False)
class ShardMeta:
    """What one shard holds besides its vectors, known once its last sentence is encoded.

    ``sentences`` are the token tuples, in corpus order; ``lemmas`` and ``upos`` each sentence's
    annotations (None for a sentence without them; empty: none for the shard); ``fields`` each
    sentence's metadata (:attr:`indexer.corpus.Sentence.fields`; empty: none); ``state`` is the
    encoder state after the shard (``carry`` policy) or None.
    """

    index: int
    first_sentence: int
    first_occurrence: int
    sentences: Sequence[tuple[str, ...]]
    doc_ids: Sequence[str]
    sent_keys: Sequence[str | None]
    source_lines: Sequence[int]
    state: dict[str, np.ndarray] | None = None
    lemmas: Sequence[Sequence[str | None] | None] = ()
    upos: Sequence[Sequence[str | None] | None] = ()
    fields: Sequence[Mapping[str, object] | None] = ()

    @property
    def n_sentences(self) -> int:
        return len(self.sentences)

    @property
    def n_occurrences(self) -> int:
        return int(self.lengths.sum())

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter(map(len, self.sentences), np.int64, len(self.sentences))


def occurrences_table(data: ShardMeta) -> pa.Table:
    """One row per token occurrence; ``occ_id`` dense in corpus order."""
    lengths = data.lengths
    n = int(lengths.sum())
    local_sentence = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.cumsum(lengths) - lengths
    positions = np.arange(n) - np.repeat(starts, lengths)
    tokens = list(itertools.chain.from_iterable(data.sentences))
    doc_ids = pa.array(data.doc_ids, pa.string()).take(pa.array(local_sentence))
    return pa.table(
        [
            pa.array(np.arange(data.first_occurrence, data.first_occurrence + n)),
            pa.array(data.first_sentence + local_sentence),
            doc_ids,
            pa.array(positions.astype(np.int32)),
            pa.array(tokens, pa.string()),
            _annotation_column(data.lemmas, data.sentences, n),
            _annotation_column(data.upos, data.sentences, n),
        ],
        schema=OCCURRENCES_SCHEMA,
    )


def _annotation_column(
    values: Sequence[Sequence[str | None] | None], sentences: Sequence[tuple[str, ...]], n: int
) -> pa.Array:
    """One annotation per occurrence, null where a sentence (or the shard) has none."""
    if not any(entry is not None for entry in values):
        return pa.nulls(n, pa.string())
    flat: list[str | None] = []
    for entry, tokens in zip(values, sentences, strict=True):
        flat.extend([None] * len(tokens) if entry is None else entry)
    return pa.array(flat, pa.string())


def fields_json(fields: Mapping[str, object] | None) -> str | None:
    """A sentence's metadata as the shard's ``fields`` column holds it: compact JSON with sorted
    keys, or null for none.

    >>> fields_json({"year": 1994, "genre": "news"}), fields_json({})
    ('{"genre":"news","year":1994}', None)
    """
    if not fields:
        return None
    return json.dumps(dict(fields), ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def sentences_table(data: ShardMeta) -> pa.Table:
    """One row per sentence, with its text (tokens joined by single spaces) for KWIC."""
    lengths = data.lengths
    first_occ = data.first_occurrence + np.cumsum(lengths) - lengths
    return pa.table(
        [
            pa.array(np.arange(data.first_sentence, data.first_sentence + len(lengths))),
            pa.array(data.doc_ids, pa.string()),
            pa.array(data.sent_keys, pa.string()),
            pa.array(data.source_lines, pa.int64()),
            pa.array(first_occ),
            pa.array(lengths.astype(np.int32)),
            pa.array([" ".join(tokens) for tokens in data.sentences], pa.string()),
            pa.array(
                [fields_json(entry) for entry in data.fields]
                if data.fields
                else [None] * len(lengths),
                pa.string(),
            ),
        ],
        schema=SENTENCES_SCHEMA,
    )


def write_table(path: Path, table: pa.Table, **options: Any) -> dict[str, Any]:
    """Write ``table`` as Parquet at ``path`` atomically (serialized in memory, hashed, written
    under a temporary name, fsynced, renamed); return its size and sha256."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **options)
    buffer = sink.getvalue()
    write_bytes_atomic(path, memoryview(buffer))
    return {"bytes": buffer.size, "sha256": hashlib.sha256(buffer).hexdigest()}


def load_state(layout: IndexLayout, record: ShardRecord) -> dict[str, np.ndarray]:
    """The encoder state saved beside a shard (empty when none was saved)."""
    if record.state is None:
        return {}
    with np.load(layout.root / record.state) as saved:
        return {key: saved[key] for key in saved.files}
