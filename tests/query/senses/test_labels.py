"""Sense labels: distinctive against the other senses, never punctuation, function words weigh
little, and a one-sense word is labelled against the corpus."""

from __future__ import annotations

import math

from query.senses.labels import context_words, corpus_background, distinctive_words


def test_context_words_skip_punctuation_and_the_word_and_fold_case():
    tokens = "The Bank , on the bank of the River ; bank !".split()
    assert context_words(tokens, 4, "bank", window=8) == {"the", "on", "of", "river"}


def test_a_word_shared_by_every_sense_never_labels_one():
    contexts = [(0, {"the", "of", "river", "mud"})] * 5 + [(1, {"the", "of", "loan"})] * 5
    labels = distinctive_words(contexts, 2, n=3)
    assert labels == [["mud", "river"], ["loan"]]


def test_a_common_function_word_weighs_less_than_a_rare_content_word():
    contexts = [(0, {"at", "deposited"})] * 4 + [(0, {"at"})] * 6 + [(1, {"on", "reeds"})] * 10
    counts = {"at": 5_000, "on": 5_000, "deposited": 20, "reeds": 20}
    corpus = corpus_background(lambda w: counts.get(w, 0), 100_000)
    plain = distinctive_words(contexts, 2, n=2)
    assert plain[0] == ["at", "deposited"]  # at is in every context of sense 0
    weighted = distinctive_words(contexts, 2, n=2, corpus=corpus)
    assert weighted[0] == ["deposited", "at"] and weighted[1] == ["reeds", "on"]
    assert math.isclose(corpus("at"), 16 * 5_000 / 100_000)


def test_one_sense_is_labelled_against_the_corpus():
    contexts = [(0, {"the", "grey", "wings"})] * 6 + [(0, {"the", "marsh"})] * 4
    counts = {"the": 6_000, "grey": 30, "wings": 30, "marsh": 10}
    corpus = corpus_background(lambda w: counts.get(w, 0), 100_000)
    assert distinctive_words(contexts, 1, n=3, corpus=corpus) == [["grey", "wings", "marsh"]]


def test_words_seen_once_with_a_sense_are_not_used():
    contexts = [(0, {"river", "typo"}), (0, {"river"}), (1, {"loan"}), (1, {"loan"})]
    assert distinctive_words(contexts, 2, n=4) == [["river"], ["loan"]]
