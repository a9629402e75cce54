"""An index directory opened for reading: manifest, lexicon, vector matrices and FAISS indexes.

Opening reads the manifest only; the lexicon, each layer's memory-mapped matrix and each FAISS
index are opened on first use and kept. Sizes are checked against the manifest (cheap, no
hashing): a damaged or half-written directory gives one :class:`IndexStateError` naming the
file. ``indexer info --verify`` checks every digest.
"""

from __future__ import annotations

import logging
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexer.errors import IndexStateError, QueryError
from indexer.store.layout import IndexLayout
from indexer.store.lexicon import Lexicon
from indexer.store.manifest import Manifest, read_complete_manifest
from indexer.vectors import VECTOR_DTYPES
from query.arrow import numeric_column

logger = logging.getLogger(__name__)


def open_manifest(root: Path) -> Manifest:
    """The manifest of a finished build at ``root``; one clear error for anything else."""
    if not root.exists():
        raise IndexStateError(
            "index directory not found; build one with `indexer build CORPUS --out DIR` "
            "or pass --index DIR",
            path=root,
        )
    if not root.is_dir():
        raise IndexStateError("is not an index directory (not a folder)", path=root)
    manifest = read_complete_manifest(root)
    try:
        dtype = manifest.dtype if manifest.layers and manifest.dim > 0 else None
    except (KeyError, TypeError, ValueError) as err:
        raise IndexStateError(f"manifest is damaged: missing {err}", path=root) from err
    if dtype not in VECTOR_DTYPES or manifest.lexicon is None or not manifest.shards:
        raise IndexStateError("manifest is damaged: no dtype, lexicon or shards", path=root)
    return manifest


def read_lexicon(layout: IndexLayout) -> Lexicon:
    """The lexicon, read through ``ParquetFile`` (``read_table`` would import pandas)."""
    table = pq.ParquetFile(layout.lexicon).read(columns=["token", "count", "offset"])
    tokens = table.column("token").to_pylist()
    return Lexicon(
        tokens={token: row for row, token in enumerate(tokens)},
        counts=numeric_column(table, "count", np.int64),
        offsets=numeric_column(table, "offset", np.int64),
        postings=np.load(layout.postings, mmap_mode="r"),
    )


class IndexFiles:
    """The readable parts of one finished index directory."""

    def __init__(self, root: str | Path) -> None:
        self.layout = IndexLayout(Path(root))
        self.manifest = open_manifest(self.layout.root)
        self._matrices: dict[int, np.ndarray] = {}
        self._faiss: dict[int, Any] = {}

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
        assert self.manifest.lexicon is not None
        self._check_sizes(self.manifest.lexicon.get("files", {}))
        try:
            lexicon = read_lexicon(self.layout)
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
        """Read-only memory map of one layer's vectors: row ``i`` is occurrence ``i``."""
        matrix = self._matrices.get(layer)
        if matrix is not None:
            return matrix
        self.check_layer(layer)
        manifest = self.manifest
        path = self.layout.matrix(layer, manifest.dtype)
        dtype = np.dtype(VECTOR_DTYPES[manifest.dtype])
        want = manifest.n_occurrences * manifest.dim * dtype.itemsize
        size = path.stat().st_size if path.is_file() else None
        if size != want:
            found = "missing" if size is None else f"{size} bytes"
            raise IndexStateError(
                f"vector matrix is {found}, expected {want} bytes; the index is damaged "
                "(rebuild it with `indexer build ... --overwrite`)",
                path=path,
            )
        matrix = np.memmap(
            path, dtype=dtype, mode="r", shape=(manifest.n_occurrences, manifest.dim)
        )
        self._matrices[layer] = matrix
        return matrix

    def faiss_index(self, layer: int) -> Any:
        """The FAISS index of ``layer`` (imports FAISS on first use)."""
        index = self._faiss.get(layer)
        if index is not None:
            return index
        self.check_layer(layer)
        entry = self.manifest.indexes.get(str(layer))
        if entry is None:
            raise QueryError(
                f"layer {layer} has no FAISS index; use scope 'same-word', or rebuild the index"
            )
        self._check_sizes({entry["path"]: entry})
        from indexer.index import load_index

        index = load_index(self.layout.root / entry["path"], mmap=True)
        if index.ntotal != self.n_occurrences or index.d != self.manifest.dim:
            raise IndexStateError(
                f"FAISS index holds {index.ntotal} vectors of dimension {index.d}, expected "
                f"{self.n_occurrences} of {self.manifest.dim}; the index is damaged",
                path=self.layout.root / entry["path"],
            )
        self._faiss[layer] = index
        return index

    def _check_sizes(self, files: dict[str, Any]) -> None:
        for name, info in files.items():
            path = self.layout.root / name
            size = path.stat().st_size if path.is_file() else None
            if size != info.get("bytes"):
                found = "missing" if size is None else f"{size} bytes"
                raise IndexStateError(
                    f"file is {found}, the manifest says {info.get('bytes')} bytes; "
                    "the index is damaged (rebuild it with `indexer build ... --overwrite`)",
                    path=path,
                )
