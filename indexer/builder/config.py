"""What a build is asked to do (``BuildConfig``) and what it did (``BuildReport``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.corpus import ReaderConfig
from indexer.encoder.settings import (
    DEFAULT_BATCH_TOKENS,
    DEFAULT_CARRY_BATCH_SIZE,
    DEFAULT_DEVICE,
    DEFAULT_STATE,
    STATE_POLICIES,
)
from indexer.errors import ConfigError, at_least, check_choice
from indexer.index import IndexConfig
from indexer.layers import parse_layers
from indexer.sizes import parse_size
from indexer.store.layout import DEFAULT_INDEX_DIR
from indexer.store.summary import LayerIndexInfo
from indexer.vectors import STORED_DTYPES

#: The stored vectors' element type when none is asked for.
DEFAULT_DTYPE = "float16"


#: How a build runs: in this process, or on a Ray cluster (``indexer.builder.distributed``).
ENGINES = ("local", "ray")


@dataclass(frozen=True)
class BuildConfig:
    """Every option of ``indexer build``; the defaults make ``indexer build corpus.txt`` work.

    - ``model``: registry name or model directory; None is the registry's default model.
    - ``layers``: output layers to store and index; None is every layer of the model.
    - ``format``, ``errors``, ``max_sentence_tokens``, ``long_sentences``: how the corpus is read
      (see :class:`indexer.corpus.ReaderConfig`).
    - ``dtype``: stored vector precision (``float16``, ``float32``, or ``int8`` codes with a
      per-dimension scale and offset); the FAISS indexes always work in float32.
    - ``index``, ``max_index_memory``: the FAISS index per layer (see ``IndexConfig``).
    - ``state``: biLSTM state policy (``warm``, ``zero`` or ``carry``).
    - ``batch_tokens``: padded tokens per encoder batch; ``carry_batch_size``: sentences per
      batch under ``carry``; ``device``: ``auto``, ``cpu`` or ``cuda``.
    - ``shard_rows``: occurrences per shard (a shard ends at the first sentence boundary at or
      after this many; under ``carry`` also at a multiple of ``carry_batch_size`` sentences).
    - ``resume``: require an interrupted build to continue; ``overwrite``: delete an existing
      index in ``out`` first. With neither, an interrupted build with the same settings resumes
      and one with other settings is refused. ``append``: add the corpus to the finished
      index in ``out`` as a new segment (same settings; nothing already there is re-encoded).
    - ``engine``: ``local`` (this process) or ``ray`` (:mod:`indexer.builder.distributed`:
      ``workers`` actors of ``threads_per_worker`` threads and ``gpus_per_worker`` GPUs on the
      cluster at ``ray_address``, None: a Ray instance on this machine, ``"auto"``: the cluster
      this machine is in), each encoding parts of ``part_shards`` shards.
    - ``metadata``: a CSV, TSV or JSONL file of document fields with a ``doc_id`` column,
      joined to the corpus's documents (:mod:`indexer.store.fields`).
    - ``progress``: a bar on a terminal, else a line every ``progress_interval`` seconds.
    """

    out: str | Path = DEFAULT_INDEX_DIR
    model: str | None = None
    layers: tuple[int, ...] | None = None
    format: str = ReaderConfig.format
    errors: str = ReaderConfig.errors
    max_sentence_tokens: int = ReaderConfig.max_sentence_tokens
    long_sentences: str = ReaderConfig.long_sentences
    dtype: str = DEFAULT_DTYPE
    index: str = IndexConfig.kind
    max_index_memory: int | str = IndexConfig.max_memory
    state: str = DEFAULT_STATE
    batch_tokens: int = DEFAULT_BATCH_TOKENS
    carry_batch_size: int = DEFAULT_CARRY_BATCH_SIZE
    device: str = DEFAULT_DEVICE
    shard_rows: int = 65536
    resume: bool = False
    overwrite: bool = False
    append: bool = False
    progress: bool = False
    progress_interval: float = 30.0
    index_options: Mapping[str, Any] = field(default_factory=dict)
    engine: str = "local"
    ray_address: str | None = None
    workers: int = 2
    threads_per_worker: int = 1
    gpus_per_worker: float = 0.0
    part_shards: int = 8
    metadata: str | Path | None = None

    def __post_init__(self) -> None:
        layers = parse_layers(self.layers) if isinstance(self.layers, str) else self.layers
        if layers is not None:
            object.__setattr__(self, "layers", tuple(sorted(set(layers))))
            if not layers or min(layers) < 0:
                raise ConfigError(
                    f"layers must be non-negative integers, got {self.layers}", setting="layers"
                )
        object.__setattr__(self, "max_index_memory", parse_size(self.max_index_memory))
        check_choice("dtype", self.dtype, STORED_DTYPES)
        check_choice("state", self.state, STATE_POLICIES)
        check_choice("engine", self.engine, ENGINES)
        for name in ("batch_tokens", "carry_batch_size", "shard_rows", "part_shards"):
            at_least(name, getattr(self, name))
        if self.progress_interval <= 0:
            raise ConfigError(
                f"progress_interval must be positive, got {self.progress_interval}",
                setting="progress_interval",
            )
        if self.resume and self.overwrite:
            raise ConfigError("--resume and --overwrite exclude each other; choose one")
        if self.append and self.overwrite:
            raise ConfigError("--append and --overwrite exclude each other; choose one")
        self.reader_config()
        self.index_config()

    def reader_config(self) -> ReaderConfig:
        return ReaderConfig(
            format=self.format,
            errors=self.errors,
            max_sentence_tokens=self.max_sentence_tokens,
            long_sentences=self.long_sentences,
        )

    def index_config(self) -> IndexConfig:
        try:
            return IndexConfig(
                kind=self.index, max_memory=int(self.max_index_memory), **self.index_options
            )
        except TypeError as err:
            raise ConfigError(f"unknown index option in {dict(self.index_options)}") from err


@dataclass(frozen=True)
class BuildReport:
    """The outcome of a build, also kept in the manifest.

    Counts cover the whole corpus; ``seconds``, ``encoded_tokens`` and ``tokens_per_second``
    cover this run only (a resumed run encodes what was left). ``skipped`` holds the reader's
    counts of dropped, split, emptied and repaired input (see ``ReadStats``). ``appended``: this
    run added the corpus to a finished index as a new segment.
    """

    out: Path
    sentences: int
    tokens: int
    documents: int
    types: int
    skipped: Mapping[str, int]
    shards: int
    layers: tuple[int, ...]
    dim: int
    dtype: str
    indexes: Mapping[int, LayerIndexInfo]
    seconds: float
    encoded_tokens: int
    tokens_per_second: float
    bytes_written: int
    resumed_from_shard: int = 0
    already_complete: bool = False
    appended: bool = False
