"""Vector files written directly: pyarrow, pandas, DuckDB and polars read back the exact values."""

from __future__ import annotations

import doctest
import hashlib
import json

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from indexer.store import thrift, vector_parquet
from indexer.store.quantize import Int8Scale
from indexer.store.vector_parquet import INT8_KEY, VectorParquetWriter, vectors_schema

#: Vector dimensions and rows per write that the readers are checked on (a 128-delta block of
#: ``occ_id`` and its edges, a whole row group of the build).
DIMS = [1, 7, 128]
WRITE_ROWS = [1, 127, 128, 129, 8192]
DTYPES = ["float16", "float32", "int8"]
#: The first id of the files the readers check: past 2**40, many bytes as a ULEB128.
FIRST = 3 << 40


def write(path, dim: int, dtype: str, parts: list[tuple[int, np.ndarray]], int8_scale=None) -> dict:
    if dtype == "int8" and int8_scale is None:
        int8_scale = scale_of(dim)
    writer = VectorParquetWriter(path, dim, dtype, int8_scale=int8_scale)
    for first, rows in parts:
        writer.write(first, rows)
    return writer.close()


def scale_of(dim: int) -> Int8Scale:
    return Int8Scale.fit(np.random.default_rng(dim).standard_normal((100, dim)))


def random_rows(n: int, dim: int, dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype == "int8":
        return rng.integers(-127, 128, (n, dim), dtype=np.int8)
    return rng.standard_normal((n, dim)).astype(dtype)


def two_writes(path, dim: int, dtype: str, n: int) -> np.ndarray:
    """Write ``2 n`` random rows in two row groups of ``n``, ids from :data:`FIRST`; the rows."""
    rows = random_rows(2 * n, dim, dtype, seed=n)
    write(path, dim, dtype, [(FIRST, rows[:n]), (FIRST + n, rows[n:])])
    return rows


def as_rows(vectors: list, dim: int, dtype: str) -> np.ndarray:
    """Rows read as Python values (lists or arrays of floats, or bytes) as a numpy array."""
    if dtype == "int8":
        return np.frombuffer(b"".join(vectors), dtype=np.int8).reshape(-1, dim)
    return np.array([np.asarray(v, dtype=np.float64) for v in vectors]).reshape(-1, dim)


def duckdb_table(query: str) -> pa.Table:
    result = duckdb.sql(query)
    assert result is not None
    table = result.arrow()  # a RecordBatchReader since DuckDB 1.4, a Table before
    return table.read_all() if isinstance(table, pa.RecordBatchReader) else table


def flat_values(column: pa.ChunkedArray, dim: int, dtype: str) -> np.ndarray:
    """The ``(n, dim)`` values of a vector column as any reader gives it back."""
    array = column.combine_chunks()
    if dtype == "int8":
        return as_rows(array.to_pylist(), dim, dtype)
    return array.flatten().to_numpy().reshape(-1, dim)


@pytest.mark.parametrize("dtype", ["float16", "float32"])
@pytest.mark.parametrize("dim", [1, 3, 256])
def test_pyarrow_reads_the_same_bytes(tmp_path, dim, dtype):
    rows = random_rows(700, dim, dtype)
    path = tmp_path / "v.parquet"
    record = write(path, dim, dtype, [(40, rows[:500]), (540, rows[500:])])
    table = pq.read_table(path)
    assert table.schema == vectors_schema(dim, dtype)
    assert table.schema.field("vector").type.list_size == dim
    assert table.column("occ_id").to_numpy().tolist() == list(range(40, 740))
    values = table.column("vector").combine_chunks().flatten().to_numpy().reshape(-1, dim)
    assert values.dtype == np.dtype(dtype)
    assert values.tobytes() == rows.tobytes()
    data = path.read_bytes()
    assert record == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_parquet_metadata(tmp_path):
    rows = random_rows(10, 4, "float16")
    path = tmp_path / "v.parquet"
    write(path, 4, "float16", [(100, rows[:6]), (106, rows[6:])])
    meta = pq.ParquetFile(path).metadata
    assert (meta.num_rows, meta.num_row_groups) == (10, 2)
    assert [meta.row_group(i).num_rows for i in range(2)] == [6, 4]
    stats = meta.row_group(1).column(0).statistics
    assert (stats.min, stats.max, stats.null_count) == (106, 109, 0)
    assert meta.row_group(1).column(1).statistics is None
    assert meta.row_group(0).sorting_columns[0].column_index == 0
    leaf = meta.schema.column(1)
    assert (leaf.path, leaf.physical_type, leaf.max_repetition_level) == (
        "vector.list.element",
        "FIXED_LEN_BYTE_ARRAY",
        1,
    )
    assert str(leaf.logical_type) == "Float16"
    # row-group pruning by occurrence id works from these statistics
    read = pq.read_table(path, filters=[("occ_id", ">=", 107)])
    assert read.column("occ_id").to_pylist() == [107, 108, 109]


def test_pages_hold_whole_rows_of_about_page_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(vector_parquet, "PAGE_BYTES", 64)  # 8 float32 rows of 2
    rows = random_rows(30, 2, "float32")
    path = tmp_path / "v.parquet"
    write(path, 2, "float32", [(0, rows)])
    column = pq.ParquetFile(path).metadata.row_group(0).column(1)
    header_and_levels = column.total_uncompressed_size - rows.nbytes
    assert header_and_levels > 4 * 20  # four pages (8 + 8 + 8 + 6 rows), each with a header
    values = pq.read_table(path).column("vector").combine_chunks().flatten().to_numpy()
    assert values.tobytes() == rows.tobytes()


@pytest.mark.parametrize("n", WRITE_ROWS)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_pyarrow_pandas_and_duckdb_read_every_id_and_value(tmp_path, dtype, dim, n):
    path = tmp_path / "v.parquet"
    rows = two_writes(path, dim, dtype, n)
    ids = np.arange(FIRST, FIRST + 2 * n)
    table = pq.read_table(path)
    assert table.schema == vectors_schema(dim, dtype)
    assert np.array_equal(table.column("occ_id").to_numpy(), ids)
    assert flat_values(table.column("vector"), dim, dtype).tobytes() == rows.tobytes()
    frame = pd.read_parquet(path)
    assert np.array_equal(frame.occ_id.to_numpy(), ids)
    assert np.array_equal(as_rows(list(frame.vector), dim, dtype), rows)
    got = duckdb_table(f"SELECT occ_id, vector FROM read_parquet('{path}') ORDER BY occ_id")
    assert np.array_equal(got.column("occ_id").to_numpy(), ids)
    # DuckDB reads float16 as FLOAT (exactly) and int8 codes as a BLOB
    assert np.array_equal(flat_values(got.column("vector"), dim, dtype), rows)
    # the occ_id statistics let a filter skip the first row group
    skipped = duckdb_table(f"SELECT count(*) n FROM '{path}' WHERE occ_id >= {FIRST + n}")
    assert skipped.column("n").to_pylist() == [n]


@pytest.mark.parametrize("n", WRITE_ROWS)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_polars_reads_every_id_and_value(tmp_path, dtype, dim, n):
    pl = pytest.importorskip("polars")
    path = tmp_path / "v.parquet"
    rows = two_writes(path, dim, dtype, n)
    frame = pl.read_parquet(path)
    assert np.array_equal(frame["occ_id"].to_numpy(), np.arange(FIRST, FIRST + 2 * n))
    assert np.array_equal(as_rows(frame["vector"].to_list(), dim, dtype), rows)


def test_occ_id_is_one_delta_binary_packed_page(tmp_path):
    path = tmp_path / "v.parquet"
    write(
        path,
        4,
        "float16",
        [(5, random_rows(130, 4, "float16")), (135, random_rows(1, 4, "float16"))],
    )
    meta = pq.ParquetFile(path).metadata
    raw = path.read_bytes()
    pages = []
    for group in range(2):
        chunk = meta.row_group(group).column(0)
        assert set(chunk.encodings) == {"DELTA_BINARY_PACKED", "RLE"}
        header, body = thrift.decode_struct(raw, chunk.data_page_offset)
        assert header[5][2] == 5  # DELTA_BINARY_PACKED
        assert body + header[3] == chunk.data_page_offset + chunk.total_compressed_size
        pages.append(raw[body : body + header[3]].hex())
    # block size 128 and 4 miniblocks, 130 values, first 5 (zigzag 10); two blocks of deltas
    # (129 of them) each with min delta 1 (zigzag 2) and miniblocks of bit width 0
    assert pages[0] == "800104" + "8201" + "0a" + "02" + "00000000" + "02" + "00000000"
    assert pages[1] == "800104" + "01" + "8e02"  # one value, 135, and no block


def test_bytes_per_row(tmp_path):
    # dim 128 float16 in row groups of 8,192: 256 bytes of values, 5 of repetition levels and
    # about 0.04 of occ_id (it took 8 bytes a row when it was PLAIN)
    path = tmp_path / "v.parquet"
    n = 4 * 8192
    rows = random_rows(n, 128, "float16")
    record = write(path, 128, "float16", [(a, rows[a : a + 8192]) for a in range(0, n, 8192)])
    assert 261 < record["bytes"] / n < 261.2
    meta = pq.ParquetFile(path).metadata
    assert meta.row_group(0).column(0).total_compressed_size < 8192 * 0.05


def test_pandas_and_duckdb_read_it(tmp_path):
    rows = random_rows(50, 8, "float16", seed=3)
    path = tmp_path / "v.parquet"
    write(path, 8, "float16", [(0, rows[:20]), (20, rows[20:])])
    frame = pd.read_parquet(path)
    assert frame.occ_id.tolist() == list(range(50))
    assert np.array_equal(np.stack(frame.vector.to_numpy()), rows)
    relation = duckdb.sql(
        f"SELECT occ_id, vector FROM read_parquet('{path}') WHERE occ_id IN (3, 42) ORDER BY occ_id"
    )
    assert relation is not None
    got = relation.fetchall()
    assert [occ for occ, _ in got] == [3, 42]
    assert np.array_equal(np.array(got[1][1], dtype=np.float32), rows[42].astype(np.float32))


def test_an_empty_file_is_valid(tmp_path):
    path = tmp_path / "v.parquet"
    write(path, 5, "float32", [(0, np.zeros((0, 5), np.float32))])
    table = pq.read_table(path)
    assert table.num_rows == 0 and table.schema == vectors_schema(5, "float32")


def test_arrow_schema_stored_as_pyarrow_stores_it(tmp_path):
    ours, theirs = tmp_path / "ours.parquet", tmp_path / "theirs.parquet"
    rows = random_rows(3, 4, "float16")
    write(ours, 4, "float16", [(0, rows)])
    vectors = pa.FixedSizeListArray.from_arrays(pa.array(rows.reshape(-1)), 4)
    table = pa.table([pa.array([0, 1, 2]), vectors], schema=vectors_schema(4, "float16"))
    pq.write_table(table, theirs)
    key = b"ARROW:schema"
    assert pq.read_metadata(ours).metadata[key] == pq.read_metadata(theirs).metadata[key]
    assert pq.read_table(ours).equals(pq.read_table(theirs))


def test_int8_file_layout(tmp_path):
    dim = 6
    scale = scale_of(dim)
    ours, theirs = tmp_path / "ours.parquet", tmp_path / "theirs.parquet"
    codes = random_rows(40, dim, "int8")
    write(ours, dim, "int8", [(0, codes[:25]), (25, codes[25:])], int8_scale=scale)
    meta = pq.ParquetFile(ours).metadata
    leaf = meta.schema.column(1)
    assert (leaf.path, leaf.physical_type, leaf.length) == ("vector", "FIXED_LEN_BYTE_ARRAY", dim)
    assert (leaf.max_repetition_level, leaf.max_definition_level) == (0, 0)
    assert leaf.logical_type.type == "NONE"
    chunk = meta.row_group(1).column(1)
    assert (chunk.num_values, chunk.compression, chunk.statistics) == (15, "UNCOMPRESSED", None)
    assert chunk.total_compressed_size < 15 * dim + 40  # the bytes and a page header
    assert pa.types.is_fixed_size_binary(pq.read_table(ours).schema.field("vector").type)
    # the Arrow schema as pyarrow stores it, and the same table read back
    vectors = pa.array([row.tobytes() for row in codes], pa.binary(dim))
    table = pa.table([pa.array(range(40)), vectors], schema=vectors_schema(dim, "int8"))
    pq.write_table(table, theirs)
    key = b"ARROW:schema"
    assert pq.read_metadata(ours).metadata[key] == pq.read_metadata(theirs).metadata[key]
    assert pq.read_table(ours).equals(pq.read_table(theirs))
    # the file alone says how to decode its codes
    entry = json.loads(pq.read_metadata(ours).metadata[INT8_KEY.encode()])
    assert Int8Scale.from_dict(entry) == scale
    decoded = codes * np.array(entry["scale"], np.float32) + np.array(entry["offset"], np.float32)
    assert np.array_equal(decoded, scale.dequantize(codes))


def test_int8_round_trip_of_quantized_vectors(tmp_path):
    x = np.random.default_rng(4).standard_normal((300, 16)).astype(np.float32)
    scale = Int8Scale.fit(x)
    path = tmp_path / "v.parquet"
    write(path, 16, "int8", [(0, scale.quantize(x))], int8_scale=scale)
    got = duckdb_table(f"SELECT vector FROM '{path}' ORDER BY occ_id").column("vector")
    back = scale.dequantize(flat_values(got, 16, "int8"))
    assert np.abs(back - x).max() <= scale.max_error.max() * 1.001


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match="unknown vector dtype 'float64'"):
        VectorParquetWriter(tmp_path / "a.parquet", 4, "float64")
    with pytest.raises(ValueError, match="int8 vector files need an int8_scale"):
        VectorParquetWriter(tmp_path / "a.parquet", 4, "int8")
    with pytest.raises(ValueError, match="only they take one"):
        VectorParquetWriter(tmp_path / "a.parquet", 4, "float16", int8_scale=scale_of(4))
    with pytest.raises(ValueError, match="int8 scale of 3 dimensions for vectors of 4"):
        VectorParquetWriter(tmp_path / "a.parquet", 4, "int8", int8_scale=scale_of(3))
    writer = VectorParquetWriter(tmp_path / "b.parquet", 4, "float32")
    with pytest.raises(ValueError, match=r"shape \(2, 3\); expected \(n, 4\)"):
        writer.write(0, np.zeros((2, 3), np.float32))
    writer.abort()
    writer = VectorParquetWriter(tmp_path / "c.parquet", 4, "int8", int8_scale=scale_of(4))
    with pytest.raises(ValueError, match="takes int8 codes, not float32 values"):
        writer.write(0, np.zeros((2, 4), np.float32))
    writer.abort()


