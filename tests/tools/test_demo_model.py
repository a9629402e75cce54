"""The bundled demo model separates the senses of ambiguous words on unseen generator sentences;
the hand-written ordinary sentences it is scored on are none of its training lines.

Sentences come from the sample-corpus generator with another seed, minus every line of the
training corpus. For each word, over all triples (anchor, same-sense occurrence, other-sense
occurrence), the anchor's layer-2 vector must be nearer (cosine) to the same-sense one. The
ordinary sentences of ``configs/sample/ordinary.tsv`` (scored by
``python -m benchmarks.demo_accuracy``) cover every sense and are no line of the corpus.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import indexer
from indexer.encoder.encoder import Encoder
from indexer.encoder.loader import load_encoder
from tools.ordinary import ordinary_senses, read_ordinary
from tools.sample_corpus import SampleSentence, ambiguous_words, generate_heldout
from tools.train_demo import COMMAND, readme

ROOT = Path(__file__).resolve().parents[2]
DEMO = Path(indexer.__file__).resolve().parent / "models" / "demo"
PER_SENSE = 24
SEED = 2024


@pytest.fixture(scope="module")
def training_lines() -> list[str]:
    return (ROOT / "configs/sample/corpus.txt").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module", params=["warm", "zero"])
def encoder(request: pytest.FixtureRequest) -> Encoder:
    return load_encoder("demo", state=request.param, device="cpu")


def occurrences(word: str, training: list[str]) -> dict[str, list[SampleSentence]]:
    senses = ambiguous_words()[word]
    sentences = generate_heldout(PER_SENSE * len(senses) * 3, SEED, training, word=word)
    by_sense = {s: [x for x in sentences if x.sense == s][:PER_SENSE] for s in senses}
    assert all(len(v) == PER_SENSE for v in by_sense.values())
    return by_sense


def vectors(encoder: Encoder, sentences: list[SampleSentence], layer: int) -> np.ndarray:
    out = encoder.embed_batch([list(s.tokens) for s in sentences])
    return np.stack([o[layer, s.position] for o, s in zip(out, sentences, strict=True)])


def triple_accuracy(by_sense: dict[str, np.ndarray]) -> tuple[float, float, float]:
    """(fraction of triples ordered right, mean within-sense and mean across-sense cosine
    distance)."""
    unit = {s: v / np.linalg.norm(v, axis=1, keepdims=True) for s, v in by_sense.items()}
    right = total = 0
    within: list[np.ndarray] = []
    across: list[np.ndarray] = []
    for sense, a in unit.items():
        same = a @ a.T
        off_diagonal = ~np.eye(len(a), dtype=bool)
        within.append(1 - same[off_diagonal])
        for other, b in unit.items():
            if other == sense:
                continue
            cross = a @ b.T
            across.append(1 - cross.ravel())
            ordered = same[:, :, None] > cross[:, None, :]
            right += int((ordered & off_diagonal[:, :, None]).sum())
            total += int(off_diagonal.sum()) * cross.shape[1]
    return right / total, float(np.concatenate(within).mean()), float(np.concatenate(across).mean())


def test_demo_model_is_bundled_and_described():
    assert (DEMO / "options.json").is_file() and (DEMO / "weights.hdf5").is_file()
    assert (DEMO / "weights.hdf5").stat().st_size < 8 * 1024**2
    meta = json.loads((DEMO / "metadata.json").read_text())
    assert "not a general english model" in meta["description"].lower()
    assert meta["dim"] == load_encoder(DEMO, device="cpu").dim
    corpus = (ROOT / "configs/sample/corpus.txt").read_bytes()
    assert meta["corpus_sha256"] == hashlib.sha256(corpus).hexdigest()  # trained on that corpus
    assert meta["trained_with"] == COMMAND == "python -m tools.train_demo"
    assert (DEMO / "README.md").read_text(encoding="utf-8") == readme(meta)


@pytest.mark.parametrize("word", sorted(ambiguous_words()))
def test_layer_2_separates_senses_on_unseen_sentences(encoder, training_lines, word):
    by_sense = occurrences(word, training_lines)
    layer2 = {s: vectors(encoder, xs, 2) for s, xs in by_sense.items()}
    accuracy, within, across = triple_accuracy(layer2)
    assert within < across, (word, within, across)
    assert accuracy >= 0.9, (word, accuracy)


def test_layer_0_is_the_same_for_every_context(encoder, training_lines):
    by_sense = occurrences("bank", training_lines)
    layer0 = np.concatenate([vectors(encoder, xs, 0) for xs in by_sense.values()])
    np.testing.assert_allclose(layer0, np.broadcast_to(layer0[0], layer0.shape), rtol=0, atol=1e-6)
    assert np.abs(layer0[0]).max() > 0


def test_the_ordinary_sentences_are_unseen_and_cover_every_sense(training_lines):
    sentences = read_ordinary()
    assert ordinary_senses(sentences) == ambiguous_words()
    for (word, sense), n in Counter((s.word, s.sense) for s in sentences).items():
        assert n >= 8, (word, sense, n)
    texts = {s.text for s in sentences}
    assert len(texts) == len(sentences)
    heldout = (ROOT / "configs/sample/heldout.txt").read_text(encoding="utf-8").splitlines()
    assert not texts & set(training_lines) and not texts & set(heldout)
    assert all(s.text.split().count(s.word) == 1 for s in sentences)
