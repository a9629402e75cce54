"""Columns a listed occurrence can carry besides its own: its lemma and UPOS where the index has
them, and the sentence and document fields a query asks for (``--fields year,genre``)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from indexer.errors import QueryError
from query.results import StoredToken

if TYPE_CHECKING:
    from query.index import SenseIndex

#: The annotation columns, shown wherever the index has lemmas or parts of speech.
ANNOTATIONS = ("lemma", "upos")
#: Columns every record has already; asking for one adds nothing.
OWN = ("occurrence", "token", "doc_id", "sent_id", "position", "sentence")

Item = TypeVar("Item", bound=StoredToken)


def parse_fields(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """Field names from ``"year,genre"`` (or a list of names), each once, in order.

    >>> parse_fields("year, genre,year"), parse_fields(None), parse_fields(["period"])
    (('year', 'genre'), (), ('period',))
    """
    if text is None:
        return ()
    names = text.split(",") if isinstance(text, str) else list(text)
    found: list[str] = []
    for name in (name.strip() for name in names):
        if not name:
            raise QueryError(f"--fields names an empty field: {text!r}")
        if name not in found:
            found.append(name)
    return tuple(found)


def extra_columns(index: SenseIndex, fields: Sequence[str] = ()) -> tuple[str, ...]:
    """The extra columns of a query's records: ``lemma`` and ``upos`` where the index has
    them, then ``fields`` (checked: an unknown one names the index's fields)."""
    columns = list(ANNOTATIONS) if index.reader.lexicon.annotated else []
    for name in fields:
        if name in columns or name in OWN:
            continue
        if name not in ANNOTATIONS:
            index.fields.column(name)  # raises QueryError naming the known fields
        columns.append(name)
    return tuple(columns)


def with_columns(
    index: SenseIndex, items: Sequence[Item], columns: Sequence[str]
) -> tuple[Item, ...]:
    """``items`` with their ``extra`` values of ``columns`` filled in from the index."""
    if not columns or not items:
        return tuple(items)
    ids = np.asarray([item.occurrence for item in items], dtype=np.int64)
    values = column_values(index, ids, columns)
    return tuple(
        replace(item, extra={name: values[name][i] for name in columns})  # type: ignore[type-var]
        for i, item in enumerate(items)
    )


def column_values(
    index: SenseIndex, occurrence_ids: np.ndarray, columns: Sequence[str]
) -> dict[str, list[Any]]:
    """Per column, the value of each occurrence (in the order of ``occurrence_ids``)."""
    ids = np.asarray(occurrence_ids, dtype=np.int64)
    out: dict[str, list[Any]] = {}
    wanted = [name for name in columns if name in ANNOTATIONS]
    if wanted:
        unique, inverse = np.unique(ids, return_inverse=True)
        found = index.fields.annotations(unique, wanted)
        for name in wanted:
            column = found[name].to_pylist()
            out[name] = [column[i] for i in inverse.tolist()]
    for name in columns:
        if name not in out:
            out[name] = [_plain(v) for v in index.fields.values(name, ids).to_pylist()]
    return out


def _plain(value: Any) -> Any:
    """A value as JSON and CSV write it: dates as ISO text."""
    return value.isoformat() if isinstance(value, datetime.date) else value
