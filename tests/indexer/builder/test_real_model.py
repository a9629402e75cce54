"""Builds with a tiny random allennlp model: the encoder's vectors, and byte-identical resume."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from indexer.builder import BuildConfig, build, run_build
from indexer.builder.run import load_model
from indexer.encoder.loader import load_encoder
from indexer.store import read_manifest
from tests.indexer.builder.conftest import make_sentences, write_corpus
from tests.indexer.builder.test_build import all_vectors, assert_same_index
from tests.indexer.encoder.fixtures import make_allennlp_model

SENTENCES = make_sentences(60, seed=4)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_allennlp_model(tmp_path_factory.mktemp("tiny-model"), seed=0)


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "small.txt", SENTENCES)


class Crashing:
    """Wraps an encoder; raises after ``limit`` sentences, like a killed process."""

    def __init__(self, inner, limit: int):
        self._inner, self._limit, self._seen = inner, limit, 0

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def embed_sentences(self, sentences, **options):
        for vectors in self._inner.embed_sentences(sentences, **options):
            if self._seen >= self._limit:
                raise RuntimeError("simulated crash")
            self._seen += 1
            yield vectors


def test_vectors_are_the_encoders(tmp_path, small_corpus, model):
    out = tmp_path / "idx"
    report = build(
        small_corpus, model=str(model), out=out, dtype="float32", shard_rows=200, device="cpu"
    )
    encoder = load_encoder(model, state="warm", device="cpu")
    assert report.dim == encoder.dim and report.layers == (0, 1, 2)
    manifest = read_manifest(out)
    assert manifest.settings.model.identity == encoder.identity
    assert manifest.model["family"] == "allennlp"
    reference = encoder.embed_batch(SENTENCES)
    for layer in (0, 2):
        want = np.concatenate([vectors[layer] for vectors in reference])
        np.testing.assert_allclose(all_vectors(out, layer), want, atol=2e-5)


def build_whole_and_resumed(
    corpus: Path, config: BuildConfig, tmp_path: Path, crash_after: int
) -> tuple[Path, Path]:
    """Build ``corpus`` whole, and again crashed after ``crash_after`` sentences then resumed."""
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    run_build(corpus, replace(config, out=whole))
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_build(
            corpus,
            replace(config, out=broken),
            load_encoder=lambda c: Crashing(load_model(c), crash_after),
        )
    report = run_build(corpus, replace(config, out=broken))
    assert report.resumed_from_shard >= 1
    return whole, broken


@pytest.mark.parametrize("state", ["warm", "carry"])
def test_resume_with_a_real_model_is_bit_identical(tmp_path, small_corpus, model, state):
    config = BuildConfig(
        model=str(model), shard_rows=100, device="cpu", state=state, carry_batch_size=4
    )
    whole, broken = build_whole_and_resumed(small_corpus, config, tmp_path, crash_after=30)
    assert_same_index(whole, broken)
