"""Settings of the FAISS indexing stage: one frozen dataclass, validated on creation."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.errors import ConfigError

GIB = 1024**3
#: An approximate search fetches this many times ``k`` FAISS candidates (at least
#: :data:`MIN_CANDIDATES`) and re-ranks them by exact cosine on the stored vectors.
CANDIDATES_PER_NEIGHBOUR = 4
MIN_CANDIDATES = 40
#: The same for an index of lossy codes (PQ, SQ8), whose own ranking is coarse: on ELMo
#: vectors (the demo model, 1M occurrences) IVF-PQ32 codes gave recall@10 0.93 re-ranking 200
#: candidates and 0.9995 re-ranking 1,000.
CODE_CANDIDATES_PER_NEIGHBOUR = 100
MIN_CODE_CANDIDATES = 1000
#: The most candidates the build's calibration gives a search for ``k`` neighbours of an index
#: of lossy codes, per neighbour (``max_candidates``).
MAX_CODE_CANDIDATES_PER_NEIGHBOUR = 1600


def rerank_candidates(k: int, *, lossy: bool = False) -> int:
    """How many FAISS candidates a search for ``k`` neighbours re-ranks, by default; more when
    the index holds ``lossy`` codes.

    >>> rerank_candidates(10), rerank_candidates(5), rerank_candidates(50)
    (40, 40, 200)
    >>> rerank_candidates(10, lossy=True), rerank_candidates(20, lossy=True)
    (1000, 2000)
    """
    if lossy:
        return max(CODE_CANDIDATES_PER_NEIGHBOUR * k, MIN_CODE_CANDIDATES)
    return max(CANDIDATES_PER_NEIGHBOUR * k, MIN_CANDIDATES)


def max_candidates(k: int) -> int:
    """The most candidates the build's recall calibration tries for ``k`` neighbours.

    >>> max_candidates(10)
    16000
    """
    return MAX_CODE_CANDIDATES_PER_NEIGHBOUR * k


@dataclass(frozen=True)
class IndexConfig:
    """How to index one layer's vectors.

    ``kind`` is ``"auto"`` (choose from ``max_memory``), ``"flat"``, ``"hnsw"``, ``"ivf"``, or
    any FAISS factory string such as ``"IVF1024,SQ8"`` (used as given; FAISS validates it at
    build). ``ef_search`` and ``nprobe`` left at ``None`` take the plan's defaults, tuned for
    recall@10 >= 0.95. ``threads`` 0 leaves FAISS's OpenMP default. ``target_recall`` is the
    recall@``recall_k`` that the re-ranked candidates of an index of lossy codes are calibrated
    to reach at build (``measure_recall``). ``pq_bytes`` is the most
    bytes of PQ code per vector that ``auto`` gives a layer past ``flat_max_vectors``.

    >>> IndexConfig(kind="ivf", nprobe=32).nprobe
    32
    >>> IndexConfig(recall_k=0)
    Traceback (most recent call last):
    ...
    indexer.errors.ConfigError: recall_k must be at least 1, got 0
    """

    kind: str = "auto"
    max_memory: int = 4 * GIB
    seed: int = 0
    train_sample: int = 100_000
    recall_queries: int = 200
    recall_k: int = 10
    target_recall: float = 0.95
    hnsw_m: int = 32
    ef_search: int | None = None
    nprobe: int | None = None
    flat_max_vectors: int = 100_000
    pq_bytes: int = 32
    threads: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind.strip():
            raise ConfigError(f"index kind must be a non-empty string, got {self.kind!r}")
        minimums = {
            "max_memory": 1,
            "train_sample": 1,
            "recall_queries": 1,
            "recall_k": 1,
            "hnsw_m": 2,
            "flat_max_vectors": 0,
            "pq_bytes": 1,
            "threads": 0,
            "seed": 0,
        }
        for name, minimum in minimums.items():
            value = getattr(self, name)
            if value < minimum:
                raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        if not 0 < self.target_recall <= 1:
            raise ConfigError(f"target_recall must be in (0, 1], got {self.target_recall}")
        for name in ("ef_search", "nprobe"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"{name} must be at least 1, got {value}")
