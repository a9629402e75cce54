"""Builds on a CUDA device: the CPU build's occurrences, its vectors to rounding, and resume."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from indexer.builder import BuildConfig, run_build
from indexer.index import load_index
from indexer.store import read_manifest
from tests.indexer.builder.conftest import make_sentences, write_corpus
from tests.indexer.builder.test_build import all_vectors
from tests.indexer.builder.test_real_model import build_whole_and_resumed
from tests.indexer.encoder.fixtures import make_allennlp_model

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device"),
]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_allennlp_model(tmp_path_factory.mktemp("tiny-model"), seed=0)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus.txt", make_sentences(400, seed=9))


def assert_same_occurrences_and_close_vectors(a: Path, b: Path) -> None:
    for table in ("occurrences", "sentences"):
        assert pd.read_parquet(a / table).equals(pd.read_parquet(b / table))
    ma, mb = read_manifest(a), read_manifest(b)
    assert ma.corpora[0].tokens == mb.corpora[0].tokens and ma.types == mb.types
    assert [s.lexicon for s in ma.segments] == [s.lexicon for s in mb.segments]
    for layer in ma.layers:
        np.testing.assert_allclose(all_vectors(a, layer), all_vectors(b, layer), atol=1e-5)
        ia, ib = (load_index(x / "index" / "segment=0" / f"layer={layer}.faiss") for x in (a, b))
        assert ia.ntotal == ib.ntotal == ma.n_occurrences


def test_cuda_build_matches_cpu_build(tmp_path, corpus, model):
    config = BuildConfig(model=str(model), shard_rows=300, dtype="float32")
    run_build(corpus, replace(config, out=tmp_path / "cpu", device="cpu"))
    report = run_build(corpus, replace(config, out=tmp_path / "gpu", device="cuda"))
    assert report.shards > 3
    assert str(read_manifest(tmp_path / "gpu").runs[-1].device).startswith("cuda")
    assert read_manifest(tmp_path / "cpu").runs[-1].device == "cpu"
    assert_same_occurrences_and_close_vectors(tmp_path / "cpu", tmp_path / "gpu")


def test_cuda_build_resumes(tmp_path, corpus, model):
    config = BuildConfig(model=str(model), shard_rows=300, dtype="float32", device="cuda")
    whole, broken = build_whole_and_resumed(corpus, config, tmp_path, crash_after=250)
    assert_same_occurrences_and_close_vectors(whole, broken)
