"""The period-corpus generator: exact planted sense counts, document metadata, unseen sentences,
the demo model's vocabulary, and the committed file reproducible."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tools.period_corpus import (
    GENRES,
    N_PER_WORD,
    PERIOD_SEED,
    PERIODS,
    PLANTED,
    PeriodSentence,
    control_words,
    generate_periods,
    main,
    planted_magnitudes,
    records,
    sense_counts,
)
from tools.sample_corpus import ambiguous_words

ROOT = Path(__file__).resolve().parents[2]
PERIODS_FILE = ROOT / "configs/sample/periods.jsonl"


@pytest.fixture(scope="module")
def training_lines() -> list[str]:
    return (ROOT / "configs/sample/corpus.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def default_sentences() -> list[PeriodSentence]:
    return generate_periods(N_PER_WORD, PERIOD_SEED)


@pytest.fixture(scope="module")
def committed() -> list[dict]:
    return [json.loads(line) for line in PERIODS_FILE.read_text(encoding="utf-8").splitlines()]


def test_same_seed_same_sentences_and_other_seed_others():
    assert generate_periods(12, seed=3) == generate_periods(12, seed=3)
    assert generate_periods(12, seed=3) != generate_periods(12, seed=4)


def test_the_committed_file_is_the_generators_output(tmp_path, default_sentences):
    main(["--out", str(tmp_path / "p.jsonl")])
    written = (tmp_path / "p.jsonl").read_bytes()
    assert written == PERIODS_FILE.read_bytes()
    assert written.count(b"\n") == len(default_sentences)
    assert len(written) < 1024**2


def test_the_planted_table_and_its_magnitudes():
    assert set(PLANTED) == set(ambiguous_words())
    magnitudes = planted_magnitudes()
    assert magnitudes == pytest.approx({"bank": 0.7, "match": 0.5, "bat": 0.3, "plant": 0.2})
    assert set(control_words()) == {"bark", "mouse", "crane", "spring"}
    assert not set(control_words()) & set(magnitudes)


def test_every_word_has_its_exact_planted_sense_counts_per_period(default_sentences):
    counts = Counter((s.period, s.word, s.sense) for s in default_sentences if s.word)
    for word, senses in ambiguous_words().items():
        by_period = {p: [counts[p, word, sense] for sense in senses] for p in PERIODS}
        for (period, found), share in zip(by_period.items(), PLANTED[word], strict=True):
            assert sum(found) == N_PER_WORD
            assert found[0] == round(share * N_PER_WORD)
            assert found == list(sense_counts(word, period, N_PER_WORD).values())
        realized = sum(abs(a - b) for a, b in zip(*by_period.values(), strict=True))
        assert realized / 2 / N_PER_WORD == pytest.approx(planted_magnitudes().get(word, 0.0))
        if word == "spring":  # three senses, equally shared in both periods
            assert by_period == {p: [N_PER_WORD // 3] * 3 for p in PERIODS}


def test_sense_sentences_are_unseen_distinct_and_hold_their_word(default_sentences, training_lines):
    sense = [s for s in default_sentences if s.word is not None]
    texts = [s.text for s in sense]
    assert len(set(texts)) == len(texts) == len(PLANTED) * len(PERIODS) * N_PER_WORD
    assert not set(texts) & set(training_lines)
    assert all(s.tokens.count(s.word) == 1 for s in sense)
    filler = len(default_sentences) - len(sense)
    assert 0.15 < filler / len(default_sentences) < 0.25


def test_records_are_the_sentences_without_their_senses(default_sentences, committed):
    assert records(default_sentences) == committed
    assert set(committed[0]) == {"tokens", "id", "doc_id", "period", "year", "genre"}


def test_every_document_is_contiguous_with_constant_metadata(committed):
    docs: dict[str, list[dict]] = defaultdict(list)
    order: list[str] = []
    for row in committed:
        if not order or order[-1] != row["doc_id"]:
            order.append(row["doc_id"])
        docs[row["doc_id"]].append(row)
    assert len(order) == len(docs)  # each document's sentences are in a row
    assert len({row["id"] for row in committed}) == len(committed)
    for doc_id, rows in docs.items():
        assert 15 <= len(rows) <= 25
        assert all(row["id"].startswith(f"{doc_id}-") for row in rows)
        (meta,) = {(row["period"], row["year"], row["genre"]) for row in rows}
        period, year, genre = meta
        first, last = PERIODS[period]
        assert first <= year <= last and genre in GENRES
    periods = Counter(rows[0]["period"] for rows in docs.values())
    assert periods["1990s"] == periods["2010s"]
    assert {rows[0]["genre"] for rows in docs.values()} == set(GENRES)


def test_every_token_is_in_the_demo_models_training_text(committed, training_lines):
    vocabulary = {token for line in training_lines for token in line.split()}
    assert {token for row in committed for token in row["tokens"]} <= vocabulary
