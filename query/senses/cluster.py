"""Sense induction on one word's vectors: spherical k-means, the number of senses by silhouette.

Pure functions on arrays (FAISS does the k-means). The vectors are L2-normalised, so the
distance of an occurrence to a sense is the cosine distance to the sense's centre.

How the number of senses is found (``SenseSettings``, every number below is one of its fields):

1. A seeded sample of at most ``selection_sample`` (20,000) occurrences is clustered with
   spherical k-means (k-means++ starts, ``restarts`` runs, the best kept) for every k from 2 to
   ``max_senses`` (8, fewer for a rare word: each sense needs ``min_size`` occurrences).
2. A k is considered only if its senses are distinct: every two centres at least
   ``min_separation`` (cosine distance 0.12) apart, and the smallest sense holding at least
   ``min_share`` (1%) of the sample. The considered k are scored by the mean silhouette
   (cosine) of a seeded sub-sample of ``silhouette_sample`` (4,000) of those occurrences.
3. The best-scoring k is kept if its silhouette is at least ``min_silhouette`` (0.25, below
   which Kaufman and Rousseeuw find no substantial structure); otherwise, or when no k is
   considered, the word has one sense: its uses vary, but do not fall into distinct groups.

The separation is what tells senses from the many small variations of one use (a word seen in
a few fixed phrases falls into groups too, with close centres). 0.12 was chosen on the demo
model, where centres of different senses lie 0.17 to 0.49 apart and groups within one sense at
most 0.09; other models may place senses nearer or further: ``scores`` and
``separations`` show what was found, and ``--senses N`` forces a number.
4. The chosen k-means is then refined on every occurrence up to ``cluster_bound`` (1,000,000)
   occurrences; beyond that on a seeded sample of ``cluster_bound``, and every occurrence is
   assigned to its nearest centre. Nothing is dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from indexer.errors import QueryError

logger = logging.getLogger(__name__)

#: Occurrences whose distances to the centres are computed at a time.
ASSIGN_BLOCK = 65_536
#: Occurrences whose distances to the silhouette sample are computed at a time.
SILHOUETTE_BLOCK = 512


@dataclass(frozen=True)
class SenseSettings:
    """How senses are induced (see the module's documentation for the criterion)."""

    n: int | None = None
    max_senses: int = 8
    min_size: int = 5
    min_share: float = 0.01
    min_separation: float = 0.12
    min_silhouette: float = 0.25
    selection_sample: int = 20_000
    silhouette_sample: int = 4_000
    cluster_bound: int = 1_000_000
    iterations: int = 20
    restarts: int = 3
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n is not None and not 1 <= self.n <= self.max_senses:
            raise QueryError(
                f"the number of senses must be from 1 to {self.max_senses}, got {self.n}"
            )
        if self.max_senses < 1:
            raise QueryError(f"max_senses must be at least 1, got {self.max_senses}")

    @property
    def name(self) -> str:
        """``auto`` or the number of senses asked for: part of the stored result's name."""
        return "auto" if self.n is None else str(self.n)


@dataclass(frozen=True, eq=False)
class Clustering:
    """Senses of one word: per occurrence (in the order given) its sense and distance to it.

    ``separations`` holds, per k tried, the smallest distance between two of its centres, and
    ``scores`` the silhouette of each k considered (both empty when k was forced or the word is
    too rare); ``clustered`` is how many occurrences the final k-means saw.
    """

    labels: np.ndarray
    distances: np.ndarray
    centres: np.ndarray
    scores: dict[int, float] = field(default_factory=dict)
    separations: dict[int, float] = field(default_factory=dict)
    clustered: int = 0

    @property
    def k(self) -> int:
        return len(self.centres)


def induce(unit: np.ndarray, settings: SenseSettings = SenseSettings()) -> Clustering:
    """Senses of the L2-normalised float32 rows ``unit`` (one row per occurrence).

    Sense ids are ordered by size, largest first (ties by centre order), so that sense 0 is the
    word's commonest use.
    """
    n = len(unit)
    if n == 0:
        raise QueryError("a word with no occurrence has no senses")
    rng = np.random.default_rng(settings.seed)
    most = max(1, min(settings.max_senses, n // settings.min_size))
    scores: dict[int, float] = {}
    separations: dict[int, float] = {}
    if settings.n is not None:
        k = min(settings.n, n)
        start = None
    else:
        selection = _sample(unit, settings.selection_sample, rng)
        k, start = _choose_k(selection, most, settings, rng, scores, separations)
    if k == 1:
        centre = _normalised(unit.mean(axis=0, dtype=np.float64)[None, :])
        labels, distances = assign(unit, centre)
        return Clustering(labels, distances, centre, scores, separations, n)
    if n <= settings.cluster_bound:
        train, clustered = unit, n
    else:
        train, clustered = _sample(unit, settings.cluster_bound, rng), settings.cluster_bound
    centres = _kmeans(train, k, settings, start)
    labels, distances = assign(unit, centres)
    order = _by_size(labels, k)
    remap = np.empty(k, dtype=np.int64)
    remap[order] = np.arange(k)
    labels = remap[labels].astype(np.int32)
    return Clustering(labels, distances, centres[order], scores, separations, clustered)


def assign(unit: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's nearest centre and its cosine distance to it, in blocks (bounded memory)."""
    labels = np.empty(len(unit), dtype=np.int32)
    distances = np.empty(len(unit), dtype=np.float32)
    for start in range(0, len(unit), ASSIGN_BLOCK):
        block = unit[start : start + ASSIGN_BLOCK] @ centres.T
        best = np.argmax(block, axis=1)
        labels[start : start + len(block)] = best
        near = block[np.arange(len(block)), best]
        distances[start : start + len(block)] = np.clip(1.0 - near, 0.0, 2.0)
    return labels, distances


def silhouette(unit: np.ndarray, labels: np.ndarray) -> float:
    """Mean silhouette with cosine distance (0 for an occurrence alone in its sense).

    >>> x = np.array([[1, 0], [0.99, 0.14], [0, 1], [0.14, 0.99]], dtype=np.float32)
    >>> x /= np.linalg.norm(x, axis=1, keepdims=True)
    >>> round(silhouette(x, np.array([0, 0, 1, 1])), 3)
    0.988
    """
    k = int(labels.max()) + 1
    if k < 2:
        return 0.0
    members = np.zeros((len(unit), k), dtype=np.float32)
    members[np.arange(len(unit)), labels] = 1.0
    sums = np.empty((len(unit), k), dtype=np.float32)
    for start in range(0, len(unit), SILHOUETTE_BLOCK):  # (block, n) distances at a time
        block = np.clip(1.0 - unit[start : start + SILHOUETTE_BLOCK] @ unit.T, 0.0, 2.0)
        sums[start : start + len(block)] = block @ members
    counts = members.sum(axis=0)
    own_count = counts[labels] - 1
    own = np.take_along_axis(sums, labels[:, None], axis=1)[:, 0]
    within = np.divide(own, own_count, out=np.zeros_like(own), where=own_count > 0)
    means = sums / np.maximum(counts, 1)
    means[np.arange(len(unit)), labels] = np.inf
    means[:, counts == 0] = np.inf
    between = means.min(axis=1)
    widest = np.maximum(within, between)
    values = np.divide(between - within, widest, out=np.zeros_like(within), where=widest > 0)
    values[own_count == 0] = 0.0
    return float(values.mean())


def separation(centres: np.ndarray) -> float:
    """The smallest cosine distance between two of ``centres`` (unit rows).

    >>> round(separation(np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float32)), 3)
    0.2
    """
    if len(centres) < 2:
        return 2.0
    similar = centres @ centres.T
    np.fill_diagonal(similar, -1.0)
    return float(1.0 - similar.max())


def _choose_k(
    selection: np.ndarray,
    most: int,
    settings: SenseSettings,
    rng: np.random.Generator,
    scores: dict[int, float],
    separations: dict[int, float],
) -> tuple[int, np.ndarray | None]:
    """(k, its centres on the selection sample); fills ``scores`` and ``separations``."""
    if most < 2:
        return 1, None
    scored = _sample_rows(len(selection), settings.silhouette_sample, rng)
    smallest = max(settings.min_size, int(np.ceil(settings.min_share * len(selection))))
    fits: dict[int, np.ndarray] = {}
    for k in range(2, most + 1):
        centres = _kmeans(selection, k, settings, None, restarts=settings.restarts)
        labels, _ = assign(selection, centres)
        separations[k] = separation(centres)
        if np.bincount(labels, minlength=k).min() < smallest:
            continue
        if separations[k] < settings.min_separation:
            continue
        sub = labels[scored]
        if len(np.unique(sub)) < 2:
            continue
        scores[k] = silhouette(selection[scored], sub)
        fits[k] = centres
    logger.info("silhouette by number of senses: %s", {k: round(s, 3) for k, s in scores.items()})
    if not scores:
        return 1, None
    best = max(scores, key=lambda k: (scores[k], -k))
    if scores[best] < settings.min_silhouette:
        return 1, None
    return best, fits[best]


def _kmeans(
    x: np.ndarray,
    k: int,
    settings: SenseSettings,
    start: np.ndarray | None,
    *,
    restarts: int = 1,
) -> np.ndarray:
    """(k, dim) unit centres of spherical k-means on every row of ``x``."""
    import faiss

    kmeans = faiss.Kmeans(
        x.shape[1],
        k,
        niter=settings.iterations,
        nredo=1 if start is not None else restarts,
        spherical=True,
        seed=settings.seed + 1,
        max_points_per_centroid=max(1, -(-len(x) // k)),
        min_points_per_centroid=1,
        init_method=faiss.ClusteringInitMethod_KMEANS_PLUS_PLUS,
        verbose=False,
    )
    kmeans.train(np.ascontiguousarray(x), init_centroids=start)
    return _normalised(np.asarray(kmeans.centroids, dtype=np.float32))


def _by_size(labels: np.ndarray, k: int) -> np.ndarray:
    """Centre indices ordered by the number of rows assigned, largest first."""
    sizes = np.bincount(labels, minlength=k)
    return np.lexsort((np.arange(k), -sizes))


def _normalised(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _sample_rows(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted row numbers of a seeded sample of ``size`` of ``n`` rows (all when fewer)."""
    if n <= size:
        return np.arange(n)
    return np.sort(rng.choice(n, size=size, replace=False))


def _sample(x: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    rows = _sample_rows(len(x), size, rng)
    return x if len(rows) == len(x) else np.ascontiguousarray(x[rows])
