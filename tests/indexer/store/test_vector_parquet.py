"""Vector files written directly: pyarrow, pandas and DuckDB read back the exact bytes."""

from __future__ import annotations

import doctest
import hashlib

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from indexer.store import thrift, vector_parquet
from indexer.store.vector_parquet import VectorParquetWriter, vectors_schema


def write(path, dim: int, dtype: str, parts: list[tuple[int, np.ndarray]]) -> dict:
    writer = VectorParquetWriter(path, dim, dtype)
    for first, rows in parts:
        writer.write(first, rows)
    return writer.close()


def random_rows(n: int, dim: int, dtype: str, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(dtype)


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


def test_bad_input(tmp_path):
    with pytest.raises(ValueError, match="unknown vector dtype 'int8'"):
        VectorParquetWriter(tmp_path / "a.parquet", 4, "int8")
    writer = VectorParquetWriter(tmp_path / "b.parquet", 4, "float32")
    with pytest.raises(ValueError, match=r"shape \(2, 3\); expected \(n, 4\)"):
        writer.write(0, np.zeros((2, 3), np.float32))
    writer.abort()


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
