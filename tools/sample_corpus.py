"""Seeded generator of the sample corpus, where ambiguous words occur in different senses.

``python -m tools.sample_corpus`` (from the checkout) writes ``configs/sample/corpus.txt``
(training text, one tokenized sentence per line) and ``configs/sample/heldout.txt`` (other
sentences of the same templates, none of them a line of the corpus). The templates are in
:mod:`tools.sample_grammar`.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tools import CHECKOUT
from tools.sample_grammar import FILLER, OPENINGS, SENSES, SLOTS

SAMPLE_DIR = CHECKOUT / "configs" / "sample"
"""The checkout's sample-corpus folder, where the files are written by default."""
DEFAULT_SENTENCES = 24_000
DEFAULT_HELDOUT_SENTENCES = 1_000
CORPUS_SEED = 0
HELDOUT_SEED = 1
FILLER_FRACTION = 0.2
OPENING_FRACTION = 0.4
_SLOT = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class SampleSentence:
    """One generated sentence; ``word``/``sense`` are None for filler sentences."""

    tokens: tuple[str, ...]
    word: str | None = None
    sense: str | None = None

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    @property
    def position(self) -> int:
        """Index of the ambiguous word in ``tokens``."""
        if self.word is None:
            raise ValueError(f"filler sentence has no ambiguous word: {self.text!r}")
        return self.tokens.index(self.word)


def ambiguous_words() -> dict[str, tuple[str, ...]]:
    """Each ambiguous word with its senses, in template order."""
    out: dict[str, tuple[str, ...]] = {}
    for word, sense in SENSES:
        out[word] = (*out.get(word, ()), sense)
    return out


def realize(template: str, rng: random.Random) -> tuple[str, ...]:
    """Fill every ``{slot}`` and ``{a|b}`` of ``template``; return the tokens."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        choices = key.split("|") if "|" in key else SLOTS[key]
        return rng.choice(choices)

    return tuple(_SLOT.sub(fill, template).split())


def with_opening(template: str, rng: random.Random) -> str:
    """``template`` after a random opening, with probability :data:`OPENING_FRACTION`."""
    if rng.random() >= OPENING_FRACTION:
        return template
    if not template.startswith("{name}"):
        template = template[0].lower() + template[1:]
    return f"{rng.choice(OPENINGS)} {template}"


def generate(
    n_sentences: int, seed: int, *, filler_fraction: float = FILLER_FRACTION
) -> list[SampleSentence]:
    """``n_sentences`` sentences: senses drawn uniformly, a ``filler_fraction`` of filler."""
    rng = random.Random(seed)
    keys = sorted(SENSES)
    out: list[SampleSentence] = []
    for _ in range(n_sentences):
        if rng.random() < filler_fraction:
            out.append(SampleSentence(realize(with_opening(rng.choice(FILLER), rng), rng)))
            continue
        word, sense = rng.choice(keys)
        lefts, rights = SENSES[word, sense]
        template = f"{rng.choice(lefts)} {word} {rng.choice(rights)}"
        out.append(SampleSentence(realize(with_opening(template, rng), rng), word, sense))
    return out


def generate_heldout(
    n_sentences: int, seed: int, exclude: Iterable[str], *, word: str | None = None
) -> list[SampleSentence]:
    """Sense sentences (of ``word`` if given) whose text is not in ``exclude``, all distinct."""
    seen = set(exclude)
    out: list[SampleSentence] = []
    rng_seed = seed
    while len(out) < n_sentences:
        for sentence in generate(4 * n_sentences, rng_seed, filler_fraction=0.0):
            if sentence.text in seen or (word is not None and sentence.word != word):
                continue
            seen.add(sentence.text)
            out.append(sentence)
            if len(out) == n_sentences:
                break
        rng_seed += 1_000_003
        if rng_seed > seed + 100 * 1_000_003:
            raise ValueError(f"cannot find {n_sentences} unseen sentences for word {word!r}")
    return out


def sense_sentences(
    per_sense: int,
    seed: int,
    exclude: Iterable[str],
    *,
    one_sense: Sequence[str] = (),
) -> list[SampleSentence]:
    """Unseen sentences with known senses: ``per_sense`` of each sense of each ambiguous word,
    except that the words of ``one_sense`` keep their first sense only (controls)."""
    out: list[SampleSentence] = []
    for word, senses in ambiguous_words().items():
        kept = senses[:1] if word in one_sense else senses
        pool = generate_heldout(per_sense * len(senses) * 3, seed, exclude, word=word)
        for sense in kept:
            chosen = [sentence for sentence in pool if sentence.sense == sense][:per_sense]
            if len(chosen) < per_sense:
                raise ValueError(f"only {len(chosen)} unseen sentences for {word}.{sense}")
            out.extend(chosen)
    return out


def write_lines(path: Path, lines: Sequence[str]) -> None:
    """Write one line per sentence, creating parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR / "corpus.txt")
    parser.add_argument("--heldout", type=Path, default=SAMPLE_DIR / "heldout.txt")
    parser.add_argument("--sentences", type=int, default=DEFAULT_SENTENCES)
    parser.add_argument("--heldout-sentences", type=int, default=DEFAULT_HELDOUT_SENTENCES)
    parser.add_argument("--seed", type=int, default=CORPUS_SEED)
    parser.add_argument("--heldout-seed", type=int, default=HELDOUT_SEED)
    args = parser.parse_args(argv)
    corpus = [s.text for s in generate(args.sentences, args.seed)]
    write_lines(args.out, corpus)
    heldout = generate_heldout(args.heldout_sentences, args.heldout_seed, corpus)
    write_lines(args.heldout, [s.text for s in heldout])
    print(f"wrote {len(corpus)} sentences to {args.out}, {len(heldout)} to {args.heldout}")


if __name__ == "__main__":
    main()
