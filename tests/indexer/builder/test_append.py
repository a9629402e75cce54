"""Appending a corpus as a new segment, killed or not, and merging segments with optimize."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from indexer.builder import BuildConfig, run_build
from indexer.builder.optimize import optimize
from indexer.errors import IndexStateError
from indexer.index import load_index
from indexer.store import read_manifest
from indexer.store.reader import IndexReader
from indexer.store.verify import verify_index
from tests.indexer.builder.conftest import make_sentences, write_corpus
from tests.indexer.builder.fakes import expected_vectors, loader
from tests.indexer.builder.test_build import all_vectors
from tests.indexer.builder.test_kill import kill_after, start

SHARD_ROWS = 400
DIM, LAYERS = 8, 3


def build(corpus: Path, out: Path, **options):
    options.setdefault("shard_rows", SHARD_ROWS)
    return run_build(corpus, BuildConfig(out=out, **options), load_encoder=loader())


@pytest.fixture
def parts(tmp_path):
    """Corpus A, corpus B, and A followed by B in one file (A ends with a document break,
    so that B's first sentence starts a document in both)."""
    a, b = make_sentences(150, seed=5), make_sentences(120, seed=6)
    first = write_corpus(tmp_path / "a.txt", a)
    second = write_corpus(tmp_path / "b.txt", b)
    both = tmp_path / "ab.txt"
    both.write_text(first.read_text() + "\n" + second.read_text(), encoding="utf-8")
    return first, second, both, a + b


def occurrence_table(root: Path) -> pd.DataFrame:
    return pd.read_parquet(root / "occurrences").drop(columns="doc_id")


def sentence_table(root: Path) -> pd.DataFrame:
    table = pd.read_parquet(root / "sentences").drop(columns=["doc_id", "source_line"])
    return table.reset_index(drop=True)


def test_append_gives_the_occurrences_vectors_and_answers_of_one_build(tmp_path, parts):
    first, second, both, sentences = parts
    appended, whole = tmp_path / "appended", tmp_path / "whole"
    build(first, appended)
    report = build(second, appended, append=True)
    build(both, whole)
    assert report.encoded_tokens == sum(map(len, sentences[150:]))
    assert report.tokens == sum(map(len, sentences))

    manifest = read_manifest(appended)
    assert [c.path for c in manifest.corpora] == [str(first), str(second)]
    assert [s.id for s in manifest.segments] == [0, 1]
    assert manifest.segments[1].first_shard == manifest.corpora[1].first_shard > 0
    assert manifest.complete and verify_index(appended) == []
    pd.testing.assert_frame_equal(occurrence_table(appended), occurrence_table(whole))
    pd.testing.assert_frame_equal(sentence_table(appended), sentence_table(whole))
    for layer in range(LAYERS):
        assert np.array_equal(all_vectors(appended, layer), all_vectors(whole, layer))
        want = np.concatenate([expected_vectors(s, DIM, LAYERS)[layer] for s in sentences])
        assert np.array_equal(all_vectors(appended, layer), want.astype(np.float16))

    reader, one = IndexReader(appended), IndexReader(whole)
    assert reader.lexicon.tokens == one.lexicon.tokens
    for token in ("bank", "w0", "naïve"):
        assert reader.lexicon.occurrences(token).tolist() == one.lexicon.occurrences(token).tolist()
    assert manifest.types == read_manifest(whole).types
    segment_ids = [load_index(f.path).ntotal for f in reader.index_files(2) or []]
    assert segment_ids == [n.n for n in reader.index_files(2) or []]
    assert sum(segment_ids) == manifest.n_occurrences
    assert manifest.segments[1].indexes[2].path == "index/segment=1/layer=2.faiss"

    # Appending the same corpus again is recognised as done, not appended twice.
    again = build(second, appended, append=True)
    assert again.already_complete and len(read_manifest(appended).corpora) == 2


def test_append_refuses_other_settings_and_unfinished_builds(tmp_path, parts):
    first, second, _, _ = parts
    out = tmp_path / "idx"
    build(first, out, layers=(0, 2))
    with pytest.raises(
        IndexStateError, match=r"cannot be appended \(layers: \[0, 2\] -> \[0, 1, 2\]"
    ):
        build(second, out, append=True, layers=(0, 1, 2))
    with pytest.raises(IndexStateError, match=r"cannot be appended \(dtype: 'float16' -> 'int8'"):
        build(second, out, append=True, dtype="int8")
    with pytest.raises(IndexStateError, match="holds no index to append to"):
        build(second, tmp_path / "new", append=True)
    broken = tmp_path / "broken"
    with pytest.raises(RuntimeError):
        run_build(
            first,
            BuildConfig(out=broken, shard_rows=SHARD_ROWS),
            load_encoder=loader(fail_after=60),
        )
    with pytest.raises(IndexStateError, match="the build is not finished"):
        build(second, broken, append=True)


def test_an_append_takes_every_setting_it_is_not_given_from_the_index(tmp_path, parts):
    first, second, _, _ = parts
    out = tmp_path / "idx"
    chosen: dict[str, Any] = dict(
        model="demo", layers=(0, 2), dtype="float32", errors="replace", max_sentence_tokens=9
    )
    run_build(first, BuildConfig(out=out, shard_rows=300, **chosen), load_encoder=loader())
    before = read_manifest(out).settings
    seen: list[BuildConfig] = []

    def load(config: BuildConfig):
        seen.append(config)
        return loader()(config)

    report = run_build(second, BuildConfig(out=out, append=True), load_encoder=load)
    (config,) = seen
    assert (config.model, config.layers, config.dtype, config.shard_rows) == (
        "demo",
        (0, 2),
        "float32",
        300,
    )
    assert (config.errors, config.max_sentence_tokens) == ("replace", 9)
    manifest = read_manifest(out)
    assert manifest.settings == before and len(manifest.corpora) == 2
    assert report.layers == (0, 2) and report.dtype == "float32"


def test_sigkill_during_an_append_then_rerun_gives_the_uninterrupted_append(tmp_path, parts):
    first, second, _, _ = parts
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for out in (clean, killed):
        build(first, out)
    build(second, clean, append=True)
    base = len(read_manifest(killed).shards)
    proc = start(second, killed, "warm", delay=0.01, append=True)
    kill_after(proc, killed, shards=base + 1)
    partial = read_manifest(killed)
    assert not partial.complete and len(partial.corpora) == 2 and len(partial.segments) == 2
    with pytest.raises(IndexStateError, match="the build is not finished"):
        IndexReader(killed)
    report = build(second, killed, append=True)
    assert report.resumed_from_shard == len(partial.shards)
    a, b = read_manifest(clean), read_manifest(killed)
    assert [s.files for s in a.shards] == [s.files for s in b.shards]
    assert [s.files() for s in a.segments] == [s.files() for s in b.segments]
    assert [dataclasses.replace(c, path="") for c in a.corpora] == [
        dataclasses.replace(c, path="") for c in b.corpora
    ]
    assert not list(killed.rglob("*.tmp"))


def test_optimize_merges_segments_into_one(tmp_path, parts):
    first, second, both, _ = parts
    out, whole = tmp_path / "idx", tmp_path / "whole"
    build(first, out)
    build(second, out, append=True)
    build(both, whole)
    before = IndexReader(out).lexicon.tokens
    report = optimize(out)
    assert (report.segments_before, report.segments_after) == (2, 1)
    manifest = read_manifest(out)
    (segment,) = manifest.segments
    assert segment.id == 2 and segment.first_shard == 0 and manifest.complete
    assert sorted(p.name for p in (out / "lexicon").iterdir()) == ["segment=2"]
    assert sorted(p.name for p in (out / "index").iterdir()) == ["segment=2"]
    assert verify_index(out) == []
    assert IndexReader(out).lexicon.tokens == before
    assert segment.lexicon is not None
    lexicon = json.loads((out / "manifest.json").read_text())["segments"][0]["lexicon"]
    whole_lexicon = json.loads((whole / "manifest.json").read_text())["segments"][0]["lexicon"]
    # the same lexicon files, byte for byte, as one build of both corpora
    assert [e["sha256"] for e in lexicon["files"].values()] == [
        e["sha256"] for e in whole_lexicon["files"].values()
    ]
    assert optimize(out).segments_before == 1  # nothing left to merge
