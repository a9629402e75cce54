"""End-to-end builds with the fake encoder: files, counts, lexicon, KWIC, reruns and resume."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from indexer.builder import BuildConfig, run_build
from indexer.errors import ConfigError, CorpusError, IndexStateError
from indexer.index import load_index
from indexer.store import read_manifest
from indexer.store.directory import exclusive
from indexer.store.layout import IndexLayout
from indexer.store.reader import IndexReader, layer_vectors
from tests.indexer.builder.fakes import expected_vectors, loader

DIM, LAYERS = 8, 3


def build(corpus: Path, out: Path, **options):
    options.setdefault("shard_rows", 400)
    fake = options.pop("fake", {})
    return run_build(corpus, BuildConfig(out=out, **options), load_encoder=loader(**fake))


def all_vectors(out: Path, layer: int) -> np.ndarray:
    table = pq.read_table(out / "vectors" / f"layer={layer}")
    occ = table.column("occ_id").to_numpy()
    assert np.array_equal(occ, np.arange(len(occ)))
    flat = table.column("vector").combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return flat.reshape(len(occ), -1)


def test_build_writes_every_table(tmp_path, corpus, sentences):
    out = tmp_path / "idx"
    report = build(corpus, out, dtype="float32")
    n_tokens = sum(map(len, sentences))
    assert (report.sentences, report.tokens, report.documents) == (200, n_tokens, 1)
    assert report.shards == len(read_manifest(out).shards) == 4
    assert report.types == len({t for s in sentences for t in s})

    occ = pd.read_parquet(out / "occurrences")
    assert occ["occ_id"].tolist() == list(range(n_tokens))
    assert occ["token"].tolist() == [t for s in sentences for t in s]
    assert occ["position"].tolist() == [i for s in sentences for i in range(len(s))]
    assert occ["sent_id"].tolist() == [k for k, s in enumerate(sentences) for _ in s]
    assert set(occ["doc_id"]) == {"d0"}

    sent = pd.read_parquet(out / "sentences")
    assert sent["text"].tolist() == [" ".join(s) for s in sentences]
    assert sent["source_line"].tolist() == list(range(1, 201))
    assert sent["first_occ"].tolist() == list(np.cumsum([0] + [len(s) for s in sentences[:-1]]))
    row = occ.iloc[77]
    words = sent.loc[row["sent_id"], "text"].split(" ")
    assert words[row["position"]] == row["token"]

    for layer in range(LAYERS):
        want = np.concatenate([expected_vectors(s, DIM, LAYERS)[layer] for s in sentences])
        assert np.array_equal(all_vectors(out, layer), want)
        assert np.array_equal(layer_vectors(IndexLayout(out), read_manifest(out), layer)[:], want)


def test_lexicon_and_index(tmp_path, corpus, sentences):
    out = tmp_path / "idx"
    build(corpus, out, layers=(0, 2))
    flat = [t for s in sentences for t in s]
    lexicon = IndexReader(out).lexicon
    assert {t: lexicon.count(t) for t in lexicon.tokens} == Counter(flat)
    for token in ("bank", "w0", "naïve"):
        assert lexicon.occurrences(token).tolist() == [i for i, t in enumerate(flat) if t == token]
    manifest = read_manifest(out)
    assert manifest.complete and sorted(manifest.segments[0].indexes) == [0, 2]
    assert not (out / "vectors" / "layer=1").exists()
    index = load_index(out / manifest.segments[0].indexes[2].path)
    assert index.ntotal == len(flat)
    assert manifest.segments[0].indexes[2].recall.recall_at_k == pytest.approx(1.0)
    query = layer_vectors(IndexLayout(out), manifest, 2)[:][5:6].astype(np.float32)
    _, ids = index.search(query / np.linalg.norm(query), 1)
    assert flat[ids[0, 0]] == flat[5]


def test_skip_counts_reach_manifest_and_report(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_bytes(
        b"a b c\n" + b"bad \xff byte\n" + b" ".join([b"x"] * 20) + b"\n\n" + b"d e\n"
    )
    out = tmp_path / "idx"
    report = build(corpus, out, errors="skip", max_sentence_tokens=8, long_sentences="split")
    stats = read_manifest(out).reader_stats()
    assert stats["skipped_encoding"] == 1 and stats["split_long"] == 1
    assert report.skipped["skipped_encoding"] == 1 and report.skipped["split_long"] == 1
    assert report.sentences == 1 + 3 + 1 and report.tokens == 3 + 20 + 2
    report = build(
        corpus, tmp_path / "b", errors="skip", max_sentence_tokens=8, long_sentences="skip"
    )
    assert report.skipped["skipped_long"] == 1 and report.tokens == 5


def test_invalid_utf8_stops_with_file_and_line(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_bytes(b"a b\nc \xff d\n")
    with pytest.raises(CorpusError, match=r"c\.txt:2"):
        build(corpus, tmp_path / "idx")


def test_rerun_same_settings_is_done_other_settings_refused(tmp_path, corpus):
    out = tmp_path / "idx"
    build(corpus, out)
    before = (out / "manifest.json").read_text()
    again = build(corpus, out)
    assert again.already_complete and again.encoded_tokens == 0
    assert (out / "manifest.json").read_text() == before
    with pytest.raises(IndexStateError, match=r"dtype: 'float16' -> 'float32'.*--overwrite"):
        build(corpus, out, dtype="float32")
    with pytest.raises(IndexStateError, match=r"model.identity"):
        build(corpus, out, fake={"identity": "other-model"})
    report = build(corpus, out, dtype="float32", overwrite=True)
    assert not report.already_complete and read_manifest(out).dtype == "float32"
    assert not any((out / "matrix").glob("*.f16"))


def test_resume_flag_needs_a_build_and_excludes_overwrite(tmp_path, corpus):
    with pytest.raises(IndexStateError, match="no build to resume"):
        build(corpus, tmp_path / "idx", resume=True)
    with pytest.raises(ConfigError, match="exclude"):
        BuildConfig(resume=True, overwrite=True)


def test_foreign_directory_is_refused(tmp_path, corpus):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(IndexStateError, match="holds no index"):
        build(corpus, out)
    build(corpus, out, overwrite=True)
    assert (out / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("state", ["warm", "carry"])
def test_resume_after_crash_equals_uninterrupted(tmp_path, corpus, state):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    build(corpus, whole, state=state, carry_batch_size=4)
    with pytest.raises(RuntimeError, match="simulated crash"):
        build(corpus, broken, state=state, carry_batch_size=4, fake={"fail_after": 90})
    partial = read_manifest(broken)
    assert not partial.complete and 0 < len(partial.shards) < read_manifest(whole).n_sentences
    report = build(corpus, broken, state=state, carry_batch_size=4)
    assert report.resumed_from_shard == len(partial.shards)
    assert report.encoded_tokens == report.tokens - partial.n_occurrences
    assert_same_index(whole, broken)


def assert_same_index(a: Path, b: Path) -> None:
    ma, mb = read_manifest(a), read_manifest(b)
    assert [s.files for s in ma.shards] == [s.files for s in mb.shards]
    assert [s.lexicon for s in ma.segments] == [s.lexicon for s in mb.segments]
    assert ma.corpora == mb.corpora and ma.types == mb.types
    for layer in ma.layers:
        assert np.array_equal(all_vectors(a, layer), all_vectors(b, layer))
        ia, ib = (load_index(x / "index" / "segment=0" / f"layer={layer}.faiss") for x in (a, b))
        assert ia.ntotal == ib.ntotal
        assert ma.segments[0].indexes[layer].sha256 == mb.segments[0].indexes[layer].sha256
    assert sorted(
        p.relative_to(a).as_posix() for p in a.rglob("*") if p.name != "manifest.json"
    ) == sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.name != "manifest.json")


def test_carry_state_is_restored_on_resume(tmp_path, corpus, sentences):
    out = tmp_path / "idx"
    with pytest.raises(RuntimeError):
        build(corpus, out, state="carry", carry_batch_size=4, fake={"fail_after": 150})
    shards = read_manifest(out).shards
    assert all(s.n_sentences % 4 == 0 for s in shards)
    last_state = shards[-1].state
    assert last_state is not None
    assert [p.name for p in (out / "state").iterdir()] == [Path(last_state).name]
    build(corpus, out, state="carry", carry_batch_size=4)
    want = np.concatenate(
        [expected_vectors(s, DIM, LAYERS, k % 7)[1] for k, s in enumerate(sentences)]
    )
    assert np.array_equal(all_vectors(out, 1), want.astype(np.float16))


def test_manifest_is_json_with_settings_counts_and_timings(tmp_path, corpus):
    out = tmp_path / "idx"
    build(corpus, out)
    data = json.loads((out / "manifest.json").read_text())
    assert list(data)[:3] == ["format", "format_version", "complete"]
    assert data["settings"]["model"] == {"identity": "fake-encoder-v1", "family": "fake", "dim": 8}
    assert data["settings"]["reader"]["format"] == "text"
    assert {"encode_s", "lexicon_s", "total_s"} <= set(data["timings"])
    shard = data["shards"][0]
    assert shard["first_occurrence"] == 0 and len(shard["files"]) == 2 + LAYERS


def test_empty_corpus_is_an_error(tmp_path):
    corpus = tmp_path / "empty.txt"
    corpus.write_text("\n\n")
    with pytest.raises(CorpusError, match="no sentence"):
        build(corpus, tmp_path / "idx")


def test_stdin_builds_but_cannot_be_resumed_or_compared(tmp_path, corpus, monkeypatch):
    out = tmp_path / "idx"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(corpus.read_bytes())))
    report = build(Path("-"), out)
    assert report.sentences == 200 and read_manifest(out).corpora[0].path == "-"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(corpus.read_bytes())))
    with pytest.raises(IndexStateError, match="from a pipe"):
        build(Path("-"), out)


def test_a_second_build_on_the_same_directory_is_refused(tmp_path, corpus):
    out = tmp_path / "idx"
    layout = IndexLayout(out)
    with exclusive(layout), pytest.raises(IndexStateError, match="another build is writing"):
        build(corpus, out)
    build(corpus, out)
    assert read_manifest(out).complete


def test_crash_before_the_first_shard_restarts_cleanly(tmp_path, corpus, sentences):
    out = tmp_path / "idx"
    with pytest.raises(RuntimeError):
        build(corpus, out, fake={"fail_after": 5})
    assert read_manifest(out).shards == []
    report = build(corpus, out)
    assert report.resumed_from_shard == 0 and report.tokens == sum(map(len, sentences))


class Recorder:
    """A progress sink that keeps what it was told."""

    bars = False

    def __init__(self) -> None:
        self.started: tuple[int, int | None, bool] | None = None
        self.done = 0
        self.seen: list[tuple[int, int | None, bool]] = []
        self.stages: list[tuple[str, int]] = []
        self.steps: list[str] = []
        self.notes: list[str] = []

    def start(self, done: int, total: int | None, exact: bool) -> None:
        self.started = (done, total, exact)
        self.done = done

    def advance(self, tokens: int, total: int | None, exact: bool) -> None:
        self.done += tokens
        self.seen.append((self.done, total, exact))

    def stage(self, name: str, steps: int) -> None:
        self.stages.append((name, steps))

    def step(self, message: str) -> None:
        self.steps.append(message)

    def note(self, message: str) -> None:
        self.notes.append(message)

    def close(self) -> None:
        pass


def test_progress_follows_the_tokens_encoded_then_the_index_steps(tmp_path, corpus):
    out = tmp_path / "idx"
    with pytest.raises(RuntimeError):
        build(corpus, out, fake={"fail_after": 90})
    committed = read_manifest(out).n_occurrences
    recorder = Recorder()
    config = BuildConfig(out=out, shard_rows=400)
    report = run_build(corpus, config, load_encoder=loader(), progress=recorder)
    assert recorder.started is not None
    done, total, _ = recorder.started
    assert done == committed > 0  # the committed shards' tokens count as done
    assert total is not None and total >= committed
    assert recorder.done == report.tokens == committed + report.encoded_tokens
    counts = [n for n, _, _ in recorder.seen]
    assert counts == sorted(counts) and counts[-1] == report.tokens
    assert all(t is not None and n <= t for n, t, _ in recorder.seen)  # never ahead of the work
    assert recorder.seen[-1][1:] == (report.tokens, True)  # exact once the input is read
    assert recorder.notes[0].startswith("resuming: skipping the ")
    assert recorder.stages == [("index", 5)]  # tables, lexicon, three layers
    assert len(recorder.steps) == 5
    assert recorder.steps[:2] == ["wrote the metadata tables", "built the lexicon (45 token types)"]
    assert recorder.steps[4].startswith("layer 2: Flat, recall@10 1.000")


def test_recall_is_measured_for_approximate_indexes_only(tmp_path, corpus):
    build(corpus, tmp_path / "flat", layers=(2,))
    flat = read_manifest(tmp_path / "flat").segments[0].indexes[2].recall
    assert flat.exact and not flat.measured and flat.recall_at_k == 1.0
    build(corpus, tmp_path / "hnsw", layers=(2,), index="hnsw")
    entry = read_manifest(tmp_path / "hnsw").segments[0].indexes[2]
    assert entry.factory.startswith("HNSW")
    assert entry.recall.measured and entry.recall.n_queries == 200
    assert 0.5 <= entry.recall.recall_at_k <= 1.0
