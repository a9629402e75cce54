"""Rows of the build's vector files read in place, located from their pages."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from indexer.errors import IndexStateError
from indexer.store import vector_parquet
from indexer.store.layer_vectors import LayerVectors
from indexer.store.quantize import Int8Scale
from indexer.store.vector_pages import VectorFile
from indexer.store.vector_parquet import VectorParquetWriter, vectors_schema


def write(path, dim, dtype, rows, group_rows):
    scale = Int8Scale((1.0,) * dim, (0.0,) * dim) if dtype == "int8" else None
    writer = VectorParquetWriter(path, dim, dtype, int8_scale=scale)
    for a in range(0, len(rows), group_rows):
        writer.write(a, rows[a : a + group_rows])
    writer.close()
    return path


def random_rows(n, dim, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "int8":  # codes
        return rng.integers(-127, 128, (n, dim), dtype=np.int8)
    return rng.standard_normal((n, dim)).astype(dtype)


@pytest.mark.parametrize(
    ("dim", "dtype", "n", "group_rows"),
    [
        (1, "float16", 10, 4),
        (3, "float32", 700, 500),
        (256, "float32", 5000, 2100),
        (128, "float16", 9000, 8192),
        (1, "int8", 10, 4),
        (7, "int8", 700, 129),
        (128, "int8", 9000, 8192),
        (1024, "int8", 3000, 1100),  # pages of 1,024 rows: 1,024 and 76 a row group
    ],
)
def test_take_gives_the_rows_written(tmp_path, dim, dtype, n, group_rows):
    rows = random_rows(n, dim, dtype)
    vectors = VectorFile(write(tmp_path / "v.parquet", dim, dtype, rows, group_rows), dim, dtype)
    assert len(vectors) == n
    rng = np.random.default_rng(1)
    asked = np.concatenate([rng.integers(0, n, 300), [0, n - 1, n - 1, 0]])
    got = vectors.take(asked)
    assert got.dtype == np.dtype(dtype) and got.shape == (len(asked), dim)
    assert got.tobytes() == rows[asked].tobytes()
    assert vectors.take([]).shape == (0, dim)
    whole = np.concatenate([view for _, view in vectors.page_rows()])
    assert whole.tobytes() == rows.tobytes()
    assert [first for first, _ in vectors.page_rows()] == vectors.first_rows.tolist()


def test_pages_of_whole_rows_across_row_groups(tmp_path):
    dim, n = 256, 5000  # 1,024 float32 rows per 1 MiB page, row groups of 2,100 rows
    vectors = VectorFile(
        write(tmp_path / "v.parquet", dim, "float32", random_rows(n, dim, "float32"), 2100),
        dim,
        "float32",
    )
    page_rows = vector_parquet.PAGE_BYTES // (dim * 4)
    expected = [g + p for g in (0, 2100, 4200) for p in range(0, min(2100, n - g), page_rows)]
    assert vectors.first_rows.tolist() == expected


def test_int8_pages_across_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr(vector_parquet, "PAGE_BYTES", 50)  # 7 rows of 7 bytes a page
    dim, n = 7, 100
    codes = random_rows(n, dim, "int8", seed=3)
    vectors = VectorFile(write(tmp_path / "v.parquet", dim, "int8", codes, 30), dim, "int8")
    expected = [g + p for g in (0, 30, 60, 90) for p in range(0, min(30, n - g), 7)]
    assert vectors.first_rows.tolist() == expected
    assert vectors.take(np.arange(n)[::-1]).tobytes() == codes[::-1].tobytes()
    table = pq.read_table(vectors.path)  # and these pages are still plain Parquet
    assert b"".join(table.column("vector").to_pylist()) == codes.tobytes()


def test_a_file_of_another_dtype_is_refused(tmp_path):
    dim = 4
    floats = write(tmp_path / "f.parquet", dim, "float16", random_rows(20, dim, "float16"), 8)
    codes = write(tmp_path / "c.parquet", dim, "int8", random_rows(20, dim, "int8"), 8)
    with pytest.raises(IndexStateError, match=r"f\.parquet: .*vector\.list\.element .*not vector"):
        VectorFile(floats, dim, "int8")
    with pytest.raises(IndexStateError, match=r"c\.parquet: .*its vectors are vector FIXED"):
        VectorFile(codes, dim, "float16")
    with pytest.raises(IndexStateError, match=r"its vectors are vector\.list\.element FIXED"):
        VectorFile(floats, dim, "float32")
    with pytest.raises(IndexStateError, match="its vector values are 4 bytes long"):
        VectorFile(codes, 2, "int8")
    with pytest.raises(ValueError, match="unknown vector dtype 'float64'"):
        VectorFile(codes, dim, "float64")


def test_layer_spans_files_in_occurrence_order(tmp_path):
    dim = 8
    parts = [random_rows(n, dim, "float16", seed=n) for n in (50, 1, 120)]
    paths = [
        write(tmp_path / f"p{i}.parquet", dim, "float16", rows, 40) for i, rows in enumerate(parts)
    ]
    layer = LayerVectors(paths, [len(rows) for rows in parts], dim, "float16")
    every = np.concatenate(parts)
    assert len(layer) == 171 and layer.shape == (171, dim) and layer.dtype == np.float16
    ids = np.array([170, 50, 0, 49, 51, 50, 3])
    assert layer.take(ids).tobytes() == every[ids].tobytes()
    assert layer[45:60].tobytes() == every[45:60].tobytes()
    assert layer[np.array([2, 1])].tobytes() == every[[2, 1]].tobytes()
    layer.release()
    with pytest.raises(IndexError, match="occurrence 171 is outside the layer"):
        layer.take([171])
    with pytest.raises(IndexError, match="row -1"):
        layer.file(0).take([-1])
    short = LayerVectors(paths, [50, 2, 120], dim, "float16")
    with pytest.raises(IndexStateError, match="has 1 rows, the manifest 2"):
        short.take([50])


def test_int8_layer_gives_back_floats(tmp_path):
    dim = 6
    rows = random_rows(300, dim, "float32", seed=1)
    scale = Int8Scale.fit(rows)
    path = tmp_path / "q.parquet"
    writer = VectorParquetWriter(path, dim, "int8", int8_scale=scale)
    writer.write(0, scale.quantize(rows))
    writer.close()
    layer = LayerVectors([path], [300], dim, "int8", scale)
    assert layer.dtype == np.float32
    got = layer.take([0, 299, 7])
    assert np.all(np.abs(got - rows[[0, 299, 7]]) <= scale.max_error + 1e-6)


def test_files_not_written_by_the_build_are_refused(tmp_path):
    dim = 4
    rows = random_rows(100, dim, "float32")
    table = pa.table(
        {
            "occ_id": pa.array(np.arange(100), pa.int64()),
            "vector": pa.FixedSizeListArray.from_arrays(pa.array(rows.reshape(-1)), dim),
        },
        schema=vectors_schema(dim, "float32"),
    )
    compressed = tmp_path / "zstd.parquet"
    pq.write_table(table, compressed, compression="zstd")
    with pytest.raises(IndexStateError, match=r"zstd.parquet: not a vector file as the build"):
        VectorFile(compressed, dim, "float32")
    truncated = tmp_path / "cut.parquet"
    truncated.write_bytes(
        write(tmp_path / "v.parquet", dim, "float32", rows, 64).read_bytes()[:-30]
    )
    with pytest.raises(IndexStateError, match=r"cut\.parquet: vector file is corrupt"):
        VectorFile(truncated, dim, "float32")
    with pytest.raises(IndexStateError, match="vector file is missing"):
        VectorFile(tmp_path / "none.parquet", dim, "float32")
