"""Scope ``all``: each layer's FAISS index (FAISS imported on first use), and its candidates
re-ranked by exact cosine on the stored vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from indexer.errors import IndexStateError, QueryError
from indexer.store.reader import IndexReader
from indexer.vectors import unit_rows
from query.search import Candidates, search_exact


class ApproximateSearch:
    """Searches every occurrence of a stored layer; keeps the FAISS indexes it loads."""

    def __init__(self, reader: IndexReader) -> None:
        self._reader = reader
        self._indexes: dict[int, Any] = {}

    def index(self, layer: int) -> Any:
        """The FAISS index of ``layer``, memory-mapped where FAISS can, checked to hold every
        occurrence."""
        index = self._indexes.get(layer)
        if index is not None:
            return index
        path = self._reader.index_file(layer)
        if path is None:
            raise QueryError(
                f"layer {layer} has no FAISS index; use scope 'same-word', or rebuild the index"
            )
        from indexer.index import load_index

        index = load_index(path, mmap=True)
        n, dim = self._reader.n_occurrences, self._reader.manifest.dim
        if index.ntotal != n or index.d != dim:
            raise IndexStateError(
                f"FAISS index holds {index.ntotal} vectors of dimension {index.d}, expected "
                f"{n} of {dim}; the index is damaged",
                path=path,
            )
        self._indexes[layer] = index
        return index

    def search(
        self,
        layer: int,
        vectors: np.ndarray,
        k: int,
        exclude: list[int | None],
        candidates: int,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query row, the ``k`` nearest of ``candidates`` FAISS candidates (``exclude[i]``
        left out of row ``i``'s), re-ranked by exact cosine."""
        index = self.index(layer)
        wanted = min(max(candidates, k) + 1, self._reader.n_occurrences)
        _, labels = index.search(unit_rows(vectors), wanted)
        labels = labels.astype(np.int64)
        pool_ids = np.unique(labels[labels >= 0])
        pool = Candidates.of(pool_ids, self._reader.matrix(layer)[pool_ids])
        found = []
        for i, row in enumerate(labels):
            rows = np.searchsorted(pool_ids, np.unique(row[row >= 0]))
            found.extend(search_exact(vectors[i : i + 1], pool.take(rows), k, [exclude[i]]))
        return found