def test_doctests():
    result = doctest.testmod(vector_parquet)
    assert result.failed == 0 and result.attempted > 0


def test_thrift_doctests():
    result = doctest.testmod(thrift)
    assert result.failed == 0 and result.attempted > 0


def test_thrift_long_ids_and_lists():
    # a field id jump over 15 is written in the long form; a list of 15+ items with its size
    encoded = thrift.encode_struct([(20, thrift.I32, 1), (21, thrift.LIST, (thrift.I32, [0] * 16))])
    assert encoded == bytes([0x05, 40, 2, 0x19, 0xF5, 16]) + bytes(16) + b"\x00"


def test_thrift_decodes_what_it_encodes_and_pyarrow_footers(tmp_path):
    fields = [
        (1, thrift.I32, -7),
        (2, thrift.BINARY, b"\x00ab"),
        (3, thrift.BOOL, False),
        (20, thrift.I64, 1 << 40),
        (21, thrift.LIST, (thrift.I32, list(range(20)))),
        (22, thrift.STRUCT, [(1, thrift.LIST, (thrift.BINARY, ["x", "yz"]))]),
    ]
    data = thrift.encode_struct(fields)
    decoded, end = thrift.decode_struct(b"??" + data, 2)
    assert end == 2 + len(data)
    assert decoded == {1: -7, 2: b"\x00ab", 3: False, 20: 1 << 40, 21: list(range(20)),
                       22: {1: [b"x", b"yz"]}}  # fmt: skip
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"a": list(range(1000)), "b": ["w"] * 1000}), path, row_group_size=300)
    raw = path.read_bytes()
    size = int.from_bytes(raw[-8:-4], "little")
    footer, end = thrift.decode_struct(raw[-8 - size : -8])
    assert end == size and footer[3] == 1000 and len(footer[4]) == 4  # rows, row groups
    assert [group[3] for group in footer[4]] == [300, 300, 300, 100]
