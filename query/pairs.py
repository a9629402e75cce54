"""Distance tables: resolve items (stored occurrences or words in sentences) and compare them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from indexer.errors import QueryError
from query.context import locate, tokenize
from query.results import DistanceItem, DistanceTable, Hit, Occurrence
from query.search import cosine_distances

if TYPE_CHECKING:
    from query.index import SenseIndex

Item: TypeAlias = (
    int
    | np.integer
    | Occurrence
    | Hit
    | tuple[str | Sequence[str], str]
    | tuple[str | Sequence[str], str, int]
)

LABEL_WIDTH = 30


def distance_table(
    index: SenseIndex, items: Sequence[Item], layers: tuple[int, ...]
) -> DistanceTable:
    """Per layer, the (n, n) cosine distances between the vectors of ``items``."""
    if not items:
        raise QueryError("give at least one occurrence or (sentence, word) pair")
    if not layers:
        raise QueryError("give at least one layer")
    resolved = [_resolve(index, item) for item in items]
    if any(tokens is None for _, tokens in resolved):
        for layer in layers:
            index.files.check_layer(layer)
    embedded: dict[tuple[str, ...], np.ndarray] = {}
    for _, tokens in resolved:
        if tokens is not None and tokens not in embedded:
            embedded[tokens] = _embed(index, tokens, layers)
    matrices = {}
    for layer in layers:
        vectors = np.stack(
            [
                embedded[tokens][layer, item.position]
                if tokens is not None
                else index.vectors([item.occurrence or 0], layer)[0]
                for item, tokens in resolved
            ]
        )
        distances = cosine_distances(vectors, vectors)
        # Symmetric to the last bit (the two triangles round differently), zero diagonal.
        distances = np.minimum(distances, distances.T)
        np.fill_diagonal(distances, 0.0)
        matrices[layer] = distances
    return DistanceTable(
        items=tuple(item for item, _ in resolved), layers=layers, matrices=matrices
    )


def _embed(index: SenseIndex, tokens: tuple[str, ...], layers: tuple[int, ...]) -> np.ndarray:
    num_layers = index.embedder.num_layers
    bad = [layer for layer in layers if not 0 <= layer < num_layers]
    if bad:
        raise QueryError(
            f"layer {bad[0]} does not exist; the model has layers 0 to {num_layers - 1}"
        )
    return index.embedder.embed(list(tokens))


def _resolve(index: SenseIndex, item: Item) -> tuple[DistanceItem, tuple[str, ...] | None]:
    """The item, and its sentence's tokens when it must be embedded (None: stored)."""
    if isinstance(item, Occurrence | Hit):
        item = item.occurrence
    if isinstance(item, int | np.integer) and not isinstance(item, bool):
        row = index.occurrence(int(item))
        label = f"#{row.occurrence} {row.kwic(LABEL_WIDTH).render()}"
        return DistanceItem(label, row.token, row.sentence, row.position, row.occurrence), None
    if isinstance(item, tuple) and len(item) in (2, 3) and isinstance(item[1], str):
        position = item[2] if len(item) == 3 else None
        if position is not None and not isinstance(position, int | np.integer):
            raise QueryError(f"position must be an integer, got {position!r}")
        tokens = tokenize(item[0])
        at = locate(tokens, item[1], None if position is None else int(position))
        unlabelled = DistanceItem("", item[1], " ".join(tokens), at)
        label = unlabelled.kwic(LABEL_WIDTH).render()
        return DistanceItem(label, item[1], unlabelled.sentence, at), tuple(tokens)
    raise QueryError(
        f"cannot compare {item!r}: give an occurrence id, or a (sentence, word) or "
        "(sentence, word, position) tuple"
    )
