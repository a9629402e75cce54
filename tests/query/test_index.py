"""SenseIndex against a real tiny index: exact search, FAISS scope, contexts, distance tables."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.errors import QueryError
from query import SenseIndex
from query.results import HIT_FIELDS, OCCURRENCE_FIELDS
from tests.query.conftest import NOTEBOOK


def reference_distances(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """1 - cosine in float64, as scikit-learn's cosine_distances computes it."""
    dots = vectors @ query
    return 1.0 - dots / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(query))


def check_nearest(hits, ids, distances, k):
    """``hits`` are the k nearest of ``ids`` by ``distances`` (ties may be in any order)."""
    order = np.argsort(distances, kind="stable")
    want = distances[order][:k]
    got = np.array([hit.distance for hit in hits])
    np.testing.assert_allclose(got, want, atol=2e-5)
    assert got.tolist() == sorted(got.tolist())
    kth = want[-1]
    strictly_closer = {int(ids[i]) for i in order if distances[i] < kth - 1e-4}
    assert strictly_closer <= {hit.occurrence for hit in hits}


@pytest.fixture(scope="module")
def idx(built) -> SenseIndex:
    return SenseIndex.open(built.path)


def test_occurrences_and_vectors_match_the_files(idx, built):
    tokens = built.tokens()
    ids = idx.occurrence_ids("bank")
    assert ids.tolist() == [i for i, t in enumerate(tokens) if t == "bank"]
    listed = idx.occurrences("bank", limit=5)
    assert len(listed) == 5 and len(listed.ids) == len(ids)
    first = listed[0]
    assert (first.occurrence, first.token, first.sent_id, first.position) == (1, "bank", 0, 1)
    assert first.sentence == NOTEBOOK[0] and first.doc_id == "d0"
    frame = listed.to_pandas()
    assert list(frame.columns) == list(OCCURRENCE_FIELDS)
    assert frame["occurrence"].tolist() == ids[:5].tolist()
    for layer in (0, 1, 2):
        stored = built.stored_vectors(layer)
        np.testing.assert_array_equal(idx.vectors(ids, layer), stored[ids].astype(np.float32))
    assert idx.vectors(ids, 2).dtype == np.float32


def test_every_occurrence_record_is_right(idx, built):
    tokens = built.tokens()
    starts = np.cumsum([0] + [len(s.split(" ")) for s in built.sentences])
    records = idx.rows.lookup(np.arange(len(tokens))[::-1])
    for record in records:
        sent = int(np.searchsorted(starts, record.occurrence, side="right") - 1)
        assert record.token == tokens[record.occurrence]
        assert record.sent_id == sent
        assert record.position == record.occurrence - starts[sent]
        assert record.sentence == built.sentences[sent]


def test_neighbors_of_an_occurrence_same_word(idx, built):
    ids = idx.occurrence_ids("bank")
    stored = built.stored_vectors(2)
    query = int(ids[7])
    result = idx.neighbors("bank", layer=2, k=5, occurrence=query)
    assert len(result) == 5 and result.word == "bank"
    assert all(hit.token == "bank" and hit.query_occurrence == query for hit in result)
    assert query not in {hit.occurrence for hit in result}
    others = ids[ids != query]
    check_nearest(result, others, reference_distances(stored[others], stored[query]), 5)
    assert [hit.rank for hit in result] == [1, 2, 3, 4, 5]
    frame = result.to_pandas()
    assert list(frame.columns) == list(HIT_FIELDS) and len(frame) == 5
    assert frame["distance"].tolist() == [hit.distance for hit in result]


def test_word_defaults_to_the_occurrence_token(idx):
    result = idx.neighbors(occurrence=2, layer=1, k=3)
    assert result.word == "is" and all(hit.token == "is" for hit in result)
    with pytest.raises(QueryError, match="occurrence 2 is 'is', not 'bank'"):
        idx.neighbors("bank", occurrence=2)


def test_neighbors_across_every_occurrence_of_the_word(idx, built):
    ids = idx.occurrence_ids("river")
    result = idx.neighbors("river", layer=1, k=4, limit=6)
    assert [p.occurrence for p in result.queries] == ids[:6].tolist()
    stored = built.stored_vectors(1)
    for point, hits in result.groups():
        assert len(hits) == 4 and {h.query_occurrence for h in hits} == {point.occurrence}
        others = ids[ids != point.occurrence]
        q = stored[point.occurrence]
        check_nearest(hits, others, reference_distances(stored[others], q), 4)
    assert len(idx.neighbors("river", layer=1, k=2, limit=None).queries) == len(ids)


