"""Rows of the build's vector files read in place, located from their pages."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from indexer.errors import IndexStateError
from indexer.store import vector_parquet
from indexer.store.vector_pages import LayerVectors, VectorFile
from indexer.store.vector_parquet import VectorParquetWriter, vectors_schema


def write(path, dim, dtype, rows, group_rows):
    writer = VectorParquetWriter(path, dim, dtype)
    for a in range(0, len(rows), group_rows):
        writer.write(a, rows[a : a + group_rows])
    writer.close()
    return path


def random_rows(n, dim, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal((n, dim)).astype(dtype)


@pytest.mark.parametrize(
    ("dim", "dtype", "n", "group_rows"),
    [
        (1, "float16", 10, 4),
        (3, "float32", 700, 500),
        (256, "float32", 5000, 2100),
        (128, "float16", 9000, 8192),
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


def test_layer_spans_files_in_occurrence_order(tmp_path):
    dim = 8
    parts = [random_rows(n, dim, "float16", seed=n) for n in (50, 1, 120)]
    files = [
        VectorFile(write(tmp_path / f"p{i}.parquet", dim, "float16", rows, 40), dim, "float16")
        for i, rows in enumerate(parts)
    ]
    layer = LayerVectors(files)
    every = np.concatenate(parts)
    assert len(layer) == 171
    ids = np.array([170, 50, 0, 49, 51, 50, 3])
    assert layer.take(ids).tobytes() == every[ids].tobytes()
    with pytest.raises(IndexError, match="occurrence 171 is outside the layer"):
        layer.take([171])
    with pytest.raises(IndexError, match="row -1"):
        files[0].take([-1])


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
