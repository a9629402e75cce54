"""The Flat index file written chunk by chunk: FAISS's own bytes, readable and searchable."""

from __future__ import annotations

import hashlib
from pathlib import Path

import faiss
import numpy as np
import pytest

from indexer.errors import IndexStateError
from indexer.index.flat import write_flat_index
from indexer.vectors import unit_rows
from tests.indexer.index.conftest import clustered


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_bytes_are_those_faiss_writes(tmp_path: Path, dtype: type) -> None:
    matrix: np.ndarray = clustered(700, 24, seed=3).astype(dtype)
    matrix[5] = 0.0  # a zero row stays zero
    path = tmp_path / "layer.faiss"
    record = write_flat_index(matrix, path)

    reference = faiss.IndexFlatIP(24)
    reference.add(unit_rows(matrix, range(len(matrix))))
    expected = faiss.serialize_index(reference).tobytes()
    data = path.read_bytes()
    assert data == expected
    assert record == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert not list(tmp_path.glob(".*tmp*"))


def test_read_back_and_searched(tmp_path: Path) -> None:
    matrix = clustered(3000, 16, seed=4).astype(np.float16)
    path = tmp_path / "layer.faiss"
    write_flat_index(matrix, path)
    index = faiss.read_index(str(path))
    assert (index.ntotal, index.d) == (3000, 16)
    queries = unit_rows(matrix[[0, 17, 2999]], [0, 17, 2999])
    scores, labels = index.search(queries, 5)
    assert labels[:, 0].tolist() == [0, 17, 2999]
    np.testing.assert_allclose(scores[:, 0], 1.0, atol=1e-5)
    exact = queries @ unit_rows(matrix, range(3000)).T
    np.testing.assert_allclose(scores, -np.sort(-exact, axis=1)[:, :5], atol=1e-5)


def test_unwritable_path_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "layer.faiss").mkdir()  # a directory where the file should go
    with pytest.raises(IndexStateError, match=r"layer\.faiss"):
        write_flat_index(np.ones((4, 3), np.float16), folder / "layer.faiss")
    assert [p.name for p in folder.iterdir()] == ["layer.faiss"]


def test_bad_matrix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(IndexStateError, match="shape"):
        write_flat_index(np.ones((0, 3), np.float32), tmp_path / "x.faiss")
    assert not (tmp_path / "x.faiss").exists()
