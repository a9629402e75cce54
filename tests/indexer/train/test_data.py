"""Pure planning of the training data: streams, rows, windows, held-out split, vocabulary."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from indexer.errors import ConfigError
from indexer.train.data import (
    BOS_TYPE,
    EOS_TYPE,
    TokenTypes,
    encode_sentences,
    epoch_order,
    make_vocabulary,
    rows_per_epoch,
    split_heldout,
    stream_rows,
    window_bounds,
    window_frames,
)
from indexer.train.vocab import SPECIALS, UNK_ID, Vocabulary, build_vocabulary
from tests.indexer.durable import assert_published, record_fsyncs

SENTENCES = [["a", "b"], [], ["c"], ["b", "a", "d"]]


def encoded():
    types = TokenTypes()
    return encode_sentences(SENTENCES, types), types


def words(types, ids):
    return [types.strings[i] for i in ids]


def test_sentences_become_bilm_tf_inputs_and_targets():
    corpus, types = encoded()
    assert corpus.n_sentences == 3  # the empty sentence is skipped
    assert words(types, corpus.inputs) == ["<S>", "a", "b", "<S>", "c", "<S>", "b", "a", "d"]
    assert words(types, corpus.targets) == ["a", "b", "</S>", "c", "</S>", "b", "a", "d", "</S>"]
    assert corpus.offsets.tolist() == [0, 3, 5, 9]
    assert (types.strings[BOS_TYPE], types.strings[EOS_TYPE]) == ("<S>", "</S>")


def test_subset_reorders_whole_sentences():
    corpus, types = encoded()
    sub = corpus.subset(np.array([2, 0]))
    assert words(types, sub.inputs) == ["<S>", "b", "a", "d", "<S>", "a", "b"]
    assert words(types, sub.targets) == ["b", "a", "d", "</S>", "a", "b", "</S>"]
    assert sub.offsets.tolist() == [0, 4, 7]
    assert corpus.subset(np.array([], dtype=np.int64)).n_positions == 0


def test_rows_are_equal_contiguous_segments_and_the_rest_is_dropped():
    corpus, _ = encoded()
    rows_in, rows_target = stream_rows(corpus, 2)
    assert rows_in.tolist() == [corpus.inputs[:4].tolist(), corpus.inputs[4:8].tolist()]
    assert rows_target.tolist() == [corpus.targets[:4].tolist(), corpus.targets[4:8].tolist()]
    assert rows_per_epoch(9, 2, 3) == (4, 2)
    with pytest.raises(ConfigError, match="batch rows"):
        stream_rows(corpus, 10)


def test_window_frames_give_the_backward_model_the_reversed_row():
    rows_in = np.array([[10, 11, 12, 13, 14]])
    rows_target = np.array([[11, 12, 13, 14, 15]])
    inputs, targets = window_frames(rows_in, rows_target, 0, 2)
    assert inputs.tolist() == [[[10, 11]], [[15, 14]]]
    assert targets.tolist() == [[[11, 12]], [[14, 13]]]
    inputs, targets = window_frames(rows_in, rows_target, 4, 5)
    assert inputs.tolist() == [[[14]], [[11]]]
    assert targets.tolist() == [[[15]], [[10]]]


def test_backward_frames_read_each_sentence_from_its_end_and_predict_the_start():
    corpus, types = encoded()
    rows_in, rows_target = stream_rows(corpus, 1)
    inputs, targets = window_frames(rows_in, rows_target, 0, rows_in.shape[1])
    assert words(types, inputs[1, 0]) == ["</S>", "d", "a", "b", "</S>", "c", "</S>", "b", "a"]
    assert words(types, targets[1, 0]) == ["d", "a", "b", "<S>", "c", "<S>", "b", "a", "<S>"]


def test_window_bounds_cover_a_row_once():
    spans = [window_bounds(7, 3, i) for i in range(3)]
    assert spans == [(0, 3), (3, 6), (6, 7)]
    with pytest.raises(IndexError):
        window_bounds(7, 3, 3)


def test_heldout_split_is_seeded_disjoint_and_at_most_a_tenth():
    train, held = split_heldout(100, 50, seed=1)
    assert len(held) == 10 and len(train) == 90
    assert not set(train) & set(held)
    assert np.array_equal(split_heldout(100, 50, seed=1)[1], held)
    assert not np.array_equal(split_heldout(100, 50, seed=2)[1], held)
    assert len(split_heldout(5, 50, seed=1)[1]) == 0


def test_epoch_order_is_a_seeded_permutation_that_changes_per_epoch():
    first = epoch_order(50, seed=0, epoch=0)
    assert sorted(first.tolist()) == list(range(50))
    assert np.array_equal(first, epoch_order(50, seed=0, epoch=0))
    assert not np.array_equal(first, epoch_order(50, seed=0, epoch=1))


def test_vocabulary_keeps_the_most_frequent_words_after_the_specials():
    vocab = build_vocabulary(Counter({"b": 3, "a": 3, "c": 5, "d": 1}), n_sentences=4, max_words=3)
    assert vocab.words == (*SPECIALS, "c", "a", "b")
    assert vocab.counts == (4, 4, 1, 5, 3, 3)
    assert vocab.id("d") == UNK_ID == vocab.id("never seen")
    assert vocab.ids(["c", "d"]).tolist() == [3, UNK_ID]


def test_vocabulary_of_a_corpus_and_type_classes(tmp_path):
    corpus, types = encoded()
    vocab = make_vocabulary(corpus, types, max_words=2)
    assert vocab.words == (*SPECIALS, "a", "b")
    classes = types.classes(vocab)
    assert [vocab.words[c] for c in classes] == ["<S>", "</S>", "a", "b", "<UNK>", "<UNK>"]
    vocab.save(tmp_path / "vocab.txt")
    assert Vocabulary.load(tmp_path / "vocab.txt") == vocab


def test_char_table_holds_allennlp_ids_with_boundaries():
    _, types = encoded()
    table = types.char_table()
    assert table.shape == (6, 50)
    assert table[BOS_TYPE, :3].tolist() == [259, 257, 260]
    assert table[types.strings.index("a"), :3].tolist() == [259, ord("a") + 1, 260]


def test_vocabulary_is_saved_durably(tmp_path, monkeypatch):
    synced = record_fsyncs(monkeypatch)
    vocab = build_vocabulary(Counter({"a": 2, "b": 1}), n_sentences=1, max_words=2)
    path = tmp_path / "vocab.txt"
    path.write_text("an older vocabulary\t1\n", encoding="utf-8")
    vocab.save(path)
    assert_published(synced, path)
    assert [p.name for p in tmp_path.iterdir()] == ["vocab.txt"]
    assert Vocabulary.load(path) == vocab
