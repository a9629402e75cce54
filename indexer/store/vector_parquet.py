"""Vector Parquet files written directly: per row an ``occ_id`` and a fixed-size list of floats.

Vectors are the bulk of what a build writes. pyarrow's writer works out a list column's
repetition and definition levels value by value, about 10 ns a value: 2.7 us for a row of 256
float16, several times the cost of everything else the shard writing does. Here every row is a
list of ``dim`` values and nothing is null, so the levels are one short pattern repeated, and a
page is its header, those levels and the vectors' bytes as they are (PLAIN, uncompressed).

The files are plain Parquet: one row group per :meth:`VectorParquetWriter.write`, data pages of
about :data:`PAGE_BYTES`, min/max statistics on ``occ_id`` (row groups sorted by it), the FLOAT16
logical type for float16, and the Arrow schema stored the way pyarrow stores it, so that pyarrow
and pandas read the column as a fixed-size list; DuckDB and polars read it as a list of floats.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa

from indexer.store.thrift import BINARY, BOOL, I16, I32, I64, LIST, STRUCT, Field, encode_struct
from indexer.store.thrift import varint as _varint
from indexer.vectors import VECTOR_DTYPES

MAGIC = b"PAR1"
#: Bytes of vector values a data page holds at most (whole rows; at least one row).
PAGE_BYTES = 1 << 20
CREATED_BY = "elmo-sense-index vector writer"

# Parquet's enums (parquet.thrift)
_INT64, _FLOAT, _FIXED_LEN_BYTE_ARRAY = 2, 4, 7
_REQUIRED, _REPEATED = 0, 2
_PLAIN, _RLE = 0, 3
_DATA_PAGE = 0
_CONVERTED_LIST = 3
_LOGICAL_LIST, _LOGICAL_FLOAT16 = 3, 15


def vectors_schema(dim: int, dtype: str) -> pa.Schema:
    """The Arrow schema of a vector file: ``occ_id`` and a fixed-size list of ``dim`` floats
    (nothing is ever null)."""
    value = pa.float16() if dtype == "float16" else pa.float32()
    return pa.schema(
        [
            pa.field("occ_id", pa.int64(), nullable=False),
            pa.field("vector", pa.list_(pa.field("element", value, nullable=False), dim), False),
        ]
    )


class VectorParquetWriter:
    """Writes one vector file at ``path``: :meth:`write` a row group at a time, then
    :meth:`close`, which returns the file's size and sha256 (hashed as it was written)."""

    def __init__(self, path: str | Path, dim: int, dtype: str):
        if dtype not in VECTOR_DTYPES:
            raise ValueError(f"unknown vector dtype {dtype!r}; use one of {sorted(VECTOR_DTYPES)}")
        if dim < 1:
            raise ValueError(f"vector dimension must be at least 1, got {dim}")
        self.path = Path(path)
        self._dim, self._dtype = dim, dtype
        self._values = np.dtype(VECTOR_DTYPES[dtype]).newbyteorder("<")  # Parquet is little-endian
        self._leaf = _FIXED_LEN_BYTE_ARRAY if dtype == "float16" else _FLOAT
        self._page_rows = max(1, PAGE_BYTES // (dim * self._values.itemsize))
        self._rep_row = _rle(0, 1) + (_rle(1, dim - 1) if dim > 1 else b"")
        self._handle: BinaryIO | None = self.path.open("wb")
        self._digest = hashlib.sha256()
        self._offset = 0
        self._row_groups: list[list[Field]] = []
        self._rows = 0
        self._put(MAGIC)

    def write(self, first_occurrence: int, vectors: np.ndarray) -> None:
        """Append the ``(n, dim)`` vectors of occurrences ``first_occurrence ..`` as a row group."""
        rows = np.ascontiguousarray(vectors, dtype=self._values)
        if rows.ndim != 2 or rows.shape[1] != self._dim:
            raise ValueError(f"vectors of shape {rows.shape}; expected (n, {self._dim})")
        n = rows.shape[0]
        if n == 0:
            return
        ids = np.arange(first_occurrence, first_occurrence + n, dtype="<i8")
        start = self._offset
        id_size = self._page(n, b"", ids.data.cast("B"))
        id_stats = [
            (1, BINARY, ids[-1:].tobytes()),
            (2, BINARY, ids[:1].tobytes()),
            (3, I64, 0),
            (5, BINARY, ids[-1:].tobytes()),
            (6, BINARY, ids[:1].tobytes()),
        ]
        id_chunk = self._column_chunk(_INT64, ["occ_id"], n, start, id_size, id_stats)
        vector_start = self._offset
        vector_size = 0
        for a in range(0, n, self._page_rows):
            page = rows[a : a + self._page_rows]
            vector_size += self._page(page.size, self._levels(len(page)), page.data.cast("B"))
        path = ["vector", "list", "element"]
        vector_chunk = self._column_chunk(
            self._leaf, path, rows.size, vector_start, vector_size, None
        )
        total = id_size + vector_size
        self._row_groups.append(
            [
                (1, LIST, (STRUCT, [id_chunk, vector_chunk])),
                (2, I64, total),
                (3, I64, n),
                (4, LIST, (STRUCT, [[(1, I32, 0), (2, BOOL, False), (3, BOOL, False)]])),
                (5, I64, start),
                (6, I64, total),
                (7, I16, ordinal if (ordinal := len(self._row_groups)) < 1 << 15 else None),
            ]
        )
        self._rows += n

    def close(self) -> dict[str, int | str]:
        """Write the footer and close the file; its ``bytes`` and ``sha256``."""
        footer = encode_struct(self._file_metadata())
        self._put(footer + struct.pack("<I", len(footer)) + MAGIC)
        self.abort()
        return {"bytes": self._offset, "sha256": self._digest.hexdigest()}

    def abort(self) -> None:
        """Close the file as it is (an unfinished file, for the caller to delete)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    # -- pages and metadata ------------------------------------------------------------------

    def _put(self, data: bytes | memoryview) -> None:
        assert self._handle is not None, "the writer is closed"
        self._handle.write(data)
        self._digest.update(data)
        self._offset += len(data)

    def _levels(self, n_rows: int) -> bytes:
        """Repetition levels (0 starts a row, 1 continues it), then definition levels (all 1),
        each as an RLE run list prefixed with its byte length."""
        repetition = self._rep_row * n_rows
        definition = _rle(1, n_rows * self._dim)
        return (
            struct.pack("<I", len(repetition))
            + repetition
            + struct.pack("<I", len(definition))
            + definition
        )

    def _page(self, n_values: int, levels: bytes, values: memoryview) -> int:
        """Write a PLAIN data page; the bytes written, header included."""
        size = len(levels) + values.nbytes
        header = encode_struct(
            [
                (1, I32, _DATA_PAGE),
                (2, I32, size),
                (3, I32, size),
                (5, STRUCT, [(1, I32, n_values), (2, I32, _PLAIN), (3, I32, _RLE), (4, I32, _RLE)]),
            ]
        )
        self._put(header + levels)
        self._put(values)
        return len(header) + size

    @staticmethod
    def _column_chunk(
        kind: int,
        path: list[str],
        n_values: int,
        offset: int,
        size: int,
        statistics: list[Field] | None,
    ) -> list[Field]:
        meta: list[Field] = [
            (1, I32, kind),
            (2, LIST, (I32, [_PLAIN, _RLE])),
            (3, LIST, (BINARY, path)),
            (4, I32, 0),  # uncompressed
            (5, I64, n_values),
            (6, I64, size),
            (7, I64, size),
            (9, I64, offset),
            (12, STRUCT, statistics),
        ]
        return [(2, I64, offset), (3, STRUCT, meta)]

    def _file_metadata(self) -> list[Field]:
        half = self._dtype == "float16"
        element: list[Field] = [
            (1, I32, self._leaf),
            (2, I32, 2 if half else None),
            (3, I32, _REQUIRED),
            (4, BINARY, "element"),
            (10, STRUCT, [(_LOGICAL_FLOAT16, STRUCT, [])] if half else None),
        ]
        schema: list[list[Field]] = [
            [(4, BINARY, "schema"), (5, I32, 2)],
            [(1, I32, _INT64), (3, I32, _REQUIRED), (4, BINARY, "occ_id")],
            [
                (3, I32, _REQUIRED),
                (4, BINARY, "vector"),
                (5, I32, 1),
                (6, I32, _CONVERTED_LIST),
                (10, STRUCT, [(_LOGICAL_LIST, STRUCT, [])]),
            ],
            [(3, I32, _REPEATED), (4, BINARY, "list"), (5, I32, 1)],
            element,
        ]
        arrow_schema = vectors_schema(self._dim, self._dtype).serialize().to_pybytes()
        key_values: list[Any] = [
            [(1, BINARY, "ARROW:schema"), (2, BINARY, base64.b64encode(arrow_schema))]
        ]
        type_order: list[Field] = [(1, STRUCT, [])]
        return [
            (1, I32, 2),
            (2, LIST, (STRUCT, schema)),
            (3, I64, self._rows),
            (4, LIST, (STRUCT, self._row_groups)),
            (5, LIST, (STRUCT, key_values)),
            (6, BINARY, CREATED_BY),
            (7, LIST, (STRUCT, [type_order, type_order])),
        ]


def _rle(value: int, count: int) -> bytes:
    """One RLE run of a 1-bit level: its header (count, shifted), then the value in a byte."""
    return _varint(count << 1) + bytes([value])
