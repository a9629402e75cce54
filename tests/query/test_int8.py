"""``--dtype int8``: a quarter of float32's bytes, same-word distances within 0.01 of float32."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from indexer.store.quantize import Int8Scale
from indexer.store.vector_parquet import INT8_KEY
from query import SenseIndex
from tests.query.conftest import _build, make_corpus


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    sentences = make_corpus(60, seed=12)
    root = tmp_path_factory.mktemp("int8")
    exact = _build(root / "f32", sentences, dtype="float32", layers=(1, 2))
    coded = _build(root / "i8", sentences, dtype="int8", layers=(1, 2))
    return exact, coded


def distances(idx: SenseIndex, word: str, layer: int) -> np.ndarray:
    vectors = idx.vectors(idx.occurrence_ids(word), layer).astype(np.float64)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return 1 - unit @ unit.T


def test_int8_same_word_distances_are_within_001_of_float32(pair):
    exact, coded = (SenseIndex.open(b.path) for b in pair)
    manifest = coded.reader.manifest
    assert manifest.dtype == "int8" and manifest.int8 is not None and set(manifest.int8) == {1, 2}
    worst = 0.0
    for word in ("bank", "river", "swan"):
        for layer in (1, 2):
            worst = max(
                worst,
                float(np.abs(distances(coded, word, layer) - distances(exact, word, layer)).max()),
            )
    assert 0 < worst < 0.01
    a = coded.neighbors("bank", layer=2, k=3, limit=5)
    b = exact.neighbors("bank", layer=2, k=3, limit=5)
    assert np.allclose([h.distance for h in a], [h.distance for h in b], atol=0.01)


def test_int8_files_are_a_quarter_of_float32_and_describe_their_codes(pair):
    exact, coded = pair

    def vector_bytes(root):
        """Bytes of the vector column chunks (the files' footers aside)."""
        total = 0
        for path in (root / "vectors").rglob("*.parquet"):
            meta = pq.ParquetFile(path).metadata
            groups = (meta.row_group(g) for g in range(meta.num_row_groups))
            total += sum(group.column(1).total_compressed_size for group in groups)
        return total

    # a quarter, less the list levels a float vector column has and an int8 one has not
    assert 0.2 < vector_bytes(coded.path) / vector_bytes(exact.path) <= 0.25
    part = coded.path / "vectors" / "layer=2" / "part-00000.parquet"
    meta = pq.ParquetFile(part).metadata.metadata
    scale = Int8Scale.from_dict(json.loads(meta[INT8_KEY.encode()]))
    manifest = SenseIndex.open(coded.path).reader.manifest
    assert manifest.int8 is not None
    assert scale == Int8Scale.from_dict(manifest.int8[2])
    table = pq.read_table(part)
    codes = np.frombuffer(b"".join(table.column("vector").to_pylist()), np.int8)
    first = codes.reshape(table.num_rows, -1)[0]
    stored = SenseIndex.open(coded.path).vectors([0], 2)[0]
    assert np.array_equal(scale.dequantize(first), stored)
