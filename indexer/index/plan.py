"""Pure choice of the FAISS index for one layer: factory string, parameters, memory estimate.

Nothing here touches FAISS or the disk. The stored vectors are the exact copy that every
search re-ranks its candidates with, so past a small corpus the index holds compact codes only.
``kind="auto"`` takes the first that fits ``max_memory``:

1. ``Flat`` (exact, float32) while N <= ``flat_max_vectors``;
2. ``IVF{nlist},PQ{m}`` with the largest m dividing d and at most ``pq_bytes`` (32 by
   default: 40 bytes per vector with its id), then smaller m;

else a ConfigError names the minimum. ``kind="ivf"`` takes the least lossy IVF index that
fits: ``IVF{nlist},Flat``, ``IVF{nlist},SQfp16``, ``IVF{nlist},SQ8``, then PQ with the most
bytes; ``kind="hnsw"`` builds ``HNSW{M},Flat``. Measured on 1M clustered, anisotropic synthetic
vectors of dimension 256 on 2 cores (``benchmarks/index_recall.py``): IVF Flat and SQfp16
reach recall@10 0.998 at the default nprobe and build in 1-2 minutes; HNSW32,Flat took 10
minutes to build and stopped at 0.88 (efSearch 256), so auto never picks it. On the demo
model's vectors of 1M occurrences, ``IVF4096,PQ32`` re-ranking 1,000 candidates
(:func:`indexer.index.config.rerank_candidates` for lossy codes) reached recall@10 0.9995.

Estimated resident bytes, for N vectors of dimension d (codes and ids dominate; small
per-index constants are left out):

====================  =========================================================
``Flat``              ``N * 4d``
``HNSW{M},Flat``      ``N * (4d + 8M + 16)``: vectors, 2M int32 level-0 links, offsets,
                      levels and the (1/M as many) upper-level links
``IVF{nlist},Flat``   ``N * (4d + 8) + nlist * 4d``: vectors, int64 ids, centroids
``IVF{nlist},SQfp16`` ``N * (2d + 8) + nlist * 4d``: float16 vectors, ids, centroids
``IVF{nlist},SQ8``    ``N * (d + 8) + nlist * 4d + 8d``: 1 byte per dimension, ids,
                      centroids, per-dimension ranges
``IVF{nlist},PQ{m}``  ``N * (m + 8) + nlist * 4d + 256 * 4d``: m bytes, ids, centroids,
                      the m codebooks of 256 entries
====================  =========================================================

``nlist`` is ``4 * sqrt(N)`` clamped to ``[1, 65536]`` and to one centroid per 39 training
vectors (FAISS's minimum for k-means); ``nprobe`` and ``efSearch`` default to values that
reached recall@10 >= 0.95 on clustered, anisotropic data.
"""

from __future__ import annotations

import math
import re
from dataclasses import MISSING, asdict, dataclass, fields, replace
from typing import Any

from indexer.errors import ConfigError, IndexStateError
from indexer.index.config import IndexConfig
from indexer.sizes import format_size

METRIC = "ip"
MIN_POINTS_PER_CENTROID = 39
MAX_NLIST = 65536
PQ_CODEBOOK_SIZE = 256
DEFAULT_EF_SEARCH = 128
MIN_NPROBE = 32

# IVF codes from the least to the most lossy; PQ comes after, when none of these fits.
IVF_LADDER = ("ivf-flat", "ivf-fp16", "ivf-sq8")
FAMILIES = ("flat", "hnsw", "ivf-flat", "ivf-fp16", "ivf-sq8", "ivf-pq", "factory")


@dataclass(frozen=True)
class IndexPlan:
    """What ``build_index`` builds: a FAISS factory string over inner product, and why.

    ``estimated_bytes`` is ``None`` for a user's factory string (not estimated).
    """

    family: str
    factory: str
    dim: int
    n_vectors: int
    estimated_bytes: int | None
    reason: str
    metric: str = METRIC
    nlist: int | None = None
    pq_m: int | None = None
    hnsw_m: int | None = None
    nprobe: int | None = None
    ef_search: int | None = None

    @property
    def lossy(self) -> bool:
        """Whether the index ranks by lossy codes (PQ, SQ8 and other quantizers), so that a
        search re-ranks more candidates (``rerank_candidates(k, lossy=True)``)."""
        if self.family in ("ivf-sq8", "ivf-pq"):
            return True
        return (
            self.family == "factory" and re.search(r"PQ|SQ[4-8]|LSH|RQ", self.factory) is not None
        )

    def search_params(self) -> dict[str, int]:
        """Runtime parameters for ``faiss.ParameterSpace``, e.g. ``{"nprobe": 48}``."""
        params = {"nprobe": self.nprobe, "efSearch": self.ef_search}
        return {name: value for name, value in params.items() if value is not None}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict for the manifest; ``from_dict`` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IndexPlan:
        """Read a plan written by ``to_dict``; a missing or unknown key is an IndexStateError."""
        names = {field.name for field in fields(cls)}
        required = {field.name for field in fields(cls) if field.default is MISSING}
        missing = sorted(required - set(data))
        unknown = sorted(set(data) - names)
        if missing or unknown:
            raise IndexStateError(
                f"index plan in the manifest is not readable: missing {missing}, unknown {unknown}"
            )
        if data["family"] not in FAMILIES:
            raise IndexStateError(f"index plan has an unknown family {data['family']!r}")
        return cls(**data)


