"""Seeded generator of a two-period sample corpus with document metadata and planted sense change.

``python -m tools.period_corpus`` (from the checkout) writes ``configs/sample/periods.jsonl``:
one JSON record per sentence, ``{"tokens": [...], "id": ..., "doc_id": ..., "period": ...,
"year": ..., "genre": ...}``, the last three constant within a document. Each ambiguous word of
:mod:`tools.sample_grammar` occurs in exactly ``n_per_word`` sentences per period, and the number
of sentences of each sense is fixed by :data:`PLANTED`, so the change of a word's sense
distribution between the periods is known exactly. No sense sentence is a line of the demo
model's training text ``configs/sample/corpus.txt``.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.sample_corpus import FILLER_FRACTION, SAMPLE_DIR, ambiguous_words, realize, with_opening
from tools.sample_grammar import FILLER, SENSES

PERIODS: dict[str, tuple[int, int]] = {"1990s": (1990, 1999), "2010s": (2010, 2019)}
"""Each period with its first and last year (a document's year is uniform in between)."""
GENRES = ("news", "fiction")
"""Document genres, drawn per document independently of everything else."""
PLANTED: dict[str, tuple[float, float]] = {
    "bank": (0.85, 0.15),
    "match": (0.75, 0.25),
    "bat": (0.65, 0.35),
    "plant": (0.60, 0.40),
    "bark": (0.50, 0.50),
    "mouse": (0.70, 0.70),
    "crane": (1.00, 1.00),
    "spring": (1 / 3, 1 / 3),
}
"""Word -> share of its first sense (template order) in the 1990s and in the 2010s; the other
senses share the rest equally. Words whose two shares are equal are the controls."""
N_PER_WORD = 180
"""Sentences of each ambiguous word per period (a multiple of 60 makes every count exact)."""
PERIOD_SEED = 2
DOC_SENSE_SENTENCES = 16
"""Sense sentences per document; filler sentences are added to make about ``FILLER_FRACTION``."""
MAX_DRAWS_PER_SENTENCE = 200


@dataclass(frozen=True)
class PeriodSentence:
    """One sentence with its document's metadata; ``word``/``sense`` are None for filler."""

    tokens: tuple[str, ...]
    doc_id: str
    sent_id: str
    period: str
    year: int
    genre: str
    word: str | None = None
    sense: str | None = None

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def sense_shares(word: str, period: str) -> dict[str, float]:
    """The planted share of each sense of ``word`` in ``period``."""
    senses = ambiguous_words()[word]
    first = PLANTED[word][list(PERIODS).index(period)]
    if len(senses) == 1:
        return {senses[0]: 1.0}
    rest = (1.0 - first) / (len(senses) - 1)
    return {sense: first if i == 0 else rest for i, sense in enumerate(senses)}


def sense_counts(word: str, period: str, n_per_word: int) -> dict[str, int]:
    """How many of the ``n_per_word`` sentences of ``word`` in ``period`` have each sense: the
    first sense ``round(share * n_per_word)``, the rest split as evenly as possible."""
    senses = ambiguous_words()[word]
    first = round(sense_shares(word, period)[senses[0]] * n_per_word)
    if len(senses) == 1:
        return {senses[0]: n_per_word}
    rest, extra = divmod(n_per_word - first, len(senses) - 1)
    others = {sense: rest + (i < extra) for i, sense in enumerate(senses[1:])}
    return {senses[0]: first, **others}


def _magnitude(word: str) -> float:
    """Total variation distance between the planted sense distributions of the two periods."""
    old, new = (sense_shares(word, period) for period in PERIODS)
    return sum(abs(old[sense] - new[sense]) for sense in old) / 2


def planted_magnitudes() -> dict[str, float]:
    """The planted words with their change magnitude (for two senses, |Δ first-sense share|)."""
    return {word: m for word in PLANTED if (m := _magnitude(word)) > 1e-12}


def control_words() -> tuple[str, ...]:
    """The ambiguous words whose sense distribution is the same in both periods."""
    return tuple(word for word in PLANTED if _magnitude(word) <= 1e-12)


def training_lines() -> list[str]:
    """The lines of the demo model's training text, which no sense sentence may repeat."""
    return (SAMPLE_DIR / "corpus.txt").read_text(encoding="utf-8").splitlines()


def _draw_unseen(
    word: str, sense: str, count: int, rng: random.Random, seen: set[str]
) -> list[tuple[str, ...]]:
    """``count`` sentences of ``word`` in ``sense`` whose text is not in ``seen`` (updated)."""
    lefts, rights = SENSES[word, sense]
    out: list[tuple[str, ...]] = []
    for _ in range(MAX_DRAWS_PER_SENTENCE * count):
        if len(out) == count:
            return out
        template = f"{rng.choice(lefts)} {word} {rng.choice(rights)}"
        tokens = realize(with_opening(template, rng), rng)
        text = " ".join(tokens)
        if text not in seen:
            seen.add(text)
            out.append(tokens)
    if len(out) < count:
        raise ValueError(f"only {len(out)} of {count} unseen sentences for {word}.{sense}")
    return out


Drafts = list[tuple[tuple[str, ...], str | None, str | None]]
"""Sentences before they have a document: (tokens, word, sense)."""


def _period_sense_sentences(
    period: str, n_per_word: int, rng: random.Random, seen: set[str]
) -> Drafts:
    """Every sense sentence of ``period``, word by word and sense by sense."""
    out: Drafts = []
    for word in PLANTED:
        for sense, count in sense_counts(word, period, n_per_word).items():
            out.extend((t, word, sense) for t in _draw_unseen(word, sense, count, rng, seen))
    return out


def _documents(sense: Drafts, rng: random.Random) -> list[Drafts]:
    """Shuffle ``sense`` (in place) and cut it into documents, each with its share of filler."""
    rng.shuffle(sense)
    filler_per_sense = FILLER_FRACTION / (1 - FILLER_FRACTION)
    docs: list[Drafts] = []
    for start in range(0, len(sense), DOC_SENSE_SENTENCES):
        doc = sense[start : start + DOC_SENSE_SENTENCES]
        n_filler = max(1, round(len(doc) * filler_per_sense))
        for _ in range(n_filler):
            doc.append((realize(with_opening(rng.choice(FILLER), rng), rng), None, None))
        rng.shuffle(doc)
        docs.append(doc)
    return docs


def generate_periods(
    n_per_word: int = N_PER_WORD, seed: int = PERIOD_SEED, *, exclude: Iterable[str] | None = None
) -> list[PeriodSentence]:
    """The period corpus in file order: documents of both periods interleaved at random, each
    about ``DOC_SENSE_SENTENCES`` sense sentences plus filler. Sense sentences are distinct and
    none is in ``exclude`` (by default the lines of the demo model's training text)."""
    if n_per_word < 1:
        raise ValueError(f"n_per_word must be at least 1, got {n_per_word}")
    if set(PLANTED) != set(ambiguous_words()):
        raise ValueError(f"PLANTED words {sorted(PLANTED)} are not the grammar's ambiguous words")
    rng = random.Random(seed)
    genre_rng = random.Random(f"{seed}:genre")
    seen = set(training_lines() if exclude is None else exclude)
    drafts = {p: _period_sense_sentences(p, n_per_word, rng, seen) for p in PERIODS}
    docs = [(p, doc) for p in PERIODS for doc in _documents(drafts[p], rng)]
    rng.shuffle(docs)
    out: list[PeriodSentence] = []
    for number, (period, doc) in enumerate(docs):
        doc_id = f"d{number:03d}"
        year = rng.randint(*PERIODS[period])
        genre = genre_rng.choice(GENRES)
        out.extend(
            PeriodSentence(tokens, doc_id, f"{doc_id}-{n}", period, year, genre, word, sense)
            for n, (tokens, word, sense) in enumerate(doc)
        )
    return out


def records(sentences: Iterable[PeriodSentence]) -> list[dict[str, object]]:
    """The JSONL records of ``sentences`` (without the senses, which a corpus does not tell)."""
    return [
        {
            "tokens": list(s.tokens),
            "id": s.sent_id,
            "doc_id": s.doc_id,
            "period": s.period,
            "year": s.year,
            "genre": s.genre,
        }
        for s in sentences
    ]


def write_jsonl(path: Path, rows: Sequence[dict[str, object]]) -> None:
    """Write one JSON object per line, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    path.write_text(text, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR / "periods.jsonl")
    parser.add_argument("--per-word", type=int, default=N_PER_WORD)
    parser.add_argument("--seed", type=int, default=PERIOD_SEED)
    args = parser.parse_args(argv)
    sentences = generate_periods(args.per_word, args.seed)
    write_jsonl(args.out, records(sentences))
    n_docs = len({s.doc_id for s in sentences})
    n_tokens = sum(len(s.tokens) for s in sentences)
    print(f"wrote {len(sentences)} sentences ({n_docs} documents, {n_tokens} tokens) to {args.out}")


if __name__ == "__main__":
    main()
