"""An index of unseen generator sentences with known senses, built with the bundled demo model.

Every ambiguous word of the sample grammar appears in all its senses, except the control
``crane``, used as a bird only.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from indexer.builder.pipeline import build
from query.index import SenseIndex
from tools.sample_corpus import SAMPLE_DIR, SampleSentence, sense_sentences

PER_SENSE = 40
SEED = 77
CONTROL = "crane"


@dataclass(frozen=True)
class SenseCorpus:
    """The index directory and the sentences it was built from, in corpus order."""

    path: Path
    sentences: list[SampleSentence]

    def open(self) -> SenseIndex:
        return SenseIndex.open(self.path)

    def truth(self, word: str) -> np.ndarray:
        """The true sense of each occurrence of ``word`` in corpus order (one per sentence)."""
        return np.array([s.sense for s in self.sentences if s.word == word])

    def copy(self, where: Path) -> SenseCorpus:
        """A private copy of the index, to write into."""
        return SenseCorpus(Path(shutil.copytree(self.path, where / "copy")), self.sentences)


def training_lines() -> list[str]:
    return (SAMPLE_DIR / "corpus.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="session")
def sense_corpus(tmp_path_factory: pytest.TempPathFactory) -> SenseCorpus:
    sentences = sense_sentences(PER_SENSE, SEED, training_lines(), one_sense=(CONTROL,))
    root = tmp_path_factory.mktemp("sense-corpus")
    corpus = root / "corpus.txt"
    corpus.write_text("".join(f"{s.text}\n" for s in sentences), encoding="utf-8")
    build(corpus, model="demo", out=str(root / "index"), progress=False)
    return SenseCorpus(root / "index", sentences)
