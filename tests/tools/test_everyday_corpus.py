"""The everyday corpus: seeded, every sense of the sample grammar's words in it, no ordinary
sentence; the demo model's training text made from it and the sample corpus reproducibly."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tools.everyday_corpus import generate
from tools.everyday_grammar import SENSES as EVERYDAY_SENSES
from tools.ordinary import read_ordinary
from tools.sample_corpus import SampleSentence
from tools.sample_grammar import SENSES
from tools.train_demo import training_text


def test_same_seed_same_sentences_and_other_seed_others():
    assert generate(50, seed=3) == generate(50, seed=3)
    assert generate(50, seed=3) != generate(50, seed=4)


def test_it_holds_every_sense_of_the_sample_words_in_varied_sentences():
    assert set(EVERYDAY_SENSES) == set(SENSES)
    sentences = generate(4000, seed=1)
    senses = Counter((s.word, s.sense) for s in sentences if s.word is not None)
    assert set(senses) == set(SENSES) and min(senses.values()) > 100
    for s in sentences:
        if s.word is not None:
            assert s.tokens.count(s.word) == 1
    for key in SENSES:  # the words beside it vary (the sample grammar has as few as 8 pairs)
        beside = {neighbours(s) for s in sentences if (s.word, s.sense) == key}
        assert len(beside) >= 50
    types = {token for s in sentences for token in s.tokens}
    assert len(types) > 1500  # the sample grammar has 618


def neighbours(sentence: SampleSentence) -> tuple[str, str]:
    """The tokens before and after the ambiguous word ("" at an end)."""
    at, tokens = sentence.position, sentence.tokens
    return (tokens[at - 1] if at else "", tokens[at + 1] if at + 1 < len(tokens) else "")


def test_no_ordinary_sentence_is_drawn():
    ordinary = [s.text for s in read_ordinary()]
    drawn = generate(20_000, seed=7, exclude=ordinary)
    assert not {s.text for s in drawn} & set(ordinary)


def test_the_training_text_is_both_corpora_shuffled_reproducibly(tmp_path: Path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("a b .\nc d .\ne f .\n", encoding="utf-8")
    first = training_text(corpus, 40, tmp_path / "one.txt").read_text(encoding="utf-8")
    again = training_text(corpus, 40, tmp_path / "two.txt").read_text(encoding="utf-8")
    assert first == again
    lines = first.splitlines()
    assert len(lines) == 43 and {"a b .", "c d .", "e f ."} <= set(lines)
    assert lines[:3] != ["a b .", "c d .", "e f ."] or lines[-3:] != lines[:3]
    alone = training_text(corpus, 0, tmp_path / "alone.txt").read_text(encoding="utf-8")
    assert sorted(alone.splitlines()) == ["a b .", "c d .", "e f ."]