def estimate_bytes(
    family: str, n: int, d: int, *, nlist: int = 1, pq_m: int = 1, hnsw_m: int = 32
) -> int:
    """Resident bytes of an index family, by the formulas in this module's docstring.

    >>> estimate_bytes("flat", 1000, 256)
    1024000
    >>> estimate_bytes("ivf-sq8", 1000, 256, nlist=10)
    276288
    """
    if family == "flat":
        return n * 4 * d
    if family == "hnsw":
        return n * (4 * d + 8 * hnsw_m + 16)
    centroids = nlist * 4 * d
    if family == "ivf-flat":
        return n * (4 * d + 8) + centroids
    if family == "ivf-fp16":
        return n * (2 * d + 8) + centroids
    if family == "ivf-sq8":
        return n * (d + 8) + centroids + 8 * d
    if family == "ivf-pq":
        return n * (pq_m + 8) + centroids + PQ_CODEBOOK_SIZE * 4 * d
    raise ValueError(f"no memory formula for index family {family!r}")


def choose_nlist(n_vectors: int, train_sample: int) -> int:
    """IVF list count: ``4 * sqrt(N)``, at most one list per 39 training vectors.

    >>> choose_nlist(1_000_000, 100_000)
    2564
    >>> choose_nlist(10_000, 100_000)
    256
    """
    n_train = min(n_vectors, train_sample)
    wanted = round(4 * math.sqrt(n_vectors))
    return max(1, min(wanted, MAX_NLIST, n_train // MIN_POINTS_PER_CENTROID))


def default_nprobe(nlist: int) -> int:
    """Lists probed per query: 1/32 of them, at least 32 (never more than ``nlist``).

    >>> default_nprobe(2564), default_nprobe(100), default_nprobe(8)
    (80, 32, 8)
    """
    return min(nlist, max(MIN_NPROBE, nlist // 32))


def plan_index(n_vectors: int, dim: int, config: IndexConfig) -> IndexPlan:
    """Choose the index for ``n_vectors`` vectors of dimension ``dim`` under ``config``.

    >>> plan_index(50_000, 256, IndexConfig()).factory
    'Flat'
    >>> plan_index(2_000_000, 256, IndexConfig()).factory
    'IVF2564,PQ32'
    >>> plan_index(2_000_000, 256, IndexConfig(max_memory=64 * 1024**2)).factory
    'IVF2564,PQ16'
    >>> plan_index(2_000_000, 256, IndexConfig(kind="ivf")).factory
    'IVF2564,Flat'
    >>> plan_index(2_000_000, 256, IndexConfig(kind="ivf", max_memory=1024**3)).factory
    'IVF2564,SQfp16'
    >>> plan_index(2_000_000, 256, IndexConfig(kind="ivf", max_memory=512 * 1024**2)).factory
    'IVF2564,SQ8'
    """
    if n_vectors < 1:
        raise ConfigError(f"cannot index {n_vectors} vectors; the layer has none")
    if dim < 1:
        raise ConfigError(f"vector dimension must be at least 1, got {dim}")
    kind = config.kind.strip()
    key = kind.lower()
    if key == "auto":
        return _plan_auto(n_vectors, dim, config)
    if key in ("flat", "hnsw"):
        return _require_fits(_make(key, n_vectors, dim, config), config)
    if key == "ivf":
        return _plan_ivf(n_vectors, dim, config, "ivf asked for")
    return _plan_factory(kind, n_vectors, dim, config)


def _plan_auto(n: int, d: int, config: IndexConfig) -> IndexPlan:
    budget = format_size(config.max_memory)
    flat = _make("flat", n, d, config)
    if n <= config.flat_max_vectors and _fits(flat, config):
        return replace(
            flat,
            reason=f"exact: {n:,} vectors <= flat_max_vectors {config.flat_max_vectors:,} "
            f"and {format_size(_bytes(flat))} fits {budget}",
        )
    why = (
        f"{n:,} vectors > flat_max_vectors {config.flat_max_vectors:,}"
        if n > config.flat_max_vectors
        else f"Flat needs {format_size(_bytes(flat))} > {budget}"
    )
    nlist = choose_nlist(n, config.train_sample)
    sizes = [m for m in range(min(d, config.pq_bytes), 0, -1) if d % m == 0]
    plan = _first_fitting(
        [_make("ivf-pq", n, d, config, nlist=nlist, pq_m=m) for m in sizes], config
    )
    return replace(
        plan,
        reason=f"{why}; compact codes re-ranked from the stored vectors: {plan.factory}, the "
        f"most PQ bytes up to pq_bytes {config.pq_bytes} within {budget} "
        f"({format_size(_bytes(plan))})",
    )


def _first_fitting(candidates: list[IndexPlan], config: IndexConfig) -> IndexPlan:
    """The first of ``candidates`` (from the least to the most lossy) within the budget; a
    ConfigError naming the smallest when none is."""
    plan = next((plan for plan in candidates if _fits(plan, config)), None)
    if plan is not None:
        return plan
    smallest = candidates[-1]
    raise ConfigError(
        f"max_memory {format_size(config.max_memory)} is too small for {smallest.n_vectors:,} "
        f"vectors of dimension {smallest.dim}: the smallest index, {smallest.factory}, needs "
        f"at least {format_size(_bytes(smallest))} ({_bytes(smallest)} bytes)"
    )


def _plan_ivf(n: int, d: int, config: IndexConfig, why: str) -> IndexPlan:
    """The least lossy IVF index that fits: Flat, SQfp16, SQ8, then PQ with the most bytes."""
    nlist = choose_nlist(n, config.train_sample)
    candidates = [_make(family, n, d, config, nlist=nlist) for family in IVF_LADDER]
    divisors = [m for m in range(d, 0, -1) if d % m == 0]
    candidates += [_make("ivf-pq", n, d, config, nlist=nlist, pq_m=m) for m in divisors]
    plan = _first_fitting(candidates, config)
    return replace(
        plan,
        reason=f"{why}; {plan.factory} is the least lossy IVF index within "
        f"{format_size(config.max_memory)} ({format_size(_bytes(plan))})",
    )


def _plan_factory(factory: str, n: int, d: int, config: IndexConfig) -> IndexPlan:
    """A user's factory string, used as given; nprobe/efSearch read off its IVF/HNSW part."""
    ivf = re.search(r"IVF(\d+)", factory)
    hnsw = re.search(r"HNSW(\d+)", factory)
    nlist = int(ivf.group(1)) if ivf else None
    nprobe = ef_search = None
    if nlist is not None:
        nprobe = min(nlist, config.nprobe or default_nprobe(nlist))
    elif hnsw is not None:
        ef_search = config.ef_search or DEFAULT_EF_SEARCH
    return IndexPlan(
        family="factory",
        factory=factory,
        dim=d,
        n_vectors=n,
        estimated_bytes=None,
        reason=f"factory string {factory!r} given; memory not estimated",
        nlist=nlist,
        hnsw_m=None if hnsw is None else int(hnsw.group(1)),
        nprobe=nprobe,
        ef_search=ef_search,
    )


def _make(
    family: str,
    n: int,
    d: int,
    config: IndexConfig,
    *,
    nlist: int | None = None,
    pq_m: int | None = None,
) -> IndexPlan:
    hnsw_m = config.hnsw_m if family == "hnsw" else None
    factory = {
        "flat": "Flat",
        "hnsw": f"HNSW{hnsw_m},Flat",
        "ivf-flat": f"IVF{nlist},Flat",
        "ivf-fp16": f"IVF{nlist},SQfp16",
        "ivf-sq8": f"IVF{nlist},SQ8",
        "ivf-pq": f"IVF{nlist},PQ{pq_m}",
    }[family]
    size = estimate_bytes(family, n, d, nlist=nlist or 1, pq_m=pq_m or 1, hnsw_m=config.hnsw_m)
    return IndexPlan(
        family=family,
        factory=factory,
        dim=d,
        n_vectors=n,
        estimated_bytes=size,
        reason="",
        nlist=nlist,
        pq_m=pq_m,
        hnsw_m=hnsw_m,
        nprobe=None if nlist is None else min(nlist, config.nprobe or default_nprobe(nlist)),
        ef_search=(config.ef_search or DEFAULT_EF_SEARCH) if family == "hnsw" else None,
    )


def _bytes(plan: IndexPlan) -> int:
    assert plan.estimated_bytes is not None
    return plan.estimated_bytes


def _fits(plan: IndexPlan, config: IndexConfig) -> bool:
    return _bytes(plan) <= config.max_memory


def _require_fits(plan: IndexPlan, config: IndexConfig) -> IndexPlan:
    if not _fits(plan, config):
        raise ConfigError(
            f"index kind {config.kind!r} ({plan.factory}) needs about "
            f"{format_size(_bytes(plan))} for {plan.n_vectors:,} vectors of dimension "
            f"{plan.dim}, over max_memory {format_size(config.max_memory)}; raise max_memory "
            "or choose kind 'auto' or 'ivf'"
        )
    size, budget = format_size(_bytes(plan)), format_size(config.max_memory)
    return replace(plan, reason=f"{config.kind} asked for; {size} fits {budget}")
