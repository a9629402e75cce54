"""The 2-D map of a word's occurrences: a PCA projection of their unit vectors, coloured by sense.

PCA (the two directions of largest variance of the drawn occurrences' L2-normalised vectors)
is linear, deterministic and needs no dependency beyond numpy; it keeps the distances between
sense centres readable. A word with more than ``max_points`` occurrences is drawn from a seeded
sample (for drawing only: the senses are those of every occurrence), and the map says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from query.senses.result import Senses

if TYPE_CHECKING:
    from query.index import SenseIndex

#: Seed of the sample of occurrences drawn.
PLOT_SEED = 0


def principal_plane(unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, 2) coordinates of the rows of ``unit`` on their first two principal axes, and the
    share of the variance each axis holds. Each axis's sign is fixed: its largest component
    is positive.

    >>> x = np.array([[0, 0], [2, 0.1], [4, -0.1], [6, 0]], dtype=np.float32)
    >>> points, shares = principal_plane(x)
    >>> points[:, 0].round(2).tolist(), bool(shares[0] > 0.99)
    ([-3.0, -1.0, 1.0, 3.0], True)
    """
    centred = unit - unit.mean(axis=0, dtype=np.float64).astype(np.float32)
    if len(centred) < 2:
        return np.zeros((len(centred), 2), dtype=np.float32), np.zeros(2)
    _, singular, axes = np.linalg.svd(centred, full_matrices=False)
    plane = np.zeros((2, unit.shape[1]), dtype=np.float32)
    plane[: min(2, len(axes))] = axes[:2]
    for axis in plane:
        if axis[np.argmax(np.abs(axis))] < 0:
            axis *= -1
    points = centred @ plane.T
    variance = singular**2
    total = float(variance.sum()) or 1.0
    shares = np.zeros(2)
    shares[: min(2, len(variance))] = variance[:2] / total
    return points.astype(np.float32), shares


@dataclass(frozen=True, eq=False)
class SenseMap:
    """The drawn occurrences of a word: their rows in ``Senses``' arrays, their coordinates on
    the principal plane, and the axes' labels."""

    rows: np.ndarray
    points: np.ndarray
    axes: tuple[str, str]


def sense_map(index: SenseIndex, senses: Senses, max_points: int) -> SenseMap:
    """The map of ``senses``: every occurrence, or a seeded sample of ``max_points``."""
    from query.senses.induce import unit_vectors

    n = senses.n_occurrences
    rows = np.arange(n)
    if n > max_points:
        rng = np.random.default_rng(PLOT_SEED)
        rows = np.sort(rng.choice(n, size=max_points, replace=False))
    unit = unit_vectors(index, senses.occurrence_ids[rows], senses.layer)
    points, shares = principal_plane(unit)
    axes = (f"PC 1 ({shares[0]:.0%} of variance)", f"PC 2 ({shares[1]:.0%})")
    return SenseMap(rows, points, axes)


def draw_sense_map(
    index: SenseIndex,
    senses: Senses,
    path: Path,
    *,
    max_points: int,
    size: tuple[int, int] | None = None,
) -> Path:
    """Draw ``senses`` as a map at ``path`` (PNG or SVG by its suffix)."""
    from query.plots import plot_sense_map

    drawn = sense_map(index, senses, max_points)
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
    )
