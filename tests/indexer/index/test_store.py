"""Saving and loading index files, and search parameters after a load."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

from indexer.errors import ConfigError, IndexStateError
from indexer.index import (
    IndexConfig,
    IndexPlan,
    apply_search_params,
    build_index,
    index_params,
    load_index,
    plan_index,
    save_index,
)
from tests.indexer.durable import assert_published, record_fsyncs
from tests.indexer.index.conftest import unit_rows

N, D = 3000, 32


@pytest.mark.parametrize("kind", ["flat", "hnsw", "ivf"])
def test_round_trip_keeps_results_and_params(tmp_path, matrix, kind):
    config = IndexConfig(kind=kind)
    plan = plan_index(N, D, config)
    index = build_index(matrix, plan, config)
    path = tmp_path / "layer-1.faiss"
    save_index(index, path)
    assert [p.name for p in tmp_path.iterdir()] == ["layer-1.faiss"]
    loaded = load_index(path)
    queries = unit_rows(matrix[:20])
    assert np.array_equal(loaded.search(queries, 10)[1], index.search(queries, 10)[1])
    assert index_params(loaded) == plan.search_params()


def test_params_from_the_manifest_plan(tmp_path, matrix):
    config = IndexConfig(kind="ivf")
    plan = plan_index(N, D, config)
    index = build_index(matrix, plan, config)
    apply_search_params(index, {"nprobe": 1})
    save_index(index, tmp_path / "ivf.faiss")
    loaded = load_index(tmp_path / "ivf.faiss")
    assert index_params(loaded) == {"nprobe": 1}
    stored = IndexPlan.from_dict(plan.to_dict())
    apply_search_params(loaded, stored.search_params())
    assert index_params(loaded) == {"nprobe": plan.nprobe}
    with pytest.raises(ConfigError, match="efSearch"):
        apply_search_params(loaded, {"efSearch": 64})


def test_missing_file(tmp_path):
    with pytest.raises(IndexStateError, match=r"absent\.faiss: FAISS index file not found"):
        load_index(tmp_path / "absent.faiss")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_corrupt_file(tmp_path, matrix, damage):
    path = tmp_path / "layer.faiss"
    config = IndexConfig(kind="ivf")
    save_index(build_index(matrix, plan_index(N, D, config), config), path)
    data = path.read_bytes()
    path.write_bytes(
        {"garbage": b"not an index" * 100, "truncated": data[: len(data) // 2], "empty": b""}[
            damage
        ]
    )
    with pytest.raises(IndexStateError, match=r"layer\.faiss: cannot read the FAISS index"):
        load_index(path)


def test_save_into_a_missing_folder_names_the_path(tmp_path, matrix):
    index = build_index(matrix, plan_index(N, D, IndexConfig()), IndexConfig())
    target = tmp_path / "nowhere" / "layer.faiss"
    with pytest.raises(IndexStateError, match="nowhere"):
        save_index(index, target)
    assert not target.parent.exists()


def test_save_is_durable_and_leaves_only_the_index(tmp_path, matrix, monkeypatch):
    synced = record_fsyncs(monkeypatch)
    config = IndexConfig(kind="ivf")
    path = tmp_path / "layer=1.faiss"
    save_index(build_index(matrix, plan_index(N, D, config), config), path)
    assert_published(synced, path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize("failure", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_write_killed_halfway_keeps_the_previous_index(tmp_path, matrix, monkeypatch, failure):
    config = IndexConfig(kind="ivf")
    index = build_index(matrix, plan_index(N, D, config), config)
    path = tmp_path / "layer.faiss"
    save_index(index, path)
    before = path.read_bytes()

    def write_half(_: object, name: str) -> None:
        Path(name).write_bytes(before[: len(before) // 2])
        raise failure

    monkeypatch.setattr(faiss, "write_index", write_half)
    if isinstance(failure, RuntimeError):
        with pytest.raises(IndexStateError, match=r"layer\.faiss: cannot write .*disk full"):
            save_index(index, path)
    else:
        with pytest.raises(KeyboardInterrupt):
            save_index(index, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
