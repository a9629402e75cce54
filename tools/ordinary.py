"""The hand-written ordinary sentences of the demo words (``configs/sample/ordinary.tsv``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from indexer.errors import ConfigError
from tools.sample_corpus import SAMPLE_DIR

ORDINARY_FILE = SAMPLE_DIR / "ordinary.tsv"
"""word, sense, sentence per line (tab-separated, ``#`` comments); the word marked ``[[word]]``."""


@dataclass(frozen=True)
class OrdinarySentence:
    """One hand-written sentence: ``marked`` holds the word as ``[[word]]``, once."""

    word: str
    sense: str
    marked: str

    @property
    def text(self) -> str:
        """The sentence as a corpus line (the marks removed)."""
        return self.marked.replace(f"[[{self.word}]]", self.word)


def read_ordinary(path: Path = ORDINARY_FILE) -> list[OrdinarySentence]:
    """Every sentence of ``path``, checked: three columns, the word marked once, tokenized."""
    out: list[OrdinarySentence] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ConfigError(
                f"expected word, sense, sentence, got {line!r}", path=path, line=number
            )
        word, sense, marked = parts
        tokens = marked.split(" ")
        if tokens.count(f"[[{word}]]") != 1 or "" in tokens:
            raise ConfigError(
                f"the sentence must mark {word!r} once: {marked!r}", path=path, line=number
            )
        out.append(OrdinarySentence(word, sense, marked))
    return out


def ordinary_senses(sentences: list[OrdinarySentence]) -> dict[str, tuple[str, ...]]:
    """Each word of ``sentences`` with its senses, in file order."""
    out: dict[str, tuple[str, ...]] = {}
    for s in sentences:
        if s.sense not in out.get(s.word, ()):
            out[s.word] = (*out.get(s.word, ()), s.sense)
    return out
