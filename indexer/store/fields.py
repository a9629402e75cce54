"""A corpus's metadata as typed Parquet tables: its documents, and its sentences' own fields.

The sentence shards keep each sentence's metadata as it was read (the ``fields`` column, JSON).
Once a corpus is read to its end its fields are sorted out here and written under
``fields/corpus=N/``:

- ``documents.parquet``: one row per document, in corpus order: ``doc_id``, then every field
  that is constant over each document (CoNLL-U ``# meta::`` fields, JSONL fields that never
  change within a document) and every field of the ``--metadata`` file.
- ``sentences.parquet``: ``sent_id`` and the fields that vary within a document (written only
  when there are any).

Each field has one type over the corpus: ``integer`` (int64), ``float`` (float64, also for
integers mixed with floats), ``boolean``, ``date`` (date32, when every value is an ISO
``YYYY-MM-DD`` string) or ``string`` (anything else; other values as their JSON text). A
field whose name is a built-in column (:data:`RESERVED`) is stored as ``<name>_field``.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexer.store.layout import IndexLayout
from indexer.store.manifest import Manifest
from indexer.store.records import FieldInfo, FieldsRecord, MetadataRecord
from indexer.store.shards import FIELDS_COLUMN, write_table

logger = logging.getLogger(__name__)

#: Columns of the occurrence and sentence tables that a filter names directly; a metadata
#: field of one of these names is renamed.
RESERVED = (
    "occ_id",
    "sent_id",
    "doc_id",
    "position",
    "token",
    "lemma",
    "upos",
    "sent_key",
    "source_line",
    "first_occ",
    "n_tokens",
    "text",
    "fields",
    "corpus",
)

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ARROW_TYPES = {
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "string": pa.string(),
}

Value = str | int | float | bool


def field_type(values: Iterable[object]) -> str:
    """The one type that holds every non-null value.

    >>> field_type([1, 2, None]), field_type([1, 2.5]), field_type([True, False])
    ('integer', 'float', 'boolean')
    >>> field_type(["2020-01-31", "1999-12-01"]), field_type(["2020-01-31", "soon"]), field_type([])
    ('date', 'string', 'string')
    """
    kinds = set()
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            kinds.add("boolean")
        elif isinstance(value, int):
            kinds.add("integer")
        elif isinstance(value, float):
            kinds.add("float")
        elif isinstance(value, str) and _is_date(value):
            kinds.add("date")
        else:
            kinds.add("string")
    if len(kinds) == 1:
        return kinds.pop()
    if kinds == {"integer", "float"}:
        return "float"
    return "string"


def typed_array(values: Sequence[object], kind: str) -> pa.Array:
    """``values`` (None for null) as an Arrow array of ``kind`` (from :func:`field_type`)."""
    if kind == "date":
        converted: list[object] = [
            None if v is None else datetime.date.fromisoformat(str(v)) for v in values
        ]
    elif kind == "float":
        converted = [None if v is None else float(v) for v in values]  # type: ignore[arg-type]
    elif kind == "string":
        converted = [None if v is None else _as_text(v) for v in values]
    else:
        converted = list(values)
    return pa.array(converted, _ARROW_TYPES[kind])


def _is_date(text: str) -> bool:
    if not _ISO_DATE.fullmatch(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _as_text(value: object) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def column_name(name: str) -> str:
    """The stored column of field ``name``.

    >>> column_name("year"), column_name("text")
    ('year', 'text_field')
    """
    return f"{name}_field" if name in RESERVED else name


@dataclass(frozen=True)
class DocumentRows:
    """A ``--metadata`` file as the fields stage joins it: fields by document id, and the
    file's field names in order."""

    path: str
    fingerprint: str
    names: tuple[str, ...]
    rows: Mapping[str, Mapping[str, Value]]


class _CorpusSentences:
    """The sentences of a corpus's shards: per sentence its id, document and metadata (as an
    index into the distinct metadata objects, -1 for none)."""

    def __init__(self, layout: IndexLayout, manifest: Manifest, position: int) -> None:
        self.distinct: list[dict[str, object]] = []
        self.doc_ids: list[str] = []
        known_fields: dict[str, int] = {}
        known_docs: dict[str, int] = {}
        sent_ids, docs, metas = [], [], []
        for shard in manifest.corpus_shards(position):
            path = layout.sentences_part(shard.index)
            present = set(pq.ParquetFile(path).schema_arrow.names)
            columns = ["sent_id", "doc_id", *([FIELDS_COLUMN] if FIELDS_COLUMN in present else [])]
            table = pq.read_table(path, columns=columns, read_dictionary=columns[1:])
            sent_ids.append(np.asarray(table.column("sent_id").to_numpy(), dtype=np.int64))
            docs.append(_global_codes(table.column("doc_id"), known_docs, self.doc_ids.append))
            if FIELDS_COLUMN in present:
                metas.append(
                    _global_codes(
                        table.column(FIELDS_COLUMN),
                        known_fields,
                        lambda text: self.distinct.append(json.loads(text)),
                    )
                )
            else:
                metas.append(np.full(table.num_rows, -1, dtype=np.int64))
        self.sent_ids = _joined(sent_ids)
        self.docs = _joined(docs)
        self.metas = _joined(metas)

    def names(self) -> list[str]:
        """Every field name, in order of first appearance."""
        seen: dict[str, None] = {}
        for entry in self.distinct:
            for name in entry:
                seen.setdefault(name, None)
        return list(seen)

    def codes(self, name: str) -> tuple[list[object], np.ndarray]:
        """The distinct values of field ``name`` and, per sentence, its value's index (-1:
        none)."""
        values: list[object] = []
        index: dict[str, int] = {}
        per_distinct = np.full(len(self.distinct) + 1, -1, dtype=np.int64)  # last: no fields
        for i, entry in enumerate(self.distinct):
            value = entry.get(name)
            if value is None:
                continue
            key = json.dumps(value, sort_keys=True)
            if key not in index:
                index[key] = len(values)
                values.append(value)
            per_distinct[i] = index[key]
        return values, per_distinct[self.metas]