def test_layer_zero_ties_are_zero_and_ordered_by_id(idx):
    result = idx.neighbors("bank", layer=0, k=6, occurrence=int(idx.occurrence_ids("bank")[3]))
    assert [hit.distance for hit in result] == [0.0] * 6
    got = [hit.occurrence for hit in result]
    assert got == sorted(got)
    again = idx.neighbors("bank", layer=0, k=6, occurrence=result.queries[0].occurrence)
    assert [hit.occurrence for hit in again] == got


def test_scope_all_equals_exact_search_over_every_occurrence(idx, built):
    stored = built.stored_vectors(2)
    every = np.arange(len(stored))
    query = int(idx.occurrence_ids("swan")[2])
    result = idx.neighbors("swan", layer=2, k=8, occurrence=query, scope="all")
    others = every[every != query]
    check_nearest(result, others, reference_distances(stored[others], stored[query]), 8)
    assert len({hit.token for hit in result}) >= 1
    tokens = built.tokens()
    assert all(hit.token == tokens[hit.occurrence] for hit in result)


def test_context_from_the_corpus_finds_itself(idx, built):
    sentence = built.sentences[10]
    words = sentence.split(" ")
    word = words[1]
    start = sum(len(s.split(" ")) for s in built.sentences[:10])
    own = start + 1
    for scope in ("same-word", "all"):
        result = idx.neighbors(word, layer=2, k=3, context=sentence, position=1, scope=scope)
        assert result.queries[0].occurrence is None and result.queries[0].position == 1
        assert result[0].distance < 1e-3
        assert own in {hit.occurrence for hit in result if hit.distance < 1e-3}
        assert result[0].query_occurrence is None


def test_context_word_position_and_token_list(idx):
    tokens = NOTEBOOK[0].split(" ")
    first = idx.neighbors("bank", layer=2, k=1, context=tokens)
    second = idx.neighbors("bank", layer=2, k=1, context=NOTEBOOK[0], position=6)
    assert first.queries[0].position == 1 and second.queries[0].position == 6
    assert first[0].occurrence == 1 and second[0].occurrence == 6
    assert first[0].distance == 0.0 and second[0].distance == 0.0


def test_the_mark_picks_the_word_in_the_api(idx):
    """A context sentence or a distance item may mark its word as [[word]], as on the CLI."""
    marked = "The bank is located at the [[bank]] of Thames ."
    by_mark = idx.neighbors(layer=2, k=3, context=marked)
    by_position = idx.neighbors("bank", layer=2, k=3, context=NOTEBOOK[0], position=6)
    assert by_mark.word == "bank" and by_mark.queries[0].position == 6
    assert [h.occurrence for h in by_mark] == [h.occurrence for h in by_position]
    assert by_mark[0].occurrence == 6 and by_mark[0].distance == 0.0
    table = idx.distances([marked, (NOTEBOOK[0], "bank", 6), 6], layers=(1, 2))
    for layer in (1, 2):
        assert np.array_equal(table.matrix(layer), np.zeros((3, 3), dtype=np.float32))
    with pytest.raises(QueryError, match="--position 1 disagrees with the"):
        idx.neighbors(context=marked, position=1)
    with pytest.raises(QueryError, match="marks 'bank'"):
        idx.neighbors("river", context=marked)


def test_context_must_hold_the_word(idx):
    with pytest.raises(QueryError, match="does not contain 'bank'"):
        idx.neighbors("bank", context="the river is wide .")
    with pytest.raises(QueryError, match="matching is case-sensitive"):
        idx.neighbors("bank", context="The Bank is closed .")
    with pytest.raises(QueryError, match="token 2 of the context sentence is 'is'"):
        idx.neighbors("bank", context=NOTEBOOK[0], position=2)
    with pytest.raises(QueryError, match="outside the context sentence"):
        idx.neighbors("bank", context=NOTEBOOK[0], position=40)
    with pytest.raises(QueryError, match="empty"):
        idx.neighbors("bank", context="   ")


def test_unknown_word_names_the_closest(idx):
    with pytest.raises(QueryError, match=r"'bnak' does not occur in the corpus; closest.*bank"):
        idx.neighbors("bnak")
    with pytest.raises(
        QueryError, match=r"'Bank' does not occur in this case; it occurs as 'bank': add --any-case"
    ):
        idx.occurrences("Bank")


def test_bad_arguments(idx):
    with pytest.raises(QueryError, match="scope must be one of"):
        idx.neighbors("bank", scope="everything")
    with pytest.raises(QueryError, match="k must be at least 1"):
        idx.neighbors("bank", k=0)
    with pytest.raises(QueryError, match="not both"):
        idx.neighbors("bank", context=NOTEBOOK[1], occurrence=1)
    with pytest.raises(QueryError, match="give a context"):
        idx.neighbors("bank", position=1)
    with pytest.raises(QueryError, match=r"layer 3 does not exist: the model has layers 0 to 2$"):
        idx.neighbors("bank", layer=3)
    with pytest.raises(QueryError, match="occurrence 99999 does not exist"):
        idx.neighbors(occurrence=99999)
    with pytest.raises(QueryError, match="give a word"):
        idx.neighbors()


