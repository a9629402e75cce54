"""Random access to the vector files the build writes: their pages located from the Parquet
metadata and page headers, their rows read in place through a memory map.

The vector writer's pages are PLAIN and uncompressed, and a page ends with its values: ``rows x
dim`` little-endian floats, whole rows, after the header and the levels (or ``rows x dim`` int8
codes, one FIXED_LEN_BYTE_ARRAY value a row, after the header: such a column has no levels).
So a row's bytes sit at a known offset of the file, and a word's vectors are read without
decoding (or scanning) any Parquet: in time proportional to their number. A file written
otherwise (compressed, dictionary or version-2 pages, another schema or element type) is refused
with an :class:`IndexStateError` naming it. int8 codes are given back as they are stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NoReturn

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from indexer.errors import IndexStateError
from indexer.store.thrift import decode_struct
from indexer.vectors import STORED_DTYPES

_DATA_PAGE = 0
_PLAIN = 0
VECTOR_COLUMN = "vector.list.element"
#: The column of an int8 vector file: ``dim`` bytes a row.
INT8_COLUMN = "vector"


class VectorFile:
    """The rows of one vector file: row ``r`` is the file's ``r``-th vector (for ``dtype``
    int8, its codes)."""

    def __init__(self, path: str | Path, dim: int, dtype: str) -> None:
        if dtype not in STORED_DTYPES:
            raise ValueError(f"unknown vector dtype {dtype!r}; use one of {sorted(STORED_DTYPES)}")
        self.path = Path(path)
        self.dim = dim
        self.dtype = np.dtype(STORED_DTYPES[dtype]).newbyteorder("<")
        self._row_bytes = dim * self.dtype.itemsize
        # int8: one FIXED_LEN_BYTE_ARRAY of dim bytes a row; floats: dim list elements a row
        self._column, self._leaf, self._leaf_length, self._row_values = {
            "int8": (INT8_COLUMN, "FIXED_LEN_BYTE_ARRAY", dim, 1),
            "float16": (VECTOR_COLUMN, "FIXED_LEN_BYTE_ARRAY", 2, dim),
            "float32": (VECTOR_COLUMN, "FLOAT", None, dim),
        }[dtype]
        try:
            meta = pq.ParquetFile(self.path).metadata
            # a plain view of the map: slicing a np.memmap makes a memmap object each time
            self._bytes = np.memmap(self.path, dtype=np.uint8, mode="r").view(np.ndarray)
        except FileNotFoundError as err:
            raise IndexStateError("vector file is missing", path=self.path) from err
        except (OSError, ValueError, pa.ArrowException) as err:
            raise IndexStateError(f"vector file is corrupt: {err}", path=self.path) from err
        self.first_rows, self.offsets = self._locate(meta)
        self.n_rows = int(meta.num_rows)
        self._ends = np.append(self.first_rows[1:], self.n_rows)

    def __len__(self) -> int:
        return self.n_rows

    @property
    def mapped(self) -> np.ndarray:
        """The memory map of the whole file (whose pages a reader may release)."""
        return self._bytes

    def page_rows(self) -> Iterator[tuple[int, np.ndarray]]:
        """``(first row, (rows, dim) view)`` of each page, in row order, read in place."""
        ends = [*self.first_rows[1:].tolist(), self.n_rows]
        for first, end, offset in zip(
            self.first_rows.tolist(), ends, self.offsets.tolist(), strict=True
        ):
            yield first, self._view(offset, end - first)

    def take(self, rows: np.ndarray | Sequence[int]) -> np.ndarray:
        """The ``(len(rows), dim)`` vectors of ``rows`` (any order, repeats allowed), a copy."""
        rows = _checked(rows, self.n_rows, f"row {{}} is outside {self.path} ({self.n_rows} rows)")
        out = np.empty((len(rows), self.dim), dtype=self.dtype)
        for page, chosen in _by_part(self.first_rows, rows):
            first = int(self.first_rows[page])
            view = self._view(int(self.offsets[page]), int(self._ends[page]) - first)
            out[chosen] = view[rows[chosen] - first]
        return out

    def _view(self, offset: int, n_rows: int) -> np.ndarray:
        data = self._bytes[offset : offset + n_rows * self._row_bytes]
        return data.view(self.dtype).reshape(n_rows, self.dim)

    def _locate(self, meta: pq.FileMetaData) -> tuple[np.ndarray, np.ndarray]:
        """Per data page of the vector column: its first row and the offset of its values."""
        first_rows: list[int] = []
        offsets: list[int] = []
        row = 0
        size = len(self._bytes)
        buffer = memoryview(self._bytes.data)
        leaf = meta.schema.column(1) if meta.num_columns == 2 else None
        if leaf is None or (leaf.path, leaf.physical_type) != (self._column, self._leaf):
            found = "no such column" if leaf is None else f"{leaf.path} {leaf.physical_type}"
            self._refuse(f"its vectors are {found}, not {self._column} {self._leaf}")
        if self._leaf_length is not None and leaf.length != self._leaf_length:
            self._refuse(f"its {leaf.path} values are {leaf.length} bytes long")
        for group in range(meta.num_row_groups):
            chunk = meta.row_group(group).column(1)
            if chunk.path_in_schema != self._column or chunk.compression != "UNCOMPRESSED":
                self._refuse(f"column {chunk.path_in_schema} is {chunk.compression}")
            if chunk.dictionary_page_offset is not None:
                self._refuse("it has a dictionary page")
            at = chunk.data_page_offset
            end = at + chunk.total_compressed_size
            values = 0
            while at < end:
                try:
                    header, body = decode_struct(buffer, at)
                except (IndexError, ValueError) as err:
                    self._refuse(f"unreadable page header at byte {at} ({err})")
                page = header.get(5, {})
                if header.get(1) != _DATA_PAGE or page.get(2) != _PLAIN:
                    self._refuse(f"the page at byte {at} is not a PLAIN data page")
                n_values, length = int(page[1]), int(header[3])
                rows = n_values // self._row_values
                if n_values % self._row_values or rows * self._row_bytes > length:
                    self._refuse(f"the page at byte {at} does not hold whole rows of {self.dim}")
                if body + length > size:
                    self._refuse(f"the page at byte {at} ends past the end of the file")
                first_rows.append(row)
                offsets.append(body + length - rows * self._row_bytes)
                row += rows
                values += n_values
                at = body + length
            if values != chunk.num_values:
                self._refuse(
                    f"row group {group} holds {values} values, its metadata {chunk.num_values}"
                )
        if row != meta.num_rows:
            self._refuse(f"its pages hold {row} rows, its metadata {meta.num_rows}")
        return np.array(first_rows, dtype=np.int64), np.array(offsets, dtype=np.int64)

    def _refuse(self, why: str) -> NoReturn:
        raise IndexStateError(
            f"not a vector file as the build writes them ({why}); rebuild the index",
            path=self.path,
        )


def _checked(values: np.ndarray | Sequence[int], n: int, message: str) -> np.ndarray:
    """``values`` as int64, each in ``0 .. n-1``, else IndexError with ``message`` naming one."""
    array = np.asarray(values, dtype=np.int64).reshape(-1)
    outside = (array < 0) | (array >= n)
    if outside.any():
        raise IndexError(message.format(int(array[outside][0])))
    return array


def _by_part(starts: np.ndarray, positions: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """For each part that ``positions`` fall in (part ``p`` begins at ``starts[p]``; ``starts``
    ascending), the part and the indices into ``positions`` of those in it.

    >>> groups = _by_part(np.array([0, 10]), np.array([12, 3, 11]))
    >>> [(part, chosen.tolist()) for part, chosen in groups]
    [(0, [1]), (1, [0, 2])]
    >>> [(part, chosen.tolist()) for part, chosen in _by_part(np.array([0, 10]), np.array([4]))]
    [(0, [0])]
    """
    part_of = np.searchsorted(starts, positions, side="right") - 1
    if len(part_of) == 1:  # one position (a query's vector): no grouping to do
        yield int(part_of[0]), np.zeros(1, dtype=np.int64)
        return
    order = np.argsort(part_of, kind="stable")
    parts, firsts = np.unique(part_of[order], return_index=True)
    ends = [*firsts[1:].tolist(), len(order)][: len(firsts)]
    for part, first, end in zip(parts.tolist(), firsts.tolist(), ends, strict=True):
        yield part, order[first:end]
