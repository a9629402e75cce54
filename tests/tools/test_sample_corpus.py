"""The sample-corpus generator: seeded, every sense present, the committed files reproducible."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tools.sample_corpus import (
    CORPUS_SEED,
    DEFAULT_HELDOUT_SENTENCES,
    DEFAULT_SENTENCES,
    HELDOUT_SEED,
    SAMPLE_DIR,
    ambiguous_words,
    generate,
    generate_heldout,
    main,
)
from tools.sample_grammar import SENSES

ROOT = Path(__file__).resolve().parents[2]


def test_same_seed_same_sentences_and_other_seed_others():
    assert generate(50, seed=3) == generate(50, seed=3)
    assert generate(50, seed=3) != generate(50, seed=4)


def test_every_sense_sentence_holds_its_word_once_as_a_token():
    sentences = generate(3000, seed=1)
    senses = Counter((s.word, s.sense) for s in sentences if s.word is not None)
    assert set(senses) == set(SENSES)
    assert min(senses.values()) > 100
    for s in sentences:
        if s.word is not None:
            assert s.tokens.count(s.word) == 1
            assert s.tokens[s.position] == s.word
        assert all(" " not in t and t for t in s.tokens)


def test_ambiguous_words_have_at_least_two_senses():
    words = ambiguous_words()
    assert {"bank", "bat", "spring", "plant"} <= set(words)
    assert words["bank"] == ("river", "money")
    assert all(len(senses) >= 2 for senses in words.values())


def test_heldout_sentences_are_unseen_distinct_and_of_the_word():
    seen = [s.text for s in generate(2000, seed=0)]
    held = generate_heldout(60, seed=9, exclude=seen, word="bank")
    texts = [s.text for s in held]
    assert len(set(texts)) == 60
    assert not set(texts) & set(seen)
    assert {s.sense for s in held} == {"river", "money"}


def test_the_committed_sample_files_are_the_generators_output(tmp_path):
    main(["--out", str(tmp_path / "c.txt"), "--heldout", str(tmp_path / "h.txt")])
    corpus = (tmp_path / "c.txt").read_text(encoding="utf-8")
    assert corpus.count("\n") == DEFAULT_SENTENCES
    assert (tmp_path / "h.txt").read_text().count("\n") == DEFAULT_HELDOUT_SENTENCES
    assert corpus == (ROOT / "configs/sample/corpus.txt").read_text(encoding="utf-8")
    heldout = (ROOT / "configs/sample/heldout.txt").read_text(encoding="utf-8")
    assert heldout == (tmp_path / "h.txt").read_text(encoding="utf-8")
    assert not set(heldout.splitlines()) & set(corpus.splitlines())
    assert CORPUS_SEED != HELDOUT_SEED
    assert ROOT / "configs" / "sample" == SAMPLE_DIR  # the files main() writes by default
