"""Groups of occurrences by a metadata field: its values, or numeric bins of them."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from indexer.errors import QueryError

if TYPE_CHECKING:
    from query.fields import CorpusFields

#: Most groups a field may make without --bins.
MAX_GROUPS = 100


@dataclass(frozen=True, eq=False)
class Groups:
    """The groups of ``field``: their ``labels`` in order, and per row (sentence or occurrence)
    its group's index, -1 for a row in none (no value, or outside the bins)."""

    field: str
    labels: tuple[str, ...]
    codes: np.ndarray

    def index(self, label: str, option: str = "group") -> int:
        """The index of group ``label``; an unknown one names the groups."""
        if label not in self.labels:
            shown = ", ".join(self.labels[:20]) + (" ..." if len(self.labels) > 20 else "")
            raise QueryError(
                f"{option} {label!r} is not a group of {self.field!r}; its groups: {shown}"
            )
        return self.labels.index(label)


def parse_bins(text: str | Sequence[float] | None) -> tuple[float, ...] | None:
    """Bin edges from ``"1990,2000,2010"``: numbers, or ISO dates (``YYYY-MM-DD``, compared
    as days).

    >>> parse_bins("1990, 2000,2010")
    (1990.0, 2000.0, 2010.0)
    """
    if text is None:
        return None
    if isinstance(text, str):
        parts = [part.strip() for part in text.split(",") if part.strip()]
        try:
            edges = tuple(_edge(part) for part in parts)
        except ValueError as err:
            raise QueryError(f"--bins {text!r}: edges must be numbers or ISO dates") from err
    else:
        edges = tuple(float(edge) for edge in text)
    if len(edges) < 2:
        raise QueryError(f"--bins needs at least two edges, got {text!r}")
    if any(b <= a for a, b in itertools.pairwise(edges)):
        raise QueryError(f"--bins edges must increase, got {text!r}")
    return edges


def _edge(text: str) -> float:
    if len(text) == 10 and text[4] == "-":
        return float(datetime.date.fromisoformat(text).toordinal())
    return float(text)


def bin_label(low: float, high: float, dates: bool) -> str:
    """A bin's name: ``low-high``, for ``low <= value < high`` (the last bin also holds its
    upper edge).

    >>> bin_label(1990.0, 2000.0, False), bin_label(0.5, 1.0, False)
    ('1990-2000', '0.5-1')
    """

    def show(edge: float) -> str:
        if dates:
            return datetime.date.fromordinal(int(edge)).isoformat()
        return str(int(edge)) if edge == int(edge) else repr(edge)

    return f"{show(low)}-{show(high)}"


def make_groups(field: str, values: pa.Array, bins: tuple[float, ...] | None) -> Groups:
    """Group rows by their ``values`` (one per row; null: no group)."""
    if bins is not None:
        return _binned(field, values, bins)
    valid = np.asarray(values.is_valid())
    texts = [_text(value) for value in values.drop_null().to_pylist()]
    numeric = pa.types.is_integer(values.type) or pa.types.is_floating(values.type)
    labels = sorted(set(texts), key=float) if numeric else sorted(set(texts))
    if len(labels) > MAX_GROUPS:
        raise QueryError(
            f"field {field!r} has {len(labels)} values; group it with --bins (edges, e.g. "
            "--bins 1990,2000,2010) or filter it with --where"
        )
    code_of = {label: i for i, label in enumerate(labels)}
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[valid] = np.array([code_of[text] for text in texts], dtype=np.int64)
    return Groups(field, tuple(labels), codes)


def _binned(field: str, values: pa.Array, bins: tuple[float, ...]) -> Groups:
    kind = values.type
    dates = pa.types.is_date(kind)
    if dates:
        numbers = pc.cast(pc.cast(values, pa.int32()), pa.float64())
        numbers = pc.add(numbers, float(datetime.date(1970, 1, 1).toordinal()))
    elif pa.types.is_integer(kind) or pa.types.is_floating(kind):
        numbers = pc.cast(values, pa.float64())
    else:
        raise QueryError(f"--bins needs a numeric or date field; {field!r} holds {kind}")
    x = np.asarray(pc.fill_null(numbers, np.nan))
    edges = np.asarray(bins)
    codes = np.searchsorted(edges, x, side="right") - 1
    codes[x == edges[-1]] = len(edges) - 2  # the last bin holds its upper edge
    codes[(codes < 0) | (codes >= len(edges) - 1) | np.isnan(x)] = -1
    labels = tuple(bin_label(lo, hi, dates) for lo, hi in itertools.pairwise(edges))
    return Groups(field, labels, codes.astype(np.int64))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def field_groups(
    fields: CorpusFields, by: str, bins: tuple[float, ...] | None
) -> tuple[tuple[str, ...], list[int]]:
    """The groups of ``by`` over the whole index, and the occurrences in each."""
    groups = make_groups(by, fields.column(by), bins)
    n_tokens = np.asarray(fields.sentences.column("n_tokens").to_numpy(), dtype=np.int64)
    inside = groups.codes >= 0
    counts = np.bincount(
        groups.codes[inside], weights=n_tokens[inside], minlength=len(groups.labels)
    )
    return groups.labels, [int(count) for count in counts]
