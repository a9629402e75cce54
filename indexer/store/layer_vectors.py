"""One stored layer's vectors, read in place from its vector files: the only copy on disk.

:class:`LayerVectors` puts the vector files of consecutive shards end to end, so that row ``i``
is the ``i``-th occurrence they hold; it reads rows by id (in time proportional to their
number) and behaves enough like a read-only ``(N, dim)`` array (``shape``, ``dtype``, slices,
integer arrays) for the indexing code. Files are opened on first use. ``int8`` codes are
given back as float32 (``code * scale + offset``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.errors import IndexStateError
from indexer.files import release_mapped
from indexer.store.vector_pages import VectorFile, _by_part, _checked
from indexer.vectors import STORED_DTYPES

if TYPE_CHECKING:
    from indexer.store.quantize import Int8Scale


class LayerVectors:
    """The vectors of the files ``paths`` (holding ``rows[i]`` rows each), in order.

    ``int8`` is the layer's quantization when ``dtype`` is ``"int8"``.
    """

    def __init__(
        self,
        paths: Sequence[Path],
        rows: Sequence[int],
        dim: int,
        dtype: str,
        int8: Int8Scale | None = None,
    ) -> None:
        if len(paths) != len(rows):
            raise ValueError(f"{len(paths)} vector files but {len(rows)} row counts")
        if (dtype == "int8") != (int8 is not None):
            raise ValueError("int8 vectors need their scale, and only they have one")
        self.paths = [Path(path) for path in paths]
        self.dim = dim
        self.stored_dtype = dtype
        self._int8 = int8
        self.starts = np.concatenate([[0], np.cumsum(rows, dtype=np.int64)]).astype(np.int64)
        self._files: dict[int, VectorFile] = {}

    @property
    def shape(self) -> tuple[int, int]:
        return len(self), self.dim

    @property
    def ndim(self) -> int:
        return 2

    @property
    def dtype(self) -> np.dtype:
        """The type of the rows given back: the stored float type, float32 for int8 codes."""
        if self._int8 is not None:
            return np.dtype(np.float32)
        return np.dtype(STORED_DTYPES[self.stored_dtype])

    def __len__(self) -> int:
        return int(self.starts[-1])

    def __getitem__(self, key: slice | np.ndarray | Sequence[int]) -> np.ndarray:
        """Rows by a slice (step 1) or by an array of row numbers, as a new array."""
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1:
                raise IndexError("vector rows are read with a step of 1")
            return self.take(np.arange(start, max(start, stop), dtype=np.int64))
        return self.take(key)

    def take(self, ids: np.ndarray | Sequence[int]) -> np.ndarray:
        """The vectors of rows ``ids`` (any order, repeats allowed)."""
        n = len(self)
        ids = _checked(ids, n, f"occurrence {{}} is outside the layer ({n} vectors)")
        stored = np.dtype(STORED_DTYPES[self.stored_dtype])
        out = np.empty((len(ids), self.dim), dtype=stored)
        for index, chosen in _by_part(self.starts[:-1], ids):
            out[chosen] = self.file(index).take(ids[chosen] - self.starts[index])
        if self._int8 is not None:
            return self._int8.dequantize(out)
        return out

    def file(self, index: int) -> VectorFile:
        """The ``index``-th vector file, opened on first use and checked to hold its rows."""
        found = self._files.get(index)
        if found is None:
            found = VectorFile(self.paths[index], self.dim, self.stored_dtype)
            want = int(self.starts[index + 1] - self.starts[index])
            if len(found) != want:
                raise IndexStateError(
                    f"vector file has {len(found)} rows, the manifest {want}; the index is damaged",
                    path=found.path,
                )
            self._files[index] = found
        return found

    def release(self) -> None:
        """Drop the pages read so far from this process's resident memory (they stay in the
        page cache)."""
        for found in self._files.values():
            release_mapped(found.mapped)