def test_notebook_distance_table(idx):
    items = [(NOTEBOOK[0], "bank"), (NOTEBOOK[0], "bank", 6), (NOTEBOOK[1], "bank"),
             (NOTEBOOK[2], "bank")]  # fmt: skip
    table = idx.distances(items, layers=(0, 1, 2))
    assert table.layers == (0, 1, 2)
    assert np.array_equal(table.matrix(0), np.zeros((4, 4), dtype=np.float32))
    off_diagonal = ~np.eye(4, dtype=bool)
    for layer in (1, 2):
        matrix = table.matrix(layer)
        assert (matrix[off_diagonal] > 1e-4).all()
        assert np.array_equal(matrix, matrix.T) and (np.diag(matrix) == 0).all()
    frame = table.to_pandas()
    assert list(frame.columns) == ["a", "b", "a_label", "b_label", "layer_0", "layer_1", "layer_2"]
    assert len(frame) == 6 and frame["layer_0"].tolist() == [0.0] * 6
    assert table.items[1].label == "The bank is located at the [[bank]] of Thames ."
    assert table.square(1).shape == (4, 4)


def test_distances_of_stored_occurrences_match_the_vectors(idx, built):
    ids = idx.occurrence_ids("bank")[:3].tolist()
    hit = idx.neighbors("bank", layer=1, k=1, occurrence=ids[0])[0]
    table = idx.distances([*ids, hit, (NOTEBOOK[0], "bank")], layers=(1, 2))
    for layer in (1, 2):
        stored = built.stored_vectors(layer)
        for a, b in [(0, 1), (1, 2), (0, 3)]:
            occ_a = ids[a] if a < 3 else hit.occurrence
            occ_b = ids[b] if b < 3 else hit.occurrence
            want = reference_distances(stored[[occ_b]], stored[occ_a])[0]
            assert table.matrix(layer)[a, b] == pytest.approx(want, abs=2e-5)
        # Item 4 is the notebook sentence, whose first "bank" is stored occurrence 1.
        if ids[0] == 1:
            assert table.matrix(layer)[0, 4] == 0.0
    assert table.items[0].label.startswith(f"#{ids[0]} ")


def test_distances_refuse_bad_items(idx):
    with pytest.raises(QueryError, match="cannot compare"):
        idx.distances(["just a string"])
    with pytest.raises(QueryError, match="at least one"):
        idx.distances([])
    with pytest.raises(QueryError, match="layer 7 does not exist; the model has layers 0 to 2"):
        idx.distances([(NOTEBOOK[1], "bank")], layers=(7,))


def test_info(idx, built):
    info = idx.info()
    assert info.layers == (0, 1, 2) and info.dtype == "float16" and info.dim == 16
    assert info.occurrences == len(built.tokens()) and info.sentences == len(built.sentences)
    assert info.model == str(built.model) and info.family == "allennlp"
    assert set(info.indexes) == {0, 1, 2} and info.indexes[2]["factory"] == "Flat"
    assert info.to_dict()["layers"] == [0, 1, 2]


def test_layer2_float32_index(built_layer2):
    idx = SenseIndex.open(built_layer2.path)
    with pytest.raises(QueryError, match="layer 1 was not indexed; this index has layer 2 "):
        idx.neighbors("bank", layer=1)
    with pytest.raises(QueryError, match="layer 0 was not indexed"):
        idx.distances([1, 2], layers=(0, 2))
    # Sentences only: any layer of the model can be compared.
    table = idx.distances([(NOTEBOOK[0], "bank"), (NOTEBOOK[2], "bank")], layers=(0, 1))
    assert table.matrix(0)[0, 1] == 0.0 and table.matrix(1)[0, 1] > 0
    result = idx.neighbors("bank", layer=2, k=2, context=NOTEBOOK[1])
    assert result[0].distance < 1e-5 and result[0].sentence == NOTEBOOK[1]


def test_word_cache_does_not_change_answers(built):
    cached = SenseIndex.open(built.path)
    uncached = SenseIndex.open(built.path, cache_vectors=0)
    for layer in (1, 2):
        a = cached.neighbors("money", layer=layer, k=5, limit=4)
        b = uncached.neighbors("money", layer=layer, k=5, limit=4)
        assert a.to_records() == b.to_records()
    assert cached.blocks.nbytes > 0 and uncached.blocks.nbytes == 0
