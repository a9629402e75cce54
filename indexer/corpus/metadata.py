"""Document metadata from a side table (CSV, TSV or JSONL), keyed by ``doc_id``."""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from indexer.corpus.values import FieldValue, json_value, parse_value
from indexer.errors import CorpusError

DOC_ID = "doc_id"
DELIMITERS = {".csv": ",", ".tsv": "\t"}
SUFFIXES = (*DELIMITERS, ".jsonl")


@dataclass(frozen=True)
class DocumentMetadata:
    """The fields of the documents a metadata file names.

    ``fields`` are the field names in file order (the header's; for JSONL, the order keys are
    first met), ``doc_id`` not among them. ``rows`` maps each ``doc_id`` to its fields, empty
    cells and JSON nulls left out; ``lines`` maps it to the 1-based line that gives it.
    """

    path: str
    fields: tuple[str, ...]
    rows: Mapping[str, Mapping[str, FieldValue]]
    lines: Mapping[str, int]


def read_metadata(path: str | Path) -> DocumentMetadata:
    """Read the metadata file at ``path``, its format by suffix: ``.csv`` or ``.tsv`` (a header
    row naming a ``doc_id`` column, cells read by :func:`~indexer.corpus.values.parse_value`,
    the ``doc_id`` kept as text) or ``.jsonl`` (one object per line with a string or integer
    ``doc_id``, values read by :func:`~indexer.corpus.values.json_value`; blank lines ignored).

    Raises CorpusError naming the file and line for a missing ``doc_id``, a document given
    twice, a row whose cells do not match the header, or a line that is not a JSON object.
    """
    name = str(path)
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise CorpusError(
            f"a metadata file must end in {', '.join(SUFFIXES)}; got {suffix or 'no suffix'!r}",
            path=name,
        )
    text = _read_text(Path(path))
    table = _Table(name)
    if suffix == ".jsonl":
        _read_jsonl(text, table)
    else:
        _read_delimited(text, DELIMITERS[suffix], table)
    return DocumentMetadata(name, tuple(table.fields), table.rows, table.lines)


class _Table:
    """The documents read so far, checked as they come."""

    def __init__(self, name: str):
        self.name = name
        self.fields: dict[str, None] = {}  # an ordered set
        self.rows: dict[str, dict[str, FieldValue]] = {}
        self.lines: dict[str, int] = {}

    def add(self, doc_id: str, values: dict[str, FieldValue], number: int) -> None:
        if not doc_id:
            raise CorpusError(f"empty {DOC_ID}", path=self.name, line=number)
        if doc_id in self.lines:
            raise CorpusError(
                f"document {doc_id!r} given again; first on line {self.lines[doc_id]}",
                path=self.name,
                line=number,
            )
        self.rows[doc_id] = values
        self.lines[doc_id] = number


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError as err:
        raise CorpusError("no such file", path=path) from err
    except OSError as err:
        raise CorpusError(f"cannot read the file: {err.strerror or err}", path=path) from err
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line_start = data.rfind(b"\n", 0, err.start) + 1
        raise CorpusError(
            f"invalid UTF-8 at byte {err.start - line_start + 1} of the line",
            path=path,
            line=data.count(b"\n", 0, err.start) + 1,
        ) from err


def _read_delimited(text: str, delimiter: str, table: _Table) -> None:
    """Rows of a CSV or TSV text; blank lines are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    id_column = 0
    number = 1  # the line where the next row starts
    try:
        for row in reader:
            line, number = number, reader.line_num + 1
            if not row:
                continue
            if header is None:
                header, id_column = _header(row, table.name, line)
                table.fields.update(dict.fromkeys(c for c in header if c != DOC_ID))
                continue
            if len(row) != len(header):
                raise CorpusError(
                    f"{len(row)} cells where the header has {len(header)}",
                    path=table.name,
                    line=line,
                )
            values = {
                column: parse_value(cell)
                for index, (column, cell) in enumerate(zip(header, row, strict=True))
                if index != id_column and cell.strip()
            }
            table.add(row[id_column].strip(), values, line)
    except csv.Error as err:
        raise CorpusError(f"cannot read: {err}", path=table.name, line=reader.line_num) from err
    if header is None:
        raise CorpusError("no header row", path=table.name, line=1)


def _header(row: list[str], name: str, line: int) -> tuple[list[str], int]:
    """The column names of a header row and the index of the ``doc_id`` column."""
    header = [cell.strip() for cell in row]
    seen: set[str] = set()
    for index, column in enumerate(header):
        if not column:
            raise CorpusError(f"column {index + 1} of the header has no name", path=name, line=line)
        if column in seen:
            raise CorpusError(f"column {column!r} named twice", path=name, line=line)
        seen.add(column)
    if DOC_ID not in seen:
        raise CorpusError(
            f"no {DOC_ID!r} column; the header names {', '.join(header)}", path=name, line=line
        )
    return header, header.index(DOC_ID)


def _read_jsonl(text: str, table: _Table) -> None:
    """One object per line; split on line feeds only, as JSON strings may hold U+2028."""
    for line, record_text in enumerate(text.split("\n"), 1):
        if not record_text.strip():
            continue
        try:
            record = json.loads(record_text)
        except json.JSONDecodeError as err:
            raise CorpusError(
                f"invalid JSON: {err.msg} at column {err.colno}", path=table.name, line=line
            ) from err
        if not isinstance(record, dict):
            raise CorpusError(
                f'expected an object like {{"{DOC_ID}": ...}}, found {type(record).__name__}',
                path=table.name,
                line=line,
            )
        if DOC_ID not in record:
            raise CorpusError(f'the record has no "{DOC_ID}"', path=table.name, line=line)
        doc_id = record.pop(DOC_ID)
        if isinstance(doc_id, bool) or not isinstance(doc_id, str | int):
            raise CorpusError(
                f'"{DOC_ID}" must be a string or an integer, found {json.dumps(doc_id)}',
                path=table.name,
                line=line,
            )
        table.fields.update(dict.fromkeys(record))
        values = {k: v for k, v in ((k, json_value(v)) for k, v in record.items()) if v is not None}
        table.add(str(doc_id), values, line)
