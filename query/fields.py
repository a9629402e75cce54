"""The fields a query can filter and group by: of occurrences, sentences and documents.

Every sentence of the index is one row of :attr:`CorpusFields.sentences`: ``sent_id``,
``doc_id``, ``sent_key``, ``n_tokens``, ``corpus`` (its corpus's position in the manifest), then
the metadata fields of its document and its own (``indexer.store.fields``), one column each
over all corpora. An occurrence adds ``occ_id``, ``position``, ``token``, ``lemma`` and ``upos``.

``--where`` conditions are SQL evaluated by DuckDB (the ``[sql]`` extra) over Arrow tables
in memory, on a connection whose file system access is switched off and locked: a condition
reads nothing but those tables and writes nothing.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexer.display import Preview
from indexer.errors import QueryError
from indexer.store.reader import IndexReader, read_shard_table
from indexer.store.shards import ANNOTATION_COLUMNS

if TYPE_CHECKING:
    import duckdb

#: Columns of every sentence row besides the metadata fields.
SENTENCE_COLUMNS = ("sent_id", "doc_id", "sent_key", "n_tokens", "corpus")
#: Shards whose lemmas and parts of speech stay in memory for the columns of listed
#: occurrences (about 1 MiB a shard of 65,536 occurrences).
ANNOTATION_SHARDS = 32
#: Columns an occurrence adds.
OCCURRENCE_COLUMNS = ("occ_id", "position", "token", "lemma", "upos")
_OCCURRENCE_NAMES = re.compile(r"\b(occ_id|position|token|lemma|upos)\b", re.IGNORECASE)
_TYPE_NAMES = {
    pa.int64(): "integer",
    pa.int32(): "integer",
    pa.float64(): "float",
    pa.bool_(): "boolean",
    pa.date32(): "date",
    pa.string(): "string",
}


@dataclass(frozen=True)
class Field:
    """One column a filter or ``--by`` can name: its ``name``, ``type`` and where it comes from
    (``occurrence``, ``sentence`` or ``document``)."""

    name: str
    type: str
    level: str


class CorpusFields(Preview):
    """The sentence rows of an index with their fields (read once, on first use)."""

    def __init__(self, reader: IndexReader) -> None:
        self.reader = reader
        self._annotation_cache: OrderedDict[tuple[int, tuple[str, ...]], dict[str, pa.Array]]
        self._annotation_cache = OrderedDict()
        self._lock = threading.Lock()

    preview_rows = 100

    def summary(self) -> str:
        names = ", ".join(self.metadata_names()) or "no metadata fields"
        return f"{self.sentences.num_rows:,} sentences; fields: {names}"

    def preview(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        rows = [(f.name, f.type, f.level) for f in self.fields.values()]
        return ("name", "type", "level"), rows

    @cached_property
    def sentences(self) -> pa.Table:
        """One row per sentence, in sent_id order (which is its row number)."""
        manifest, layout = self.reader.manifest, self.reader.layout
        tables = []
        for position, corpus in enumerate(manifest.corpora):
            parts = [
                read_shard_table(
                    layout.sentences_part(shard.index),
                    ("sent_id", "doc_id", "sent_key", "n_tokens"),
                    shard.n_sentences,
                )
                for shard in manifest.corpus_shards(position)
            ]
            if not parts:
                continue
            table = pa.concat_tables(parts)
            table = table.append_column(
                "corpus", pa.array(np.full(table.num_rows, position, dtype=np.int32))
            )
            if corpus.fields is not None:
                table = _with_fields(table, layout.documents(position), "doc_id")
                path = layout.sentence_fields(position)
                if layout.relative(path) in corpus.fields.files:
                    table = _with_fields(table, path, "sent_id")
            tables.append(table)
        return _concat(tables)

    @cached_property
    def fields(self) -> dict[str, Field]:
        """Every column a filter can name, by name."""
        found = {
            "occ_id": Field("occ_id", "integer", "occurrence"),
            "position": Field("position", "integer", "occurrence"),
            "token": Field("token", "string", "occurrence"),
            "lemma": Field("lemma", "string", "occurrence"),
            "upos": Field("upos", "string", "occurrence"),
        }
        levels = {
            info.name: info.level
            for corpus in self.reader.manifest.corpora
            if corpus.fields is not None
            for info in corpus.fields.fields
        }
        for column in self.sentences.schema:
            level = levels.get(column.name, "sentence")
            kind = _TYPE_NAMES.get(column.type, str(column.type))
            found[column.name] = Field(column.name, kind, level)
        return found

    def metadata_names(self) -> list[str]:
        """The metadata fields (not the built-in columns), in table order."""
        return [name for name in self.sentences.column_names if name not in SENTENCE_COLUMNS]

    @cached_property
    def _first_occ(self) -> np.ndarray:
        counts = np.asarray(self.sentences.column("n_tokens").to_numpy(), dtype=np.int64)
        return np.cumsum(counts) - counts

    def sentence_of(self, occurrence_ids: np.ndarray) -> np.ndarray:
        """The sent_id of each occurrence."""
        return np.searchsorted(self._first_occ, occurrence_ids, side="right") - 1

    def values(self, name: str, occurrence_ids: np.ndarray) -> pa.Array:
        """Field ``name`` of each occurrence (a sentence or document field)."""
        column = self.column(name)
        return column.take(pa.array(self.sentence_of(occurrence_ids)))

    def column(self, name: str) -> pa.Array:
        """Field ``name`` of every sentence; an unknown one names the known ones."""
        if name not in self.sentences.column_names or name in ("sent_id", "n_tokens"):
            known = ", ".join(self.metadata_names()) or "none (the corpus had no metadata)"
            raise QueryError(f"unknown field {name!r}; the index's metadata fields: {known}")
        return self.sentences.column(name).combine_chunks()

    def where(self, condition: str, occurrence_ids: np.ndarray) -> np.ndarray:
        """The ``occurrence_ids`` (ascending) whose rows satisfy the SQL ``condition``."""
        ids = np.asarray(occurrence_ids, dtype=np.int64)
        sent_ids = self.sentence_of(ids)
        if not _OCCURRENCE_NAMES.search(condition):
            kept = self.sentence_mask(condition)
            return ids[kept[sent_ids]]
        rows = {"occ_id": ids, "sent_id": sent_ids, "position": ids - self._first_occ[sent_ids]}
        table = pa.table({**rows, **self.annotations(ids)})
        connection = _connection()
        connection.register("occurrence_rows", table)
        connection.register("sentence_rows", self.sentences)
        found = _run(
            connection,
            "SELECT occ_id FROM occurrence_rows JOIN sentence_rows USING (sent_id) "
            f"WHERE ({condition})\nORDER BY occ_id",
            condition,
            self,
        )
        return np.asarray(found["occ_id"], dtype=np.int64)

    def sentence_mask(self, condition: str) -> np.ndarray:
        """Per sentence, whether it satisfies ``condition`` (over sentence and document
        fields)."""
        connection = _connection()
        connection.register("sentence_rows", self.sentences)
        found = _run(
            connection,
            f"SELECT sent_id FROM sentence_rows WHERE ({condition})",
            condition,
            self,
        )
        mask = np.zeros(self.sentences.num_rows, dtype=bool)
        mask[np.asarray(found["sent_id"], dtype=np.int64)] = True
        return mask

    def annotations(
        self, ids: np.ndarray, names: Sequence[str] = ("token", *ANNOTATION_COLUMNS)
    ) -> dict[str, Any]:
        """Columns ``names`` (of ``token``, ``lemma``, ``upos``) of the occurrences ``ids``
        (ascending), read from the occurrence shards they lie in; null where a shard has none.
        The lemma and UPOS of the last :data:`ANNOTATION_SHARDS` shards read stay in memory."""
        manifest = self.reader.manifest
        starts = np.array([shard.first_occurrence for shard in manifest.shards], dtype=np.int64)
        shard_of = np.searchsorted(starts, ids, side="right") - 1
        parts: dict[str, list[pa.Array]] = {name: [] for name in names}
        for index in np.unique(shard_of).tolist():
            table = self._shard_annotations(index, tuple(names))
            rows = pa.array(ids[shard_of == index] - manifest.shards[index].first_occurrence)
            for name in parts:
                if name in table:
                    parts[name].append(table[name].take(rows))
                else:
                    parts[name].append(pa.nulls(len(rows), pa.string()))
        return {
            name: pa.concat_arrays(chunks) if chunks else pa.array([], pa.string())
            for name, chunks in parts.items()
        }

    def _shard_annotations(self, index: int, names: tuple[str, ...]) -> dict[str, pa.Array]:
        """Columns ``names`` of shard ``index``'s occurrences that it has (kept when the token,
        the largest, is not among them)."""
        key = (index, names)
        with self._lock:
            cached = self._annotation_cache.get(key)
            if cached is not None:
                self._annotation_cache.move_to_end(key)
                return cached
        shard = self.reader.manifest.shards[index]
        path = self.reader.layout.occurrences_part(shard.index)
        present = set(pq.ParquetFile(path).schema_arrow.names)
        wanted = [name for name in names if name in present]
        found: dict[str, pa.Array] = {}
        if wanted:
            table = read_shard_table(path, wanted, shard.n_occurrences)
            found = {name: table.column(name).combine_chunks() for name in wanted}
        if "token" not in names:
            with self._lock:
                self._annotation_cache[key] = found
                while len(self._annotation_cache) > ANNOTATION_SHARDS:
                    self._annotation_cache.popitem(last=False)
        return found


def _with_fields(table: pa.Table, path: Any, key: str) -> pa.Table:
    """``table`` with the columns of the Parquet file at ``path`` joined on ``key``."""
    extra = pq.ParquetFile(path).read()
    if extra.num_columns <= 1:
        return table
    if key == "sent_id":  # written in the sentences' own order, one row each
        for name in extra.column_names[1:]:
            table = table.append_column(name, extra.column(name))
        return table
    order = "__row"
    joined = table.append_column(order, pa.array(np.arange(table.num_rows)))
    joined = joined.join(extra, keys=key, join_type="left outer")
    return joined.sort_by(order).drop_columns([order])


def _concat(tables: Sequence[pa.Table]) -> pa.Table:
    """The corpora's sentence tables as one: a field missing from a corpus is null there, and a
    field of different types in different corpora becomes a float (integers and floats) or a
    string."""
    if len(tables) == 1:
        return tables[0]
    types: dict[str, set[pa.DataType]] = {}
    for table in tables:
        for column in table.schema:
            types.setdefault(column.name, set()).add(column.type)
    target = {}
    for name, found in types.items():
        if len(found) == 1:
            target[name] = found.pop()
        elif found <= {pa.int64(), pa.float64()}:
            target[name] = pa.float64()
        else:
            target[name] = pa.string()
    out = []
    for table in tables:
        columns = []
        for name, kind in target.items():
            if name in table.column_names:
                columns.append(table.column(name).cast(kind))
            else:
                columns.append(pa.nulls(table.num_rows, kind))
        out.append(pa.table(columns, names=list(target)))
    return pa.concat_tables(out)


def _connection() -> duckdb.DuckDBPyConnection:
    try:
        import duckdb
    except ImportError as err:
        raise QueryError(
            "--where needs DuckDB: pip install 'elmo-sense-index[sql]' (or duckdb)"
        ) from err
    connection = duckdb.connect(":memory:")
    connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")
    return connection


def _run(
    connection: duckdb.DuckDBPyConnection, sql: str, condition: str, fields: CorpusFields
) -> dict[str, np.ndarray]:
    """Run one SELECT; a condition that fails is one QueryError line naming what is wrong."""
    import duckdb

    hint = quoting_hint(condition, fields.fields)
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as err:
        raise QueryError(f"--where {condition!r}: {_first_line(err)}{hint}") from err
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise QueryError(f"--where {condition!r}: give one condition, not SQL statements")
    try:
        return dict(connection.execute(sql).fetchnumpy())
    except duckdb.BinderException as err:
        message = _first_line(err)
        match = re.search(r'column "([^"]+)" not found', message)
        if match:
            known = ", ".join(sorted(fields.fields))
            raise QueryError(
                f"--where {condition!r}: unknown field {match.group(1)!r}{hint}; fields: {known}"
            ) from err
        raise QueryError(f"--where {condition!r}: {message}{hint}") from err
    except duckdb.Error as err:
        raise QueryError(f"--where {condition!r}: {_first_line(err)}{hint}") from err
    finally:
        connection.close()


#: A comparison whose right side is a bare word: ``genre = news``, ``period = 1990s``.
_BARE_VALUE = re.compile(
    r"(?P<field>[A-Za-z_]\w*)\s*(?P<op>==|=|!=|<>|<=|>=|<|>)\s*(?P<value>[\w.:-]+)"
)
_NOT_STRINGS = {"null", "true", "false"}


def quoting_hint(condition: str, fields: Iterable[str]) -> str:
    """A hint for the first bare word compared with a field that is neither a number nor a field
    name (strings are quoted in SQL), or "".

    >>> quoting_hint("period = 1990s", ["period"])
    " (string values are quoted: period = '1990s')"
    >>> quoting_hint("year >= 1990 AND genre = 'news'", ["year", "genre"])
    ''
    """
    names = {name.lower() for name in fields}
    for match in _BARE_VALUE.finditer(condition):
        value = match.group("value")
        if value.lower() in names or value.lower() in _NOT_STRINGS or _is_number(value):
            continue
        quoted = f"{match.group('field')} {match.group('op')} '{value}'"
        return f" (string values are quoted: {quoted})"
    return ""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _first_line(err: Exception) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__
