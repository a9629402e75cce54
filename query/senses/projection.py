"""The 2-D map of a word's occurrences: a PCA projection of their unit vectors, coloured by sense.

PCA (the two directions of largest variance of the drawn occurrences' L2-normalised vectors)
is linear, deterministic and needs no dependency beyond numpy; it keeps the distances between
sense centres readable. A word with more than ``max_points`` occurrences is drawn from a seeded
sample (for drawing only: the senses are those of every occurrence), and the map says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from query.senses.result import Senses, SenseTag

if TYPE_CHECKING:
    from query.index import SenseIndex
    from query.senses.map_plot import MapMark

#: Seed of the sample of occurrences drawn.
PLOT_SEED = 0


@dataclass(frozen=True, eq=False)
class Plane:
    """The first two principal axes of some unit vectors: their mean, the (2, dim) axes, and
    the share of the variance each axis holds."""

    mean: np.ndarray
    axes: np.ndarray
    shares: np.ndarray

    def project(self, unit: np.ndarray) -> np.ndarray:
        """(n, 2) coordinates of the rows of ``unit`` (vectors of the same space) on the plane."""
        return np.asarray((unit - self.mean) @ self.axes.T, dtype=np.float32)


def fit_plane(unit: np.ndarray) -> Plane:
    """The principal plane of the rows of ``unit``; each axis's sign is fixed: its largest
    component is positive."""
    mean = unit.mean(axis=0, dtype=np.float64).astype(np.float32)
    plane = np.zeros((2, unit.shape[1]), dtype=np.float32)
    shares = np.zeros(2)
    if len(unit) < 2:
        return Plane(mean, plane, shares)
    _, singular, axes = np.linalg.svd(unit - mean, full_matrices=False)
    plane[: min(2, len(axes))] = axes[:2]
    for axis in plane:
        if axis[np.argmax(np.abs(axis))] < 0:
            axis *= -1
    variance = singular**2
    total = float(variance.sum()) or 1.0
    shares[: min(2, len(variance))] = variance[:2] / total
    return Plane(mean, plane, shares)


def principal_plane(unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) coordinates of the rows of ``unit`` on their first two principal axes, and the
    share of the variance each axis holds (:func:`fit_plane`).

    >>> x = np.array([[0, 0], [2, 0.1], [4, -0.1], [6, 0]], dtype=np.float32)
    >>> points, shares = principal_plane(x)
    >>> points[:, 0].round(2).tolist(), bool(shares[0] > 0.99)
    ([-3.0, -1.0, 1.0, 3.0], True)
    """
    plane = fit_plane(unit)
    return plane.project(unit), plane.shares


@dataclass(frozen=True, eq=False)
class SenseMap:
    """The drawn occurrences of a word: their rows in ``Senses``' arrays, their coordinates on
    the principal plane, the axes' labels, and the plane (to place other vectors on it)."""

    rows: np.ndarray
    points: np.ndarray
    axes: tuple[str, str]
    plane: Plane


def sense_map(index: SenseIndex, senses: Senses, max_points: int) -> SenseMap:
    """The map of ``senses``: every occurrence, or a seeded sample of ``max_points``."""
    from query.senses.induce import unit_vectors

    n = senses.n_occurrences
    rows = np.arange(n)
    if n > max_points:
        rng = np.random.default_rng(PLOT_SEED)
        rows = np.sort(rng.choice(n, size=max_points, replace=False))
    unit = unit_vectors(index, senses.occurrence_ids[rows], senses.layer)
    plane = fit_plane(unit)
    shares = plane.shares
    axes = (f"PC 1 ({shares[0]:.0%} of variance)", f"PC 2 ({shares[1]:.0%})")
    return SenseMap(rows, plane.project(unit), axes, plane)


def context_mark(
    index: SenseIndex, senses: Senses, plane: Plane, context: str | Sequence[str] | SenseTag
) -> MapMark:
    """A sentence's word placed on ``plane``, with the sense :meth:`Senses.assign` tags it with
    (``context``: a sentence, ``[[word]]`` marking the word where it repeats, or that tag)."""
    from query.senses.map_plot import MapMark

    tag = context if isinstance(context, SenseTag) else senses.assign(context)
    tokens, at = tag.sentence.split(" "), tag.position
    vector = np.asarray(index.embedder.embed(tokens)[senses.layer, at], dtype=np.float32)
    norm = float(np.linalg.norm(vector))
    x, y = plane.project((vector / norm if norm > 0 else vector)[None, :])[0].tolist()
    marked = [*tokens[:at], f"[[{tokens[at]}]]", *tokens[at + 1 :]]
    return MapMark(x, y, tag.sense, " ".join(marked), tag.distances[tag.sense])


def draw_sense_map(
    index: SenseIndex,
    senses: Senses,
    path: Path,
    *,
    max_points: int,
    size: tuple[int, int] | None = None,
    context: str | Sequence[str] | SenseTag | None = None,
) -> Path:
    """Draw ``senses`` as a map at ``path`` (PNG or SVG by its suffix), with ``context`` (a
    sentence or its :class:`SenseTag`) placed on it."""
    from query.plots import picture_format
    from query.senses.map_plot import plot_sense_map

    picture_format(path)
    drawn = sense_map(index, senses, max_points)
    mark = None if context is None else context_mark(index, senses, drawn.plane, context)
    legend = [f"{s.sense}: {s.label_text} ({s.size:,})" for s in senses.senses]
    return plot_sense_map(
        path,
        drawn.points,
        senses.labels[drawn.rows],
        legend,
        title=f"{senses.word!r} on layer {senses.layer}: {len(senses)} senses",
        total=senses.n_occurrences,
        axes=drawn.axes,
        size=size,
        context=mark,
    )
