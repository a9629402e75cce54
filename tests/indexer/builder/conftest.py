"""Seeded corpora written on the fly for the build tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

WORDS = [f"w{i}" for i in range(40)] + ["bank", "river", "money", "é", "naïve"]


def make_sentences(n: int, seed: int = 0, max_len: int = 12) -> list[list[str]]:
    """``n`` sentences of 1..max_len tokens drawn from a small vocabulary (Zipf-like)."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / np.arange(1, len(WORDS) + 1)
    weights /= weights.sum()
    return [
        list(rng.choice(WORDS, size=int(rng.integers(1, max_len + 1)), p=weights)) for _ in range(n)
    ]


def write_corpus(path: Path, sentences: list[list[str]]) -> Path:
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")
    return path


@pytest.fixture
def sentences() -> list[list[str]]:
    return make_sentences(200, seed=1)


@pytest.fixture
def corpus(tmp_path: Path, sentences: list[list[str]]) -> Path:
    return write_corpus(tmp_path / "corpus.txt", sentences)
