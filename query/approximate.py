"""Scope ``all``: each segment's FAISS index of the layer (FAISS imported on first use), and
their candidates re-ranked together by exact cosine on the stored vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from indexer.errors import IndexStateError, QueryError
from indexer.index.config import rerank_candidates
from indexer.store.reader import IndexReader
from indexer.vectors import unit_rows
from query.search import Candidates, search_exact


class ApproximateSearch:
    """Searches every occurrence of a stored layer through each segment's FAISS index; keeps
    the indexes it loads."""

    def __init__(self, reader: IndexReader) -> None:
        self._reader = reader
        self._indexes: dict[int, list[tuple[int, Any]]] = {}

    def default_candidates(self, layer: int, k: int) -> int:
        """How many candidates a search for ``k`` neighbours re-ranks: ``rerank_candidates(k)``,
        and for a segment index of lossy codes at least what the build calibrated it to need
        (its recorded candidates for ``recall_k``, in proportion to ``k``)."""
        from indexer.index.plan import IndexPlan

        wanted = rerank_candidates(k)
        for part in self._reader.index_files(layer) or []:
            if IndexPlan.from_dict(dict(part.plan)).lossy:
                calibrated = -(-(part.candidates or 0) * k // part.recall_k)
                wanted = max(wanted, rerank_candidates(k, lossy=True), calibrated)
        return wanted

    def indexes(self, layer: int) -> list[tuple[int, Any]]:
        """Each segment's FAISS index of ``layer`` with the segment's first occurrence,
        memory-mapped where FAISS can, checked to hold the segment's occurrences."""
        found = self._indexes.get(layer)
        if found is not None:
            return found
        files = self._reader.index_files(layer)
        if files is None:
            raise QueryError(
                f"layer {layer} has no FAISS index; use scope 'same-word', or rebuild the index"
            )
        from indexer.index import load_index

        dim = self._reader.manifest.dim
        found = []
        for part in files:
            index = load_index(part.path, mmap=True)
            if index.ntotal != part.n or index.d != dim:
                raise IndexStateError(
                    f"FAISS index holds {index.ntotal} vectors of dimension {index.d}, expected "
                    f"{part.n} of {dim}; the index is damaged",
                    path=part.path,
                )
            found.append((part.first, index))
        self._indexes[layer] = found
        return found

    def search(
        self,
        layer: int,
        vectors: np.ndarray,
        k: int,
        exclude: list[int | None],
        candidates: int,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per query row, the ``k`` nearest of the ``candidates`` best FAISS candidates of each
        segment (``exclude[i]`` left out of row ``i``'s), re-ranked by exact cosine."""
        queries = unit_rows(vectors)
        labels = []
        for first, index in self.indexes(layer):
            wanted = min(max(candidates, k) + 1, int(index.ntotal))
            _, found = index.search(queries, wanted)
            found = found.astype(np.int64)
            labels.append(np.where(found >= 0, found + first, -1))
        every = np.concatenate(labels, axis=1)
        pool_ids = np.unique(every[every >= 0])
        pool = Candidates.of(pool_ids, self._reader.vectors(layer).take(pool_ids))
        results = []
        for i, row in enumerate(every):
            rows = np.searchsorted(pool_ids, np.unique(row[row >= 0]))
            results.extend(search_exact(vectors[i : i + 1], pool.take(rows), k, [exclude[i]]))
        return results
