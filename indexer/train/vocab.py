"""The softmax vocabulary: sentence boundaries, the unknown token and the most frequent words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from indexer.encoder.chars import BOS_TOKEN, EOS_TOKEN
from indexer.errors import ConfigError
from indexer.files import write_text_atomic

UNK_TOKEN = "<UNK>"
SPECIALS = (BOS_TOKEN, EOS_TOKEN, UNK_TOKEN)
BOS_ID, EOS_ID, UNK_ID = 0, 1, 2


@dataclass(frozen=True)
class Vocabulary:
    """``words[i]`` is class ``i``: ``<S>``, ``</S>``, ``<UNK>``, then words by falling count.

    The order matters: the log-uniform sampler of the sampled softmax assumes that class ids
    grow as frequency falls. ``counts[i]`` is how often class ``i`` is a training target.
    """

    words: tuple[str, ...]
    counts: tuple[int, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.words[:3] != SPECIALS:
            raise ConfigError(f"a vocabulary starts with {SPECIALS}, got {self.words[:3]}")
        if len(self.counts) != len(self.words):
            raise ConfigError("a vocabulary needs one count per word")
        object.__setattr__(self, "_index", {w: i for i, w in enumerate(self.words)})
        if len(self._index) != len(self.words):
            raise ConfigError("a vocabulary lists a word twice")

    def __len__(self) -> int:
        return len(self.words)

    def id(self, token: str) -> int:
        """The class of ``token``: its own, or ``<UNK>``."""
        return self._index.get(token, UNK_ID)

    def ids(self, tokens: Sequence[str]) -> npt.NDArray[np.int64]:
        return np.fromiter((self.id(t) for t in tokens), dtype=np.int64, count=len(tokens))

    def save(self, path: Path) -> None:
        """One ``word<TAB>count`` line per class, in class order, written durably."""
        lines = (f"{w}\t{c}\n" for w, c in zip(self.words, self.counts, strict=True))
        write_text_atomic(path, "".join(lines))

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        words, counts = [], []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            word, _, count = line.rpartition("\t")
            if not word or not count.isdigit():
                raise ConfigError("expected 'word<TAB>count'", path=path, line=number)
            words.append(word)
            counts.append(int(count))
        return cls(tuple(words), tuple(counts))


def build_vocabulary(
    word_counts: Mapping[str, int], n_sentences: int, max_words: int
) -> Vocabulary:
    """The ``max_words`` most frequent words (ties broken by the word) plus the specials.

    ``<S>`` and ``</S>`` are each the target once per sentence (of the backward and the forward
    model); ``<UNK>`` counts the occurrences of the words left out.
    """
    ranked = sorted(
        ((w, c) for w, c in word_counts.items() if w not in SPECIALS),
        key=lambda wc: (-wc[1], wc[0]),
    )
    kept, dropped = ranked[:max_words], ranked[max_words:]
    unknown = sum(c for _, c in dropped)
    words = (*SPECIALS, *(w for w, _ in kept))
    counts = (n_sentences, n_sentences, unknown, *(c for _, c in kept))
    return Vocabulary(words, counts)
