"""An index directory opened for reading: finished manifest, lexicon, matrices, shard tables.

Opening reads the manifest only; the lexicon and each layer's memory-mapped matrix are opened on
first use and kept, a shard's tables are read when asked for. Sizes and row counts are checked
against the manifest (cheap, no hashing): a damaged or half-written directory gives one
:class:`IndexStateError` naming the file. ``indexer info --verify`` checks every digest.
Reading imports neither pandas nor FAISS (pyarrow's ``ParquetFile``, not ``read_table``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexer.errors import IndexStateError, QueryError
from indexer.store.columns import numeric_column
from indexer.store.files import size_problem
from indexer.store.layout import IndexLayout
from indexer.store.lexicon import Lexicon
from indexer.store.manifest import Manifest, read_complete_manifest
from indexer.store.records import FileEntry, ShardRecord
from indexer.store.shards import matrix_row_bytes
from indexer.vectors import VECTOR_DTYPES

#: The columns of ``sentences/*.parquet`` that keyword-in-context lookups read.
KWIC_COLUMNS = ("sent_id", "doc_id", "first_occ", "n_tokens", "text")

_REBUILD = "the index is damaged (rebuild it with `indexer build ... --overwrite`)"


def open_matrix(layout: IndexLayout, manifest: Manifest, layer: int) -> np.memmap:
    """Read-only memory map of one layer's raw matrix: row ``i`` is occurrence ``i``.

    The file must have the size of the manifest's committed rows.
    """
    path = layout.matrix(layer, manifest.dtype)
    want = manifest.n_occurrences * matrix_row_bytes(manifest)
    size = path.stat().st_size if path.is_file() else None
    if size != want:
        found = "missing" if size is None else f"{size} bytes"
        raise IndexStateError(
            f"vector matrix is {found}, expected {want} bytes; {_REBUILD}", path=path
        )
    return np.memmap(
        path,
        dtype=VECTOR_DTYPES[manifest.dtype],
        mode="r",
        shape=(manifest.n_occurrences, manifest.dim),
    )


def check_sizes(root: Path, files: Mapping[str, FileEntry]) -> None:
    """Raise :class:`IndexStateError` naming the first of ``files`` (paths from ``root``) whose
    size is not the recorded one."""
    for name, record in files.items():
        problem = size_problem(root / name, record)
        if problem is not None:
            raise IndexStateError(f"file is {problem}; {_REBUILD}", path=root / name)


def read_shard_table(path: Path, columns: Sequence[str], rows: int) -> pa.Table:
    """Read ``columns`` of one shard file, which must hold ``rows`` rows; a missing, unreadable
    or short file is named."""
    try:
        table = pq.ParquetFile(path).read(columns=list(columns))
    except FileNotFoundError as err:
        raise IndexStateError("shard file is missing; the index is damaged", path=path) from err
    except (OSError, pa.ArrowException, ValueError) as err:
        raise IndexStateError(f"shard file is corrupt: {err}", path=path) from err
    if table.num_rows != rows:
        raise IndexStateError(
            f"shard file has {table.num_rows} rows, the manifest {rows}; the index is damaged",
            path=path,
        )
    return table


@dataclass(frozen=True, eq=False)
class SentenceRows:
    """One shard's sentences as keyword-in-context lookups read them (``KWIC_COLUMNS``)."""

    sent_ids: np.ndarray
    first_occ: np.ndarray
    n_tokens: np.ndarray
    doc_ids: list[str]
    texts: list[str]


class IndexReader:
    """The readable parts of one finished index directory at ``root``."""

    def __init__(self, root: str | Path) -> None:
        self.layout = IndexLayout(Path(root))
        self.manifest = read_complete_manifest(self.layout.root)
        self._matrices: dict[int, np.ndarray] = {}

    @property
    def n_occurrences(self) -> int:
        return self.manifest.n_occurrences

    def check_layer(self, layer: int) -> None:
        """Raise QueryError unless ``layer`` was stored in this index."""
        if layer not in self.manifest.layers:
            stored = ", ".join(map(str, self.manifest.layers))
            raise QueryError(
                f"layer {layer} was not indexed; this index has layer(s) {stored} "
                "(build with --layers to add others)"
            )

    @cached_property
    def lexicon(self) -> Lexicon:
        """Token counts and postings; the files are checked against the manifest's sizes."""
        assert self.manifest.lexicon is not None  # read_complete_manifest checked it
        check_sizes(self.layout.root, self.manifest.lexicon.files)
        try:
            lexicon = Lexicon.open(self.layout.root)
        except FileNotFoundError as err:
            raise IndexStateError("lexicon file is missing", path=err.filename) from err
        except (OSError, ValueError, pa.ArrowException) as err:
            raise IndexStateError(
                f"lexicon is corrupt: {err}", path=self.layout.lexicon_dir
            ) from err
        if len(lexicon.postings) != self.n_occurrences or (
            len(lexicon.counts) and int(lexicon.counts.sum()) != self.n_occurrences
        ):
            raise IndexStateError(
                f"lexicon covers {len(lexicon.postings)} occurrences, the manifest "
                f"{self.n_occurrences}; the index is damaged",
                path=self.layout.lexicon_dir,
            )
        return lexicon

    def matrix(self, layer: int) -> np.ndarray:
        """Read-only memory map of one stored layer's vectors: row ``i`` is occurrence ``i``."""
        matrix = self._matrices.get(layer)
        if matrix is None:
            self.check_layer(layer)
            matrix = self._matrices[layer] = open_matrix(self.layout, self.manifest, layer)
        return matrix

    def index_file(self, layer: int) -> Path | None:
        """The FAISS index file of a stored layer, its size checked; None where the manifest
        records no index for the layer."""
        self.check_layer(layer)
        entry = self.manifest.indexes.get(layer)
        if entry is None:
            return None
        check_sizes(self.layout.root, {entry.path: entry.file})
        return self.layout.root / entry.path

    def sentences(self, shard: ShardRecord) -> SentenceRows:
        """The sentences of ``shard``, checked to cover its occurrences."""
        path = self.layout.sentences_part(shard.index)
        table = read_shard_table(path, KWIC_COLUMNS, shard.n_sentences)
        first_occ = numeric_column(table, "first_occ", np.int64)
        n_tokens = numeric_column(table, "n_tokens", np.int32).astype(np.int64)
        if (
            len(first_occ) == 0
            or int(first_occ[0]) != shard.first_occurrence
            or int(n_tokens.sum()) != shard.n_occurrences
        ):
            raise IndexStateError(
                "sentence rows do not cover the shard's occurrences; the index is damaged",
                path=path,
            )
        return SentenceRows(
            sent_ids=numeric_column(table, "sent_id", np.int64),
            first_occ=first_occ,
            n_tokens=n_tokens,
            doc_ids=table.column("doc_id").to_pylist(),
            texts=table.column("text").to_pylist(),
        )

    def tokens(self, shard: ShardRecord) -> list[str]:
        """The tokens of ``shard``'s occurrences, in order (from its occurrence file)."""
        path = self.layout.occurrences_part(shard.index)
        table = read_shard_table(path, ["token"], shard.n_occurrences)
        return list(table.column("token").to_pylist())
