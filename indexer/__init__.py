"""Embed every token occurrence of a corpus with an ELMo biLM and index the vectors."""

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

__all__ = [
    "ConfigError",
    "CorpusError",
    "DownloadError",
    "ElmoIndexError",
    "IndexStateError",
    "ModelFormatError",
    "ModelNotFoundError",
    "QueryError",
]
