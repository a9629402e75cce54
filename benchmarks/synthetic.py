"""Synthetic news-style corpora and random official-size models for benchmarks."""

from __future__ import annotations

import itertools
import random
import string
from collections.abc import Iterator
from pathlib import Path

from indexer.encoder.allennlp_format import save_allennlp
from tests.indexer.encoder.fixtures import OFFICIAL, random_weights

FUNCTION_WORDS = (
    "the of and to a in that is was he for it with as his on be at by I this had not are but "
    "from or have an they which one you were her all she there would their we him been has when "
    "who will more no if out so said what up its about into than them can only other new some "
    "could time these two may then do first any my now such like our over man me even most made "
    "after also did many before must through back years where much your way well down should "
    "because each just those people Mr how too little state good very make world still own see "
    "men work long get here between both life being under never day same another know while last"
).split()
PUNCT = [",", ",", ".", "'s", "``", "''", "(", ")", "--", ":"]


def _vocabulary(size: int, rng: random.Random) -> list[str]:
    words = []
    for _ in range(size):
        length = max(2, min(14, int(rng.gauss(7, 2.5))))
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(length))
        words.append(word.capitalize() if rng.random() < 0.15 else word)
    return words


def news_like_sentences(n_tokens: int, seed: int = 0) -> Iterator[list[str]]:
    """Sentences of 5-40 tokens (mean about 18) over a Zipf-distributed vocabulary."""
    rng = random.Random(seed)
    content = _vocabulary(50_000, rng)
    cumulative = list(itertools.accumulate(1.0 / (rank + 10) for rank in range(len(content))))
    produced = 0
    while produced < n_tokens:
        length = max(5, min(40, int(rng.gauss(18, 7))))
        tokens = []
        for _ in range(length - 1):
            r = rng.random()
            if r < 0.45:
                tokens.append(rng.choice(FUNCTION_WORDS))
            elif r < 0.55:
                tokens.append(rng.choice(PUNCT))
            elif r < 0.6:
                tokens.append(str(rng.randint(1, 2030)))
            else:
                tokens.append(rng.choices(content, cum_weights=cumulative)[0])
        tokens.append(".")
        produced += len(tokens)
        yield tokens


def write_corpus(path: Path, n_tokens: int, seed: int = 0) -> Path:
    """Write a one-sentence-per-line corpus of about ``n_tokens`` tokens."""
    with path.open("w", encoding="utf-8") as out:
        for sentence in news_like_sentences(n_tokens, seed):
            out.write(" ".join(sentence) + "\n")
    return path


def official_size_model(name: str, folder: Path, seed: int = 0) -> Path:
    """A random-weight model of an official size (small, medium, original) in ``folder``."""
    if not (folder / "weights.hdf5").is_file():
        save_allennlp(random_weights(OFFICIAL[name], seed=seed, scale=0.3), folder)
    return folder