def _global_codes(
    column: pa.ChunkedArray, known: dict[str, int], add: Callable[[str], None]
) -> np.ndarray:
    """Per row, the index of its value among every value seen so far (-1 for null)."""
    out = []
    for chunk in column.chunks:
        values = chunk.dictionary.to_pylist()
        mapping = np.empty(len(values) + 1, dtype=np.int64)
        mapping[-1] = -1
        for i, value in enumerate(values):
            if value not in known:
                known[value] = len(known)
                add(value)
            mapping[i] = known[value]
        indices = chunk.indices.to_numpy(zero_copy_only=False)
        if chunk.null_count:
            valid = np.asarray(chunk.is_valid())
            indices = np.where(valid, indices, -1)
        out.append(mapping[np.asarray(indices, dtype=np.int64)])
    return _joined(out)


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.empty(0, dtype=np.int64)
    return np.concatenate(parts).astype(np.int64, copy=False)


def build_fields(
    layout: IndexLayout, manifest: Manifest, position: int, metadata: DocumentRows | None
) -> tuple[FieldsRecord, MetadataRecord | None]:
    """Write corpus ``position``'s metadata tables; its fields record, and what joining
    ``metadata`` (a ``--metadata`` file) found."""
    sentences = _CorpusSentences(layout, manifest, position)
    n_docs = len(sentences.doc_ids)
    doc_columns: dict[str, pa.Array] = {"doc_id": pa.array(sentences.doc_ids, pa.string())}
    sent_columns: dict[str, pa.Array] = {}
    infos: list[FieldInfo] = []
    first_sentence = np.full(n_docs, -1, dtype=np.int64)
    if len(sentences.docs):
        order = np.argsort(sentences.docs, kind="stable")
        firsts = np.unique(sentences.docs[order], return_index=True)
        first_sentence[firsts[0]] = order[firsts[1]]
    file_names = set(metadata.names) if metadata is not None else set()
    for name in sentences.names():
        if name in file_names:
            logger.warning(
                "field %r is both in the corpus and in %s; the file's values are kept",
                name,
                metadata.path if metadata else "",
            )
            continue
        values, codes = sentences.codes(name)
        kind = field_type(values)
        typed = typed_array(values, kind)
        pairs = np.unique(sentences.docs * (len(values) + 1) + (codes + 1))
        constant = len(pairs) == n_docs
        column = column_name(name)
        if constant:
            doc_columns[column] = _take(typed, codes[first_sentence])
        else:
            sent_columns[column] = _take(typed, codes)
        infos.append(FieldInfo(column, kind, "document" if constant else "sentence"))
    joined = None
    if metadata is not None:
        joined = _join_file(metadata, sentences.doc_ids, doc_columns, infos)
    files = {}
    documents = layout.documents(position)
    files[layout.relative(documents)] = write_table(
        documents, pa.table(doc_columns), compression="zstd"
    )
    if sent_columns:
        path = layout.sentence_fields(position)
        table = pa.table({"sent_id": pa.array(sentences.sent_ids), **sent_columns})
        files[layout.relative(path)] = write_table(path, table, compression="zstd")
    return FieldsRecord(files=files, fields=tuple(infos), documents=n_docs), joined


def _take(values: pa.Array, codes: np.ndarray) -> pa.Array:
    """``values[codes]``, null where a code is -1."""
    missing = codes < 0
    if len(values) == 0:
        return pa.nulls(len(codes), values.type)
    return values.take(pa.array(np.where(missing, 0, codes), mask=missing))


def _join_file(
    metadata: DocumentRows,
    doc_ids: list[str],
    doc_columns: dict[str, pa.Array],
    infos: list[FieldInfo],
) -> MetadataRecord:
    """Add the file's fields to the documents' columns; count what does not match."""
    present = set(doc_ids)
    missing = sum(1 for doc in doc_ids if doc not in metadata.rows)
    unknown = sum(1 for doc in metadata.rows if doc not in present)
    if missing:
        example = next(doc for doc in doc_ids if doc not in metadata.rows)
        logger.warning(
            "%s: %d of the corpus's %d documents have no row (e.g. %r); their fields are null",
            metadata.path,
            missing,
            len(doc_ids),
            example,
        )
    if unknown:
        example = next(doc for doc in metadata.rows if doc not in present)
        logger.warning(
            "%s: %d rows name no document of the corpus (e.g. %r); they are not used",
            metadata.path,
            unknown,
            example,
        )
    for name in metadata.names:
        values = [metadata.rows.get(doc, {}).get(name) for doc in doc_ids]
        kind = field_type(values)
        column = column_name(name)
        doc_columns[column] = typed_array(values, kind)
        infos[:] = [info for info in infos if info.name != column]
        infos.append(FieldInfo(column, kind, "document"))
    return MetadataRecord(
        path=metadata.path,
        fingerprint=metadata.fingerprint,
        rows=len(metadata.rows),
        missing_documents=missing,
        unknown_documents=unknown,
    )
