"""manifest.json: atomic replacement, round trip, and refusals of foreign or damaged files."""

from __future__ import annotations

import json
import os

import pytest

from indexer.errors import IndexStateError
from indexer.store.layout import FORMAT_VERSION, IndexLayout
from indexer.store.manifest import (
    Manifest,
    ShardRecord,
    read_complete_manifest,
    read_manifest,
    write_manifest,
)


def sample_manifest() -> Manifest:
    shard = ShardRecord(
        index=0,
        first_sentence=0,
        n_sentences=3,
        first_occurrence=0,
        n_occurrences=10,
        files={"occurrences/part-00000.parquet": {"bytes": 5, "sha256": "ab"}},
        matrix={"2": "cd"},
    )
    return Manifest(
        settings={"layers": [2], "dtype": "float16", "model": {"dim": 4}}, shards=[shard]
    )


def test_round_trip(tmp_path):
    layout = IndexLayout(tmp_path)
    manifest = sample_manifest()
    write_manifest(layout, manifest)
    back = read_manifest(tmp_path)
    assert back == manifest
    assert (back.layers, back.dtype, back.dim, back.n_occurrences, back.n_sentences) == (
        (2,),
        "float16",
        4,
        10,
        3,
    )
    assert back.created and back.updated
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_failed_replace_keeps_the_old_manifest(tmp_path, monkeypatch):
    layout = IndexLayout(tmp_path)
    write_manifest(layout, sample_manifest())
    before = layout.manifest.read_bytes()
    changed = sample_manifest()
    changed.complete = True

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_manifest(layout, changed)
    assert layout.manifest.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_missing_foreign_newer_and_broken_manifests_are_refused(tmp_path):
    with pytest.raises(IndexStateError, match=r"no manifest\.json.*indexer build"):
        read_manifest(tmp_path)
    path = tmp_path / "manifest.json"
    path.write_text("{not json")
    with pytest.raises(IndexStateError, match="not valid JSON"):
        read_manifest(tmp_path)
    path.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(IndexStateError, match="not a elmo-sense-index manifest"):
        read_manifest(tmp_path)
    data = sample_manifest().to_dict() | {"format_version": FORMAT_VERSION + 1}
    path.write_text(json.dumps(data))
    with pytest.raises(IndexStateError, match="newer"):
        read_manifest(tmp_path)


def test_incomplete_build_is_refused_by_the_read_side(tmp_path):
    write_manifest(IndexLayout(tmp_path), sample_manifest())
    with pytest.raises(IndexStateError, match=r"not finished.*1 shards, 10 occurrences"):
        read_complete_manifest(tmp_path)
