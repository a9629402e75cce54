"""Typed manifest records with plain values, for tests that need a manifest but no build."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from indexer.store.records import ModelSettings, Settings


def sample_settings(
    layers: tuple[int, ...] = (2,), dtype: str = "float16", dim: int = 4, **changes: Any
) -> Settings:
    """Settings of a small build; ``changes`` replace other fields."""
    settings = Settings(
        model=ModelSettings(identity="sample-model", family="fake", dim=dim),
        state="warm",
        layers=layers,
        dtype=dtype,
        reader={"format": "text"},
        shard_rows=400,
        carry_batch_size=None,
        index={"kind": "auto"},
    )
    return replace(settings, **changes)
