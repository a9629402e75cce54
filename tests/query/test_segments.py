"""Queries over several segments (a build, then an append) answer as one build does, before and
after ``indexer optimize``; indexes of compact codes are re-ranked from the stored vectors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer.builder.optimize import optimize
from indexer.builder.pipeline import build
from query import SenseIndex
from tests.indexer.encoder.fixtures import make_allennlp_model
from tests.query.conftest import make_corpus


def hits(result) -> list[tuple[int | None, int, float]]:
    return [(h.query_occurrence, h.occurrence, round(h.distance, 5)) for h in result]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(two segments, one build) of the same sentences, and a copy of the former to optimize."""
    root = tmp_path_factory.mktemp("segments")
    model = make_allennlp_model(root / "model", seed=0)
    sentences = make_corpus(60, seed=9)
    a, b, both = root / "a.txt", root / "b.txt", root / "ab.txt"
    a.write_text("\n".join(sentences[:35]) + "\n", encoding="utf-8")
    b.write_text("\n".join(sentences[35:]) + "\n", encoding="utf-8")
    both.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    options = {"model": str(model), "shard_rows": 150, "device": "cpu", "layers": (1, 2)}
    build(a, out=root / "segmented", **options)
    build(b, out=root / "segmented", append=True, **options)
    build(both, out=root / "whole", **options)
    return root / "segmented", root / "whole"


def test_two_segments_answer_as_one_build(pair, tmp_path):
    segmented, whole = pair
    two, one = SenseIndex.open(segmented), SenseIndex.open(whole)
    assert two.info().segments == 2 and one.info().segments == 1
    assert two.occurrence_ids("bank").tolist() == one.occurrence_ids("bank").tolist()
    assert hits(two.neighbors("bank", k=5, limit=20)) == hits(one.neighbors("bank", k=5, limit=20))
    for occurrence in (3, 250, int(one.occurrence_ids("swan")[-1])):
        a = two.neighbors(occurrence=occurrence, scope="all", k=8)
        b = one.neighbors(occurrence=occurrence, scope="all", k=8)
        assert hits(a) == hits(b)
    ids = one.occurrence_ids("river")
    assert np.array_equal(two.vectors(ids, 2), one.vectors(ids, 2))

    merged = Path(shutil.copytree(segmented, tmp_path / "merged"))
    optimize(merged)
    after = SenseIndex.open(merged)
    assert after.info().segments == 1
    assert hits(after.neighbors("bank", k=5, limit=20)) == hits(one.neighbors("bank", k=5))
    a = after.neighbors(occurrence=250, scope="all", k=8)
    assert hits(a) == hits(one.neighbors(occurrence=250, scope="all", k=8))


def build_compact(root: Path, sentences: int, seed: int, train_sample: int) -> Path:
    """Layer 2 of the tiny model over ``sentences`` sentences, indexed with IVF-PQ codes (the
    automatic choice, here past 100 vectors)."""
    model = make_allennlp_model(root / "model", seed=0)
    corpus = root / "c.txt"
    corpus.write_text("\n".join(make_corpus(sentences, seed=seed)) + "\n", encoding="utf-8")
    options = {"flat_max_vectors": 100, "train_sample": train_sample, "recall_queries": 50}
    out = root / "idx"
    build(corpus, model=str(model), out=out, device="cpu", layers=(2,), index_options=options)
    return out


def test_compact_codes_are_re_ranked_from_the_stored_vectors(tmp_path):
    """An IVF-PQ index (the automatic choice past ``flat_max_vectors``) finds the exact top k
    after re-ranking; the manifest records the recall measured that way."""
    idx = SenseIndex.open(build_compact(tmp_path, 300, seed=2, train_sample=4000))
    entry = idx.reader.manifest.segments[0].indexes[2]
    assert entry.plan["family"] == "ivf-pq" and entry.recall.candidates == 1000
    assert entry.recall.recall_at_k >= 0.95
    vectors = idx.vectors(np.arange(idx.reader.n_occurrences), 2).astype(np.float64)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    for occurrence in (0, 777, 2001):
        found = idx.neighbors(occurrence=occurrence, scope="all", k=5)
        exact = 1 - unit @ unit[occurrence]
        exact[occurrence] = np.inf
        best = np.sort(exact)[:5]
        assert np.allclose(sorted(h.distance for h in found), best, atol=1e-5)


def test_queries_re_rank_as_many_candidates_as_the_build_calibrated(tmp_path):
    out = build_compact(tmp_path, 120, seed=3, train_sample=2000)
    manifest_path = out / "manifest.json"
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    data["segments"][0]["indexes"]["2"]["recall"]["candidates"] = 3000
    manifest_path.write_text(json.dumps(data), encoding="utf-8")
    search = SenseIndex.open(out).approximate
    assert (search.default_candidates(2, 10), search.default_candidates(2, 20)) == (3000, 6000)
    assert search.default_candidates(2, 1) == 1000  # never fewer than for lossy codes
