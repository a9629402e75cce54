"""Row sampling and chunked normalization of a layer's matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.errors import IndexStateError
from indexer.index.vectors import (
    RECALL_STREAM,
    TRAIN_STREAM,
    check_matrix,
    iter_normalized,
    read_normalized,
    release_pages,
    sample_rows,
)
from indexer.vectors import unit_rows
from tests.process_memory import status_kib


def test_sample_spans_the_whole_range_uniformly():
    n = 10_000_000
    rows = sample_rows(n, 100_000, seed=0)
    assert len(rows) == 100_000 and len(np.unique(rows)) == 100_000
    assert np.all(np.diff(rows) > 0) and rows[0] >= 0 and rows[-1] < n
    assert rows[0] < n // 1000 and rows[-1] > n - n // 1000
    per_decile = np.bincount(rows * 10 // n, minlength=10)
    assert per_decile.min() > 9_500 and per_decile.max() < 10_500  # 10,000 expected each


def test_sample_is_seeded_and_streams_differ():
    a = sample_rows(1000, 100, seed=7, stream=TRAIN_STREAM)
    assert np.array_equal(a, sample_rows(1000, 100, seed=7, stream=TRAIN_STREAM))
    assert not np.array_equal(a, sample_rows(1000, 100, seed=8, stream=TRAIN_STREAM))
    assert not np.array_equal(a, sample_rows(1000, 100, seed=7, stream=RECALL_STREAM))
    assert sample_rows(50, 100, seed=0).tolist() == list(range(50))


def test_normalize_keeps_zero_rows_and_names_bad_rows():
    block = np.array([[0, 0, 0], [1, 2, 2], [-3, 0, 4]], dtype=np.float16)
    out = unit_rows(block, range(10, 13))
    assert out.dtype == np.float32
    expected = np.array([[0, 0, 0], [1 / 3, 2 / 3, 2 / 3], [-0.6, 0, 0.8]])
    assert np.allclose(out, expected)
    block[2, 1] = np.inf
    with pytest.raises(IndexStateError, match="row 12 "):
        unit_rows(block, range(10, 13))


def test_chunks_cover_every_row_once(matrix):
    seen: list[int] = []
    for start, chunk in iter_normalized(matrix, chunk_rows=700):
        assert chunk.shape == (min(700, len(matrix) - start), matrix.shape[1])
        seen.extend(range(start, start + len(chunk)))
        assert np.allclose(np.linalg.norm(chunk, axis=1), 1.0, atol=1e-5)
    assert seen == list(range(len(matrix)))
    rows = np.array([3, 1500, 2999])
    expected = matrix[rows] / np.linalg.norm(matrix[rows], axis=1, keepdims=True)
    assert np.allclose(read_normalized(matrix, rows), expected, atol=1e-6)


@pytest.mark.parametrize(
    "bad", [np.zeros((0, 4), np.float32), np.zeros(4, np.float32), np.zeros((3, 4), np.int8)]
)
def test_check_matrix_rejects(bad):
    with pytest.raises(IndexStateError, match="vector matrix"):
        check_matrix(bad)


def test_reading_a_memory_map_leaves_no_pages_resident(tmp_path: Path) -> None:
    path = tmp_path / "matrix.f16"
    rows, dim = 65536, 256  # 32 MiB
    np.ones((rows, dim), np.float16).tofile(path)
    matrix = np.memmap(path, dtype=np.float16, mode="r", shape=(rows, dim))
    before = status_kib("RssFile")
    touched = float(np.asarray(matrix[:, 0], dtype=np.float32).sum())  # reads every page
    assert touched == rows
    assert status_kib("RssFile") - before > 16 * 1024
    release_pages(matrix)
    assert status_kib("RssFile") - before < 4 * 1024
    n = sum(len(chunk) for _, chunk in iter_normalized(matrix, chunk_rows=8192))
    assert n == rows
    assert status_kib("RssFile") - before < 4 * 1024
    read_normalized(matrix, np.arange(0, rows, 7))
    assert status_kib("RssFile") - before < 4 * 1024
    release_pages(np.ones(3))  # not a map: nothing to do
