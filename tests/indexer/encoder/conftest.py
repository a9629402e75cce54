"""Shared fixtures of the encoder tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.indexer.encoder.fixtures import make_allennlp_model

REFERENCE = Path(
    os.environ.get(
        "ELMO_REFERENCE_DIR",
        Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "allennlp-elmo",
    )
)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not (REFERENCE / "lm_weights.hdf5").is_file():
        pytest.skip(f"reference ELMo fixture not found at {REFERENCE} (set ELMO_REFERENCE_DIR)")
    return REFERENCE


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_allennlp_model(tmp_path_factory.mktemp("tiny-model"), seed=0)
