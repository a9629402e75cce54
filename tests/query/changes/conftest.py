"""Indexes with metadata for the comparison tests: the demo model over the period corpus (the
planted change of ``tools.period_corpus``), and over a small CoNLL-U corpus with lemmas."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.builder.pipeline import build
from tools.period_corpus import records, write_jsonl

PERIODS = Path(__file__).resolve().parents[3] / "configs" / "sample" / "periods.jsonl"


@pytest.fixture(scope="session")
def period_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled period corpus built with the demo model (layer 2 only)."""
    out = tmp_path_factory.mktemp("periods") / "index"
    build(PERIODS, model="demo", out=out, layers=(2,), overwrite=True)
    return out


@pytest.fixture(scope="session")
def planted_corpus() -> Path:
    """The corpus file itself (for tests that build variants)."""
    return PERIODS


__all__ = ["records", "write_jsonl"]
