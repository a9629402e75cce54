"""Distance tables: what an item to compare is, and the per-layer distances between vectors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias

import numpy as np

from indexer.errors import QueryError
from query.context import context_query
from query.results import DistanceItem, DistanceTable, Hit, Occurrence
from query.search import cosine_distances

Item: TypeAlias = (
    int
    | np.integer
    | Occurrence
    | Hit
    | str
    | tuple[str | Sequence[str], str]
    | tuple[str | Sequence[str], str, int]
)

LABEL_WIDTH = 30


def parse_item(item: Item) -> int | tuple[list[str], str, int]:
    """A stored occurrence's id, or a sentence's tokens with the word and its position.

    A sentence is ``(sentence, word)``, ``(sentence, word, position)``, or a sentence that
    marks its word as ``[[word]]``.

    >>> parse_item("a [[bank]] of"), parse_item(("a bank of", "bank")), parse_item(7)
    ((['a', 'bank', 'of'], 'bank', 1), (['a', 'bank', 'of'], 'bank', 1), 7)
    """
    if isinstance(item, Occurrence | Hit):
        return item.occurrence
    if isinstance(item, int | np.integer) and not isinstance(item, bool):
        return int(item)
    if isinstance(item, str) and "[[" in item:
        return context_query(item)
    if isinstance(item, tuple) and len(item) in (2, 3) and isinstance(item[1], str):
        position = item[2] if len(item) == 3 else None
        if position is not None and not isinstance(position, int | np.integer):
            raise QueryError(f"position must be an integer, got {position!r}")
        return context_query(item[0], item[1], None if position is None else int(position))
    raise QueryError(
        f"cannot compare {item!r}: give an occurrence id, a sentence marking its word as "
        "[[word]], or a (sentence, word) or (sentence, word, position) tuple"
    )


def stored_item(row: Occurrence) -> DistanceItem:
    """A stored occurrence as a row of a distance table."""
    label = f"#{row.occurrence} {row.kwic(LABEL_WIDTH).render()}"
    return DistanceItem(label, row.token, row.sentence, row.position, row.occurrence)


def sentence_item(tokens: Sequence[str], word: str, position: int) -> DistanceItem:
    """A word in a sentence (not stored) as a row of a distance table."""
    unlabelled = DistanceItem("", word, " ".join(tokens), position)
    label = unlabelled.kwic(LABEL_WIDTH).render()
    return DistanceItem(label, word, unlabelled.sentence, position)


def distance_table(
    items: Sequence[DistanceItem], vectors: Mapping[int, np.ndarray]
) -> DistanceTable:
    """Per layer, the (n, n) cosine distances between the rows of ``vectors[layer]``, row ``i``
    being the vector of ``items[i]``: symmetric to the last bit, with a zero diagonal.

    >>> rows = np.array([[1.0, 0.0], [0.0, 2.0]], dtype=np.float32)
    >>> items = [DistanceItem("a", "w", "w", 0), DistanceItem("b", "w", "w", 0)]
    >>> distance_table(items, {2: rows}).matrices[2].tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    matrices = {}
    for layer, rows in vectors.items():
        if len(rows) != len(items):
            raise ValueError(f"layer {layer}: {len(rows)} vectors for {len(items)} items")
        distances = cosine_distances(rows, rows)
        # Symmetric to the last bit (the two triangles round differently), zero diagonal.
        distances = np.minimum(distances, distances.T)
        np.fill_diagonal(distances, 0.0)
        matrices[layer] = distances
    return DistanceTable(items=tuple(items), layers=tuple(vectors), matrices=matrices)
