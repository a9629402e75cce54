"""One shard written while it is encoded: vector chunks appended, then committed whole.

Vectors go to temporary Parquet files (one row group per chunk, written by
:class:`~indexer.store.vector_parquet.VectorParquetWriter`) as they arrive, so memory holds a
chunk, not a shard. ``commit`` closes, hashes,
fsyncs and renames the files and returns the record that the caller then adds to the
manifest: until then the shard does not exist, and a resumed build deletes what it left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from indexer.files import atomic_path, publish, temporary_path
from indexer.store.layout import IndexLayout
from indexer.store.records import ShardRecord
from indexer.store.shards import (
    ShardMeta,
    occurrences_table,
    sentences_table,
    write_table,
)
from indexer.store.vector_parquet import VectorParquetWriter
from indexer.vectors import VECTOR_DTYPES

if TYPE_CHECKING:
    from indexer.store.quantize import Int8Scale


class ShardWriter:
    """Writes shard ``index`` of the stored ``layers``, whose first occurrence is
    ``first_occurrence``; ``int8`` holds each layer's quantization when ``dtype`` is int8."""

    def __init__(
        self,
        layout: IndexLayout,
        index: int,
        first_occurrence: int,
        dim: int,
        dtype: str,
        layers: Sequence[int],
        int8: Mapping[int, Int8Scale] | None = None,
    ):
        self.index = index
        self._layout, self._dtype, self._int8 = layout, dtype, int8
        self._first = self._next = first_occurrence
        self._parquet: dict[int, VectorParquetWriter] = {}
        for layer in layers:
            tmp = temporary_path(layout.vectors_part(layer, index))
            tmp.parent.mkdir(parents=True, exist_ok=True)
            if int8 is None:
                self._parquet[layer] = VectorParquetWriter(tmp, dim, dtype)
            else:
                self._parquet[layer] = VectorParquetWriter(tmp, dim, dtype, int8_scale=int8[layer])

    def add_layer(self, layer: int, first_occurrence: int, vectors: np.ndarray) -> None:
        """Append one layer's ``(n, dim)`` vectors of the occurrences from ``first_occurrence``.

        Layers may be written from different threads, each layer's chunks in order; then
        :meth:`advance` counts the rows.
        """
        if self._int8 is not None:
            rows = self._int8[layer].quantize(vectors)
        else:
            rows = np.ascontiguousarray(vectors, dtype=VECTOR_DTYPES[self._dtype])
        self._parquet[layer].write(first_occurrence, rows)

    def advance(self, n: int) -> int:
        """Count ``n`` more rows (written to every layer); the first occurrence of those rows."""
        first, self._next = self._next, self._next + n
        return first

    def commit(self, meta: ShardMeta) -> ShardRecord:
        """Finish every file of the shard on disk; the record for the manifest."""
        n_occurrences = self._next - self._first
        if meta.first_occurrence != self._first or meta.n_occurrences != n_occurrences:
            raise ValueError(
                f"shard {self.index}: {n_occurrences} vectors from occurrence {self._first}, "
                f"but {meta.n_occurrences} occurrences from {meta.first_occurrence}"
            )
        layout, files = self._layout, {}
        for path, table in (
            (layout.occurrences_part(self.index), occurrences_table(meta)),
            (layout.sentences_part(self.index), sentences_table(meta)),
        ):
            files[layout.relative(path)] = write_table(path, table, compression="zstd")
        for layer, writer in self._parquet.items():
            final = layout.vectors_part(layer, self.index)
            files[layout.relative(final)] = writer.close()
            publish(writer.path, final, forget=True)
        state = None
        if meta.state is not None:
            state_path = layout.state_part(self.index)
            with atomic_path(state_path) as tmp, tmp.open("wb") as handle:
                np.savez(handle, **cast(dict[str, Any], meta.state))
            state = layout.relative(state_path)
        return ShardRecord(
            index=self.index,
            first_sentence=meta.first_sentence,
            n_sentences=meta.n_sentences,
            first_occurrence=self._first,
            n_occurrences=n_occurrences,
            files=files,
            state=state,
        )

    def abort(self) -> None:
        """Close and delete the temporary files."""
        for writer in self._parquet.values():
            writer.abort()
            writer.path.unlink(missing_ok=True)
