"""Vector Parquet files written directly: per row an ``occ_id`` and a vector of ``dim`` values.

Vectors are the bulk of what a build writes. pyarrow's writer works out a list column's
repetition and definition levels value by value, about 10 ns a value: 2.7 us for a row of 256
float16, several times the cost of everything else the shard writing does. Here every row is a
list of ``dim`` values and nothing is null, so the levels are one short pattern repeated, and a
page is its header, those levels and the vectors' bytes as they are (PLAIN, uncompressed).

The files are plain Parquet: one row group per :meth:`VectorParquetWriter.write`, data pages of
about :data:`PAGE_BYTES`, min/max statistics on ``occ_id`` (row groups sorted by it), the FLOAT16
logical type for float16, and the Arrow schema stored the way pyarrow stores it, so that pyarrow
and pandas read the column as a fixed-size list; DuckDB and polars read it as a list of floats.
The ids of a row group are consecutive, so its ``occ_id`` page is DELTA_BINARY_PACKED: a header
and 5 bytes per 128 rows (every delta 1, packed in 0 bits), instead of 8 bytes a row.

int8 codes (``indexer.store.quantize``) are stored one byte a dimension: ``vector`` is then a
flat, REQUIRED FIXED_LEN_BYTE_ARRAY of ``dim`` bytes (Parquet's INT(8) would take 4 bytes a
value), which pyarrow reads as ``fixed_size_binary(dim)`` and DuckDB as a BLOB; the key-value
entry :data:`INT8_KEY` holds the scale as JSON (``{"scale": [...], "offset": [...]}``), so that
the file alone can be decoded: ``value = code * scale + offset``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
import pyarrow as pa

from indexer.store.thrift import BINARY, BOOL, I16, I32, I64, LIST, STRUCT, Field, encode_struct
from indexer.store.thrift import varint as _varint
from indexer.store.thrift import zigzag as _zigzag
from indexer.vectors import STORED_DTYPES

if TYPE_CHECKING:
    from indexer.store.quantize import Int8Scale

MAGIC = b"PAR1"
#: Bytes of vector values a data page holds at most (whole rows; at least one row).
PAGE_BYTES = 1 << 20
CREATED_BY = "elmo-sense-index vector writer"
#: The key-value metadata entry of an int8 vector file holding its scale as JSON.
INT8_KEY = "elmo_sense_index.int8"

# Parquet's enums (parquet.thrift)
_INT64, _FLOAT, _FIXED_LEN_BYTE_ARRAY = 2, 4, 7
_REQUIRED, _REPEATED = 0, 2
_PLAIN, _RLE, _DELTA_BINARY_PACKED = 0, 3, 5
# values per block of a DELTA_BINARY_PACKED page, and miniblocks per block (of 32 values)
_DELTA_BLOCK, _DELTA_MINIBLOCKS = 128, 4
_DATA_PAGE = 0
_CONVERTED_LIST = 3
_LOGICAL_LIST, _LOGICAL_FLOAT16 = 3, 15


def vectors_schema(dim: int, dtype: str) -> pa.Schema:
    """The Arrow schema of a vector file: ``occ_id`` and a fixed-size list of ``dim`` floats, or
    for int8 codes ``dim`` bytes (nothing is ever null)."""
    if dtype == "int8":
        vector = pa.field("vector", pa.binary(dim), nullable=False)
    else:
        value = pa.float16() if dtype == "float16" else pa.float32()
        element = pa.field("element", value, nullable=False)
        vector = pa.field("vector", pa.list_(element, dim), nullable=False)
    return pa.schema([pa.field("occ_id", pa.int64(), nullable=False), vector])


class VectorParquetWriter:
    """Writes one vector file at ``path``: :meth:`write` a row group at a time, then
    :meth:`close`, which returns the file's size and sha256 (hashed as it was written).

    ``dtype`` is float16, float32 or int8; an int8 file takes codes already quantized with
    ``int8_scale``, which it records in its metadata (required for int8, refused otherwise).
    """

    def __init__(
        self, path: str | Path, dim: int, dtype: str, *, int8_scale: Int8Scale | None = None
    ):
        if dtype not in STORED_DTYPES:
            raise ValueError(f"unknown vector dtype {dtype!r}; use one of {sorted(STORED_DTYPES)}")
        if dim < 1:
            raise ValueError(f"vector dimension must be at least 1, got {dim}")
        if (dtype == "int8") != (int8_scale is not None):
            raise ValueError("int8 vector files need an int8_scale, and only they take one")
        if int8_scale is not None and int8_scale.dim != dim:
            raise ValueError(f"int8 scale of {int8_scale.dim} dimensions for vectors of {dim}")
        self.path = Path(path)
        self._dim, self._dtype, self._int8 = dim, dtype, int8_scale
        self._values = np.dtype(STORED_DTYPES[dtype]).newbyteorder("<")  # Parquet is little-endian
        self._leaf = _FLOAT if dtype == "float32" else _FIXED_LEN_BYTE_ARRAY
        self._page_rows = max(1, PAGE_BYTES // (dim * self._values.itemsize))
        self._rep_row = _rle(0, 1) + (_rle(1, dim - 1) if dim > 1 else b"")
        self._handle: BinaryIO | None = self.path.open("wb")
        self._digest = hashlib.sha256()
        self._offset = 0
        self._row_groups: list[list[Field]] = []
        self._rows = 0
        self._put(MAGIC)

    def write(self, first_occurrence: int, vectors: np.ndarray) -> None:
        """Append the ``(n, dim)`` vectors (int8 codes for an int8 file) of occurrences
        ``first_occurrence ..`` as a row group."""
        given = np.asarray(vectors)
        flat = self._dtype == "int8"
        if flat and given.dtype != np.int8:  # a cast would not quantize, only truncate
            raise ValueError(f"an int8 vector file takes int8 codes, not {given.dtype} values")
        rows = np.ascontiguousarray(given, dtype=self._values)
        if rows.ndim != 2 or rows.shape[1] != self._dim:
            raise ValueError(f"vectors of shape {rows.shape}; expected (n, {self._dim})")
        n = rows.shape[0]
        if n == 0:
            return
        last = first_occurrence + n - 1
        start = self._offset
        id_page = memoryview(_delta_run(first_occurrence, n))
        id_size = self._page(n, b"", id_page, _DELTA_BINARY_PACKED)
        lowest, highest = struct.pack("<q", first_occurrence), struct.pack("<q", last)
        id_stats = [(1, BINARY, highest), (2, BINARY, lowest), (3, I64, 0)]
        id_stats += [(5, BINARY, highest), (6, BINARY, lowest)]
        id_chunk = self._column_chunk(
            _INT64, ["occ_id"], n, start, id_size, id_stats, _DELTA_BINARY_PACKED
        )
        vector_start = self._offset
        vector_size = 0
        for a in range(0, n, self._page_rows):
            page = rows[a : a + self._page_rows]
            if flat:  # one FIXED_LEN_BYTE_ARRAY value a row, no levels
                vector_size += self._page(len(page), b"", page.data.cast("B"))
            else:
                vector_size += self._page(page.size, self._levels(len(page)), page.data.cast("B"))
        path = ["vector"] if flat else ["vector", "list", "element"]
        vector_chunk = self._column_chunk(
            self._leaf, path, n if flat else rows.size, vector_start, vector_size, None
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

    def _page(
        self, n_values: int, levels: bytes, values: memoryview, encoding: int = _PLAIN
    ) -> int:
        """Write a data page (PLAIN unless told); the bytes written, header included."""
        size = len(levels) + values.nbytes
        page: list[Field] = [(1, I32, n_values), (2, I32, encoding), (3, I32, _RLE), (4, I32, _RLE)]
        header = encode_struct(
            [(1, I32, _DATA_PAGE), (2, I32, size), (3, I32, size), (5, STRUCT, page)]
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
        encoding: int = _PLAIN,
    ) -> list[Field]:
        meta: list[Field] = [
            (1, I32, kind),
            (2, LIST, (I32, [encoding, _RLE])),  # the values', and the levels' (none if flat)
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
        schema: list[list[Field]] = [
            [(4, BINARY, "schema"), (5, I32, 2)],
            [(1, I32, _INT64), (3, I32, _REQUIRED), (4, BINARY, "occ_id")],
            *self._vector_schema(),
        ]
        arrow_schema = vectors_schema(self._dim, self._dtype).serialize().to_pybytes()
        key_values: list[Any] = [
            [(1, BINARY, "ARROW:schema"), (2, BINARY, base64.b64encode(arrow_schema))]
        ]
        if self._int8 is not None:
            key_values.append(
                [(1, BINARY, INT8_KEY), (2, BINARY, json.dumps(self._int8.to_dict()))]
            )
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

    def _vector_schema(self) -> list[list[Field]]:
        """The schema elements of the ``vector`` column: ``dim`` bytes for int8, else a list
        (``vector``, ``list``, ``element``) of floats."""
        if self._dtype == "int8":
            return [
                [
                    (1, I32, _FIXED_LEN_BYTE_ARRAY),
                    (2, I32, self._dim),
                    (3, I32, _REQUIRED),
                    (4, BINARY, "vector"),
                ]
            ]
        half = self._dtype == "float16"
        element: list[Field] = [
            (1, I32, self._leaf),
            (2, I32, 2 if half else None),
            (3, I32, _REQUIRED),
            (4, BINARY, "element"),
            (10, STRUCT, [(_LOGICAL_FLOAT16, STRUCT, [])] if half else None),
        ]
        return [
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


def _rle(value: int, count: int) -> bytes:
    """One RLE run of a 1-bit level: its header (count, shifted), then the value in a byte."""
    return _varint(count << 1) + bytes([value])


def _delta_run(first: int, n: int) -> bytes:
    """The DELTA_BINARY_PACKED encoding of the ``n >= 1`` values ``first .. first + n - 1``.

    The header (block size, miniblocks per block, value count, first value zigzag), then per
    block of up to 128 deltas its minimum delta (1, zigzag) and the bit width of each of its 4
    miniblocks (0: every delta is the minimum), whose data then takes no bytes.

    >>> _delta_run(5, 1).hex(), _delta_run(5, 130).hex()
    ('800104010a', '80010482010a02000000000200000000')
    """
    blocks = -(-(n - 1) // _DELTA_BLOCK)
    header = _varint(_DELTA_BLOCK) + _varint(_DELTA_MINIBLOCKS) + _varint(n)
    block = _varint(_zigzag(1)) + bytes(_DELTA_MINIBLOCKS)
    return header + _varint(_zigzag(first)) + block * blocks
