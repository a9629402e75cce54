"""``SenseIndex.senses``: every occurrence assigned, the result kept in the index directory and
read back, stale after an append, examples nearest to the centres, identical sentences once."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from indexer.builder.pipeline import build
from indexer.errors import QueryError
from indexer.store.layout import IndexLayout
from query.index import SenseIndex
from tests.query.senses.conftest import SenseCorpus, training_lines
from tools.sample_corpus import generate_heldout


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_every_occurrence_has_its_sense_and_distance_to_the_centre(sense_corpus: SenseCorpus):
    index = sense_corpus.open()
    result = index.senses("spring", keep=False)
    ids = index.occurrence_ids("spring")
    frame = result.assignments()
    assert list(frame.columns) == ["occurrence", "sense", "distance"]
    assert np.array_equal(frame["occurrence"].to_numpy(), ids)
    vectors = unit(index.vectors(ids, 2).astype(np.float64))
    own = 1 - np.einsum("ij,ij->i", vectors, result.centres[result.labels].astype(np.float64))
    np.testing.assert_allclose(result.distances, own, atol=1e-5)
    nearest = np.argmax(vectors @ result.centres.T, axis=1)
    assert np.array_equal(nearest, result.labels)
    sizes = np.bincount(result.labels, minlength=len(result))
    assert [s.size for s in result] == sizes.tolist() == sorted(sizes.tolist(), reverse=True)
    assert sum(s.share for s in result) == pytest.approx(1.0)
    for sense in result:
        members = result.labels == sense.sense
        assert sense.spread == pytest.approx(float(result.distances[members].mean()), abs=1e-6)
    records = result.assignment_records()
    assert records[0] == {
        "occurrence": int(ids[0]),
        "sense": int(result.labels[0]),
        "distance": float(result.distances[0]),
    }


def test_examples_are_the_occurrences_nearest_to_each_centre(sense_corpus: SenseCorpus):
    index = sense_corpus.open()
    result = index.senses("bat", examples=3, keep=False)
    for sense in result:
        assert [e.rank for e in sense.examples] == [1, 2, 3]
        members = result.labels == sense.sense
        nearest = np.sort(result.distances[members])[:3]
        np.testing.assert_allclose([e.distance for e in sense.examples], nearest, atol=1e-7)
        for example in sense.examples:
            stored = index.occurrence(example.occurrence)
            assert (example.token, example.sentence) == ("bat", stored.sentence)
            assert result.labels[result.occurrence_ids == example.occurrence][0] == sense.sense


def test_json_and_frames_carry_the_same_sense_ids(sense_corpus: SenseCorpus):
    result = sense_corpus.open().senses("mouse", keep=False)
    data = json.loads(json.dumps(result.to_json()))
    assert (data["word"], data["layer"]) == ("mouse", 2)
    assert [s["sense"] for s in data["senses"]] == [0, 1]
    assert {"sense", "size", "share", "label", "examples"} <= set(data["senses"][0])
    assert set(result.assignments()["sense"]) == {s["sense"] for s in data["senses"]}
    frame = result.to_pandas()
    assert list(frame["size"]) == [s["size"] for s in data["senses"]]
    assert frame["label"][0] == ", ".join(data["senses"][0]["label_words"])
    assert data["senses"][0]["examples"][0]["sense"] == 0


def test_the_result_is_kept_as_parquet_and_read_back(sense_corpus: SenseCorpus, tmp_path: Path):
    copy = sense_corpus.copy(tmp_path)
    first = copy.open().senses("plant")
    assert not first.cached
    folder = IndexLayout(copy.path).senses(2, "plant", "auto")
    assert folder == copy.path / "senses" / "layer=2" / "word=plant" / "senses=auto"
    assignments = pd.read_parquet(folder / "assignments.parquet")
    assert np.array_equal(assignments["sense"].to_numpy(), first.labels)
    relation = duckdb.sql(f"SELECT sense, size FROM '{folder / 'senses.parquet'}' ORDER BY sense")
    assert relation is not None
    sizes = relation.fetchall()
    assert sizes == [(s.sense, s.size) for s in first]
    again = copy.open().senses("plant")
    assert again.cached
    assert np.array_equal(again.labels, first.labels)
    assert np.array_equal(again.distances, first.distances)
    assert again.to_json() == first.to_json()
    forced = copy.open().senses("plant", n=3)
    assert len(forced) == 3 and not forced.cached
    assert (copy.path / "senses" / "layer=2" / "word=plant" / "senses=3").is_dir()


def test_an_append_makes_the_kept_result_stale(sense_corpus: SenseCorpus, tmp_path: Path):
    copy = sense_corpus.copy(tmp_path)
    before = copy.open().senses("bank")
    seen = [s.text for s in copy.sentences] + training_lines()
    more = generate_heldout(20, 991, seen, word="bank")
    corpus = tmp_path / "more.txt"
    corpus.write_text("".join(f"{s.text}\n" for s in more), encoding="utf-8")
    build(corpus, model="demo", out=str(copy.path), append=True, progress=False)
    after = copy.open().senses("bank")
    assert not after.cached
    assert after.n_occurrences == before.n_occurrences + 20
    assert copy.open().senses("bank").cached


def test_a_damaged_kept_file_is_computed_again(
    sense_corpus: SenseCorpus, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    copy = sense_corpus.copy(tmp_path)
    first = copy.open().senses("match")
    folder = IndexLayout(copy.path).senses(2, "match", "auto")
    (folder / "assignments.parquet").write_bytes(b"not parquet")
    with caplog.at_level(logging.WARNING):
        again = copy.open().senses("match")
    assert not again.cached and "computing again" in caplog.text
    assert np.array_equal(again.labels, first.labels)


def test_bad_requests_name_the_value(sense_corpus: SenseCorpus):
    index = sense_corpus.open()
    with pytest.raises(QueryError, match="from 1 to 8, got 9"):
        index.senses("bank", n=9)
    with pytest.raises(QueryError, match="does not occur"):
        index.senses("bnak")
    with pytest.raises(QueryError, match="layer 5"):
        index.senses("bank", layer=5)


@pytest.fixture(scope="module")
def repeated(tmp_path_factory: pytest.TempPathFactory) -> SenseIndex:
    """Bank sentences where one boilerplate sentence occurs five times."""
    root = tmp_path_factory.mktemp("repeated")
    sentences = [s.text for s in generate_heldout(30, 5, training_lines(), word="bank")]
    boilerplate = sentences[0]
    lines = [*sentences, boilerplate, boilerplate, boilerplate, boilerplate]
    (root / "corpus.txt").write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    build(root / "corpus.txt", model="demo", out=str(root / "index"), progress=False)
    return SenseIndex.open(root / "index")


def test_neighbors_dedupe_shows_identical_sentences_once(repeated: SenseIndex):
    query = repeated.occurrence(int(repeated.occurrence_ids("bank")[0]))
    plain = repeated.neighbors(occurrence=query.occurrence, k=10)
    assert [hit.sentence for hit in plain.hits[:4]] == [query.sentence] * 4  # its four copies
    assert [hit.distance for hit in plain.hits[:4]] == [0.0] * 4
    deduped = repeated.neighbors(occurrence=query.occurrence, k=6, dedupe=True)
    sentences = [hit.sentence for hit in deduped]
    assert len(sentences) == len(set(sentences)) == 6
    assert [hit.rank for hit in deduped] == [1, 2, 3, 4, 5, 6]
    assert (deduped[0].sentence, deduped[0].duplicates) == (query.sentence, 3)
    assert [hit.duplicates for hit in deduped.hits[1:]] == [0] * 5
    assert [hit.occurrence for hit in deduped.hits[1:]] == [
        hit.occurrence for hit in plain.hits[4:9]
    ]


def test_sense_examples_dedupe(repeated: SenseIndex):
    result = repeated.senses("bank", n=1, examples=40, dedupe=True, keep=False)
    sentences = [e.sentence for e in result[0].examples]
    assert len(sentences) == len(set(sentences)) == 30
    counts = {e.sentence: e.duplicates for e in result[0].examples}
    assert sorted(counts.values())[-1] == 4 and sum(counts.values()) == 4


def test_more_examples_than_kept_are_read_in_order(sense_corpus: SenseCorpus, tmp_path: Path):
    copy = sense_corpus.copy(tmp_path)
    copy.open().senses("bank", n=1)  # kept: its 50 nearest
    result = copy.open().senses("bank", n=1, examples=70)
    assert result.cached
    examples = result[0].examples
    assert [e.rank for e in examples] == list(range(1, 71))
    distances = [e.distance for e in examples]
    np.testing.assert_allclose(distances, np.sort(result.distances)[:70], atol=1e-7)
    index = copy.open()
    assert all(index.occurrence(e.occurrence).sentence == e.sentence for e in examples[48:])
