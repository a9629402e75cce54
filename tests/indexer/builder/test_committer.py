"""Read-ahead and shard-writer threads hand values and errors to the caller."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.builder.committer import ShardCommitter, VectorChunk, read_ahead
from indexer.errors import IndexStateError
from indexer.store.layout import IndexLayout
from indexer.store.manifest import Manifest
from indexer.store.reader import layer_vectors
from indexer.store.shards import ShardMeta
from tests.indexer.store.samples import sample_settings


def test_read_ahead_yields_in_order_and_passes_errors():
    assert list(read_ahead(range(50), depth=2)) == list(range(50))

    def failing():
        yield 1
        raise ValueError("bad line")

    got = []
    with pytest.raises(ValueError, match="bad line"):
        for item in read_ahead(failing()):
            got.append(item)
    assert got == [1]


def test_read_ahead_stops_its_thread_when_abandoned():
    stream = read_ahead(iter(range(10**9)))
    assert next(stream) == 0
    stream.close()  # must not hang


def test_committer_reports_write_errors(tmp_path):
    layout = IndexLayout(tmp_path)
    manifest = Manifest(settings=sample_settings(layers=(0,), dtype="float16", dim=2))
    committer = ShardCommitter(layout, manifest)
    (tmp_path / "vectors").write_text("a file where a folder must go")
    buffer = committer.buffer()
    assert buffer.shape == (1, 8192, 2) and buffer.dtype == np.float16
    buffer[0, 0] = 1.0
    with pytest.raises(IndexStateError, match="cannot write shard 0"):
        committer.add(VectorChunk(0, 0, 1, buffer))
    with pytest.raises(IndexStateError, match="cannot write shard 0"):
        committer.close()
    assert manifest.shards == []


def test_committer_reuses_its_buffers(tmp_path):
    layout = IndexLayout(tmp_path)
    manifest = Manifest(settings=sample_settings(layers=(0, 2), dtype="float32", dim=2))
    committer = ShardCommitter(layout, manifest, chunk_rows=3, pending=1)
    seen = set()
    first = 0
    for index, n in enumerate([3, 2]):
        buffer = committer.buffer()
        seen.add(id(buffer))
        buffer[:, :n] = np.arange(2 * n * 2).reshape(2, n, 2) + first
        committer.add(VectorChunk(index, first, n, buffer))
        sentences = [tuple("x" * n)]
        committer.commit(ShardMeta(index, index, first, sentences, ["d"], [None], [1]))
        first += n
    committer.close()
    assert len(seen) <= 2
    assert [(s.first_occurrence, s.n_occurrences) for s in manifest.shards] == [(0, 3), (3, 2)]
    matrix = layer_vectors(layout, manifest, 2)[:]
    assert matrix.tolist() == [[6, 7], [8, 9], [10, 11], [7, 8], [9, 10]]
