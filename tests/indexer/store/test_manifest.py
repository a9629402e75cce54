"""manifest.json: atomic replacement, round trip (byte for byte through the typed records), and
refusals of foreign or damaged files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from indexer.builder import BuildConfig, run_build
from indexer.errors import IndexStateError
from indexer.store.layout import FORMAT_VERSION, IndexLayout
from indexer.store.manifest import (
    Manifest,
    manifest_text,
    read_complete_manifest,
    read_manifest,
    write_manifest,
)
from indexer.store.records import CorpusRecord, SegmentRecord, ShardRecord
from tests.indexer.builder.conftest import make_sentences, write_corpus
from tests.indexer.builder.fakes import loader
from tests.indexer.store.samples import sample_settings


def sample_manifest() -> Manifest:
    shard = ShardRecord(
        index=0,
        first_sentence=0,
        n_sentences=3,
        first_occurrence=0,
        n_occurrences=10,
        files={"occurrences/part-00000.parquet": {"bytes": 5, "sha256": "ab"}},
    )
    corpus = CorpusRecord(path="c.txt", format="text", bytes=40, fingerprint="f", first_shard=0)
    return Manifest(
        settings=sample_settings(layers=(2,), dtype="float16", dim=4),
        corpora=[corpus],
        segments=[SegmentRecord(id=0, first_shard=0)],
        shards=[shard],
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
    path.write_text(json.dumps(data | {"format_version": 1}))
    with pytest.raises(IndexStateError, match=r"format version 1.*`indexer upgrade .*`"):
        read_manifest(tmp_path)


def test_incomplete_build_is_refused_by_the_read_side(tmp_path):
    write_manifest(IndexLayout(tmp_path), sample_manifest())
    with pytest.raises(IndexStateError, match=r"not finished \(1 shard, 10 occurrences so far\)"):
        read_complete_manifest(tmp_path)


def written_back(path: Path) -> str:
    """``manifest.json`` read into the typed records and written out again."""
    return manifest_text(Manifest.from_dict(json.loads(path.read_text(encoding="utf-8"))))


def test_a_real_manifest_is_written_back_byte_for_byte(tmp_path):
    """Every part of a real build's manifest (settings, shards, lexicon, indexes of both kinds,
    a stopped run and finished ones) comes back as the same bytes."""
    corpus = write_corpus(tmp_path / "corpus.txt", make_sentences(120, seed=4))
    out = tmp_path / "idx"
    config = BuildConfig(out=out, shard_rows=200, state="carry", carry_batch_size=4)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_build(corpus, config, load_encoder=loader(fail_after=70))
    partial = (out / "manifest.json").read_text(encoding="utf-8")
    assert '"state": "state/part-' in partial and '"lexicon": null' in partial
    assert written_back(out / "manifest.json") == partial
    run_build(corpus, config, load_encoder=loader())
    run_build(
        corpus,
        BuildConfig(out=tmp_path / "hnsw", index="hnsw", layers=(0, 2), shard_rows=300),
        load_encoder=loader(),
    )
    for root in (out, tmp_path / "hnsw"):
        text = (root / "manifest.json").read_text(encoding="utf-8")
        assert written_back(root / "manifest.json") == text
        manifest = read_manifest(root)
        assert manifest.complete and manifest.segments[0].lexicon is not None
        assert set(manifest.segments[0].indexes) == set(manifest.layers)
    runs = read_manifest(out).runs
    assert [run.encoded_tokens is None for run in runs] == [True, False]
    assert runs[1].resumed_from_shard > 0
    assert read_manifest(tmp_path / "hnsw").segments[0].indexes[2].recall.measured
