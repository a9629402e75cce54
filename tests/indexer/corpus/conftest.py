"""Tiny corpus files made on the fly, in any compression."""

from __future__ import annotations

import bz2
import gzip
import lzma
from collections.abc import Callable
from pathlib import Path

import pytest

from indexer.corpus import ReaderConfig, ReadStats, Sentence, open_corpus


def compress(data: bytes, compression: str | None) -> bytes:
    if compression is None:
        return data
    if compression == "gzip":
        return gzip.compress(data)
    if compression == "bz2":
        return bz2.compress(data)
    if compression == "xz":
        return lzma.compress(data)
    zstandard = pytest.importorskip("zstandard")
    return bytes(zstandard.ZstdCompressor().compress(data))


MakeCorpus = Callable[..., Path]
ReadCorpus = Callable[..., tuple[list[Sentence], ReadStats]]


@pytest.fixture
def make_corpus(tmp_path: Path) -> MakeCorpus:
    """``make_corpus(name, content, compression=None)`` writes a file under tmp_path."""

    def make(name: str, content: str | bytes, compression: str | None = None) -> Path:
        data = content.encode("utf-8") if isinstance(content, str) else content
        path = tmp_path / name
        path.write_bytes(compress(data, compression))
        return path

    return make


@pytest.fixture
def read_corpus() -> ReadCorpus:
    """``read_corpus(path, **config)``: every sentence and the final stats."""

    def read(path: str | Path, **config: object) -> tuple[list[Sentence], ReadStats]:
        with open_corpus(path, ReaderConfig(**config)) as reader:  # type: ignore[arg-type]
            return list(reader), reader.stats

    return read
