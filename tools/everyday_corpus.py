"""Seeded generator of the everyday corpus: the demo model's second training text.

The sample corpus (:mod:`tools.sample_corpus`) holds each sense of the demo words in a few fixed
templates, which is what makes the senses of the sample index clear; a model trained on it
alone knows its words only in those templates. The everyday corpus puts the same words in
broad ordinary sentences (the grammar of :mod:`tools.everyday_grammar`: whole frames, cues on
either side or both, an everyday vocabulary), and ``python -m tools.train_demo`` trains on both.
No sentence of ``configs/sample/ordinary.tsv`` is drawn, so that they stay unseen.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

from tools.everyday_grammar import FILLER, NEUTRAL, OPENINGS, SENSES, SLOTS, WORD_MARK
from tools.ordinary import read_ordinary
from tools.sample_corpus import SampleSentence

DEFAULT_SENTENCES = 30_000
SEED = 7
FILLER_FRACTION = 0.2
OPENING_FRACTION = 0.3
FRAME_FRACTION = 0.25
"""Share of sense sentences that are a whole frame; the others are ``left WORD right``."""
ONE_SIDED_FRACTION = 0.05
"""Share of ``left WORD right`` sentences whose left or right part is sense-neutral."""
OPTIONAL_FRACTION = 0.5
"""How often a ``{?slot}`` is filled."""
MAX_SLOT_DEPTH = 6
_SLOT = re.compile(r"\{([^{}]*)\}")
_KEPT_CAPITALS = frozenset({"I", *SLOTS["name"], *SLOTS["city"]})


def realize(template: str, rng: random.Random) -> tuple[str, ...]:
    """Fill every ``{slot}`` and ``{a|b}`` of ``template`` (slots within slots too); return the
    tokens."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key.startswith("?"):
            return rng.choice(SLOTS[key[1:]]) if rng.random() < OPTIONAL_FRACTION else ""
        choices = key.split("|") if "|" in key else SLOTS[key]
        return rng.choice(choices)

    text = template
    for _ in range(MAX_SLOT_DEPTH):
        if "{" not in text:
            break
        text = _SLOT.sub(fill, text)
    else:
        raise ValueError(f"slots nested deeper than {MAX_SLOT_DEPTH} in {template!r}")
    return tuple(text.split())


def with_opening(tokens: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    """``tokens`` after a random opening, with probability :data:`OPENING_FRACTION` (the first
    token then lowercased unless it is a name)."""
    if rng.random() >= OPENING_FRACTION:
        return tokens
    first = tokens[0]
    if first not in _KEPT_CAPITALS and not (len(first) > 1 and first.isupper()):
        first = first[0].lower() + first[1:]
    return (*realize(rng.choice(OPENINGS), rng), first, *tokens[1:])


def sentence(template: str, rng: random.Random) -> tuple[str, ...]:
    """The tokens of ``template``, maybe after an opening."""
    return with_opening(realize(template, rng), rng)


def sense_template(word: str, sense: str, rng: random.Random) -> str:
    """A random template of ``word`` in ``sense``: a whole frame, or a left and a right part of
    which one may be sense-neutral (never both)."""
    parts = SENSES[word, sense]
    if parts.frames and rng.random() < FRAME_FRACTION:
        return " ".join(word if t == WORD_MARK else t for t in rng.choice(parts.frames).split())
    left, right = rng.choice(parts.left), rng.choice(parts.right)
    if rng.random() < ONE_SIDED_FRACTION:
        if rng.random() < 0.5:
            left = rng.choice(NEUTRAL.left)
        else:
            right = rng.choice(NEUTRAL.right)
    return f"{left} {word} {right}"


def generate(
    n_sentences: int,
    seed: int,
    *,
    filler_fraction: float = FILLER_FRACTION,
    exclude: Iterable[str] = (),
) -> list[SampleSentence]:
    """``n_sentences`` sentences: senses drawn uniformly, a ``filler_fraction`` of filler, none
    whose text is in ``exclude`` (such a draw is drawn again)."""
    rng = random.Random(seed)
    keys = sorted(SENSES)
    excluded = set(exclude)
    out: list[SampleSentence] = []
    while len(out) < n_sentences:
        if rng.random() < filler_fraction:
            drawn = SampleSentence(sentence(rng.choice(FILLER), rng))
        else:
            word, sense = rng.choice(keys)
            drawn = SampleSentence(sentence(sense_template(word, sense, rng), rng), word, sense)
        if drawn.text not in excluded:
            out.append(drawn)
    return out


def everyday_lines(n_sentences: int = DEFAULT_SENTENCES, seed: int = SEED) -> list[str]:
    """The everyday corpus: ``n_sentences`` lines, none an ordinary sentence of
    ``configs/sample/ordinary.tsv``."""
    ordinary = [s.text for s in read_ordinary()]
    return [s.text for s in generate(n_sentences, seed, exclude=ordinary)]
