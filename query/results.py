"""What queries return: occurrences, neighbour hits and distance tables, as records or DataFrames.

The record keys (``*_FIELDS``) are what JSON and CSV output carry; scripts rely on them, so
they only ever gain fields at the end.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from indexer.display import Preview
from query.kwic import KwicLine, kwic_text

OCCURRENCE_FIELDS = ("occurrence", "token", "doc_id", "sent_id", "position", "sentence")
HIT_FIELDS = (
    "query_occurrence",
    "rank",
    "occurrence",
    "distance",
    *OCCURRENCE_FIELDS[1:],
    "duplicates",
)
#: The keyword-in-context columns of CSV output: the left context, the word, the right context.
KWIC_FIELDS = ("left", "node", "right")


def frame(records: list[dict[str, Any]], columns: Sequence[str]) -> Any:
    import pandas as pd

    return pd.DataFrame.from_records(records, columns=list(columns))


class StoredToken(Preview):
    """What a stored occurrence, a hit and a sense example share: a keyword-in-context line,
    and a record of their fields followed by their ``extra`` columns (lemma, UPOS, metadata
    fields: :mod:`query.columns`)."""

    occurrence: int
    token: str
    doc_id: str
    sent_id: int
    position: int
    sentence: str
    extra: Mapping[str, Any]

    def summary(self) -> str:
        return (
            f"occurrence {self.occurrence} ({self.doc_id}, sentence {self.sent_id}, position "
            f"{self.position}): {self.kwic().render()}"
        )

    def preview(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        record = self.to_record()
        return tuple(record), [tuple(record.values())]

    def kwic(self, width: int = 40) -> KwicLine:
        return kwic_text(self.sentence, self.position, self.token, width)

    def own_record(self) -> dict[str, Any]:
        """The dataclass fields in order, without the extra columns."""
        names = cast(Any, self).__dataclass_fields__
        return {name: getattr(self, name) for name in names if name != "extra"}

    def to_record(self) -> dict[str, Any]:
        """The fields in order, then the extra columns (all plain values: no deep copy is
        needed)."""
        return {**self.own_record(), **self.extra}


@dataclass(frozen=True, repr=False)
class Occurrence(StoredToken):
    """One stored token occurrence: its id, token, document, sentence, position and text."""

    occurrence: int
    token: str
    doc_id: str
    sent_id: int
    position: int
    sentence: str
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, repr=False)
class OccurrenceList(Preview):
    """Occurrences of one word, in corpus order; ``ids`` holds all of them, ``items`` the listed.

    ``word`` names the query as it was given (:attr:`Selection.label`); ``columns`` are the
    extra columns of every item (lemma and UPOS where the index has them, metadata fields
    asked for)."""

    word: str
    ids: np.ndarray
    items: tuple[Occurrence, ...]
    columns: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Occurrence]:
        return iter(self.items)

    def __getitem__(self, index: int) -> Occurrence:
        return self.items[index]

    def to_records(self) -> list[dict[str, Any]]:
        return [item.to_record() for item in self.items]

    @property
    def fields(self) -> tuple[str, ...]:
        """The record keys: ``OCCURRENCE_FIELDS``, then the extra columns."""
        return (*OCCURRENCE_FIELDS, *self.columns)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with the columns of :attr:`fields`."""
        return frame(self.to_records(), self.fields)

    def summary(self) -> str:
        return f"{self.word}: {len(self.ids):,} occurrences, {len(self.items):,} listed"

    def preview(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        return _kwic_preview(
            ("occurrence", "doc_id", "sent_id", "position"), self.columns, self.items
        )


@dataclass(frozen=True, repr=False)
class Hit(StoredToken):
    """One neighbour: the occurrence found, its rank (1 = nearest) and cosine distance.

    ``query_occurrence`` is the stored occurrence searched from, or None for a context query.
    With ``dedupe``, ``duplicates`` counts the other hits in an identical sentence, not shown.
    """

    query_occurrence: int | None
    rank: int
    occurrence: int
    distance: float
    token: str
    doc_id: str
    sent_id: int
    position: int
    sentence: str
    duplicates: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def summary(self) -> str:
        return f"rank {self.rank}, distance {self.distance:.4f}, {super().summary()}"


@dataclass(frozen=True)
class QueryPoint:
    """What one search started from: a stored occurrence, or a word in a context sentence."""

    word: str
    occurrence: int | None
    sentence: str
    position: int

    def kwic(self, width: int = 40) -> KwicLine:
        return kwic_text(self.sentence, self.position, self.word, width)


@dataclass(frozen=True, repr=False)
class Neighbors(Preview):
    """The hits of a ``neighbors`` call, grouped by query point, nearest first in each group.

    ``word`` is the word searched; ``query`` names the query as it was given
    (:attr:`Selection.label`: the word, or its lemma, part of speech and filter); ``columns``
    are the extra columns of every hit (:mod:`query.columns`)."""

    word: str
    layer: int
    scope: str
    k: int
    queries: tuple[QueryPoint, ...]
    hits: tuple[Hit, ...]
    query: str = ""
    columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.query:
            object.__setattr__(self, "query", self.word)

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __getitem__(self, index: int) -> Hit:
        return self.hits[index]

    def groups(self) -> Iterator[tuple[QueryPoint, tuple[Hit, ...]]]:
        """Each query point with its hits."""
        by_query: dict[int | None, list[Hit]] = {}
        for hit in self.hits:
            by_query.setdefault(hit.query_occurrence, []).append(hit)
        for point in self.queries:
            yield point, tuple(by_query.get(point.occurrence, ()))

    def to_records(self) -> list[dict[str, Any]]:
        return [hit.to_record() for hit in self.hits]

    @property
    def fields(self) -> tuple[str, ...]:
        """The record keys: ``HIT_FIELDS``, then the extra columns."""
        return (*HIT_FIELDS, *self.columns)

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` with the columns of :attr:`fields`, one row per hit."""
        return frame(self.to_records(), self.fields)

    def summary(self) -> str:
        return (
            f"{self.query} on layer {self.layer}, scope {self.scope}: {len(self.hits):,} hits "
            f"of {len(self.queries):,} quer{'y' if len(self.queries) == 1 else 'ies'} "
            f"({self.k} nearest each)"
        )

    def preview(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        head = ("query_occurrence", "rank", "distance", "occurrence", "doc_id", "position")
        return _kwic_preview(head, self.columns, self.hits)


@dataclass(frozen=True)
class DistanceItem:
    """One row/column of a distance table: a stored occurrence or a word in a given sentence."""

    label: str
    word: str
    sentence: str
    position: int
    occurrence: int | None = None

    def kwic(self, width: int = 40) -> KwicLine:
        return kwic_text(self.sentence, self.position, self.word, width)


@dataclass(frozen=True, eq=False, repr=False)
class DistanceTable(Preview):
    """Per layer, the (n, n) cosine-distance matrix between ``items``."""

    items: tuple[DistanceItem, ...]
    layers: tuple[int, ...]
    matrices: Mapping[int, np.ndarray]

    def matrix(self, layer: int) -> np.ndarray:
        return self.matrices[layer]

    def to_records(self) -> list[dict[str, Any]]:
        """One record per pair ``a < b`` (item indices), with one ``layer_L`` key per layer."""
        records = []
        n = len(self.items)
        for a in range(n):
            for b in range(a + 1, n):
                record: dict[str, Any] = {
                    "a": a,
                    "b": b,
                    "a_label": self.items[a].label,
                    "b_label": self.items[b].label,
                }
                for layer in self.layers:
                    record[f"layer_{layer}"] = float(self.matrices[layer][a, b])
                records.append(record)
        return records

    def to_pandas(self) -> Any:
        """The pairs of :meth:`to_records` as a ``pandas.DataFrame``."""
        columns = ("a", "b", "a_label", "b_label", *(f"layer_{layer}" for layer in self.layers))
        return frame(self.to_records(), columns)

    def square(self, layer: int) -> Any:
        """One layer's matrix as a ``pandas.DataFrame`` labelled by the items."""
        import pandas as pd

        labels = [item.label for item in self.items]
        return pd.DataFrame(self.matrices[layer], index=labels, columns=labels)

    def summary(self) -> str:
        layers = ", ".join(map(str, self.layers))
        return f"{len(self.items)} items, layer{'s' if len(self.layers) != 1 else ''} {layers}"

    def preview(self) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
        columns = ("a", "b", "a_label", "b_label", *(f"layer_{layer}" for layer in self.layers))
        return columns, [tuple(record.values()) for record in self.to_records()]


def _kwic_preview(
    head: Sequence[str], columns: Sequence[str], items: Sequence[StoredToken]
) -> tuple[Sequence[str], Sequence[Sequence[Any]]]:
    """The HTML preview rows of stored tokens: ``head`` fields, extra columns, and KWIC."""
    rows = [
        (
            *(getattr(item, name) for name in head),
            *(item.extra.get(name) for name in columns),
            item.kwic().render(),
        )
        for item in items
    ]
    return (*head, *columns, "context"), rows
