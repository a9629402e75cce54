"""Embed every token occurrence of a corpus with an ELMo biLM and index the vectors.

The heavy parts (torch, FAISS) are imported on first use, so that ``import indexer`` and the
query side start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from indexer.errors import (
    ConfigError,
    CorpusError,
    DownloadError,
    ElmoIndexError,
    IndexStateError,
    ModelFormatError,
    ModelNotFoundError,
    QueryError,
)

if TYPE_CHECKING:
    from indexer.builder.pipeline import build
    from indexer.encoder.encoder import Encoder
    from indexer.encoder.loader import load_encoder

__all__ = [
    "ConfigError",
    "CorpusError",
    "DownloadError",
    "ElmoIndexError",
    "Encoder",
    "IndexStateError",
    "ModelFormatError",
    "ModelNotFoundError",
    "QueryError",
    "build",
    "load_encoder",
]


def __getattr__(name: str) -> Any:
    if name == "load_encoder":
        from indexer.encoder.loader import load_encoder

        return load_encoder
    if name == "Encoder":
        from indexer.encoder.encoder import Encoder

        return Encoder
    if name == "build":
        from indexer.builder.pipeline import build

        return build
    raise AttributeError(f"module 'indexer' has no attribute {name!r}")
