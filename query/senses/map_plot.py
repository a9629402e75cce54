"""The sense map drawn: occurrences coloured by sense, each sense's centre, and a sentence
placed among them (``--context``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.errors import QueryError
from query.plots import colours, fit, new_figure, picture_format, save, shorten_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Size in pixels of a sense map when none is given.
MAP_SIZE = (1000, 800)
#: Points of a sense map drawn at most; a seeded sample beyond.
MAX_POINTS = 20_000
#: Characters of a placed sentence shown in the legend, about.
SENTENCE_CHARS = 70


@dataclass(frozen=True)
class MapMark:
    """A sentence placed on a map: where its word lands, the sense it is tagged with, its text,
    and its cosine distance to that sense's centre in the full space (None: not given)."""

    x: float
    y: float
    sense: int
    sentence: str
    distance: float | None = None

    @property
    def legend(self) -> str:
        """The mark's text in a legend.

        >>> MapMark(0.1, 0.2, 1, "We sat on the [[bank]] .", 0.2535).legend
        'your sentence, sense 1 (0.25 from its centre): We sat on the [[bank]] .'
        """
        far = "" if self.distance is None else f" ({self.distance:.2f} from its centre)"
        sentence = shorten_label(self.sentence, SENTENCE_CHARS)
        return f"your sentence, sense {self.sense}{far}: {sentence}"


def sense_map_figure(
    points: np.ndarray,
    senses: np.ndarray,
    legend: Sequence[str],
    *,
    title: str,
    axes: tuple[str, str] = ("PC 1", "PC 2"),
    max_points: int = MAX_POINTS,
    seed: int = 0,
    total: int | None = None,
    size: tuple[int, int] | None = None,
    context: MapMark | None = None,
) -> Figure:
    """Occurrences at ``points`` (n, 2), coloured by ``senses`` (n ints, ``legend[i]`` the text
    of sense ``i``), axes labelled ``axes``; each sense's centre (the mean of its drawn points)
    as a cross with a black edge, and ``context`` as a star in its sense's colour, its sentence
    in the legend. Beyond ``max_points`` a seeded random sample of that many is drawn; a line
    under ``title`` says how many were, of ``total`` (the occurrences a caller sampled
    ``points`` from; by default ``len(points)``). ``size`` is in pixels (by default
    :data:`MAP_SIZE`, grown where a text would not fit).

    Artists' ids (``<g id>`` in an SVG): ``sense-i`` the points of sense ``i``, ``centre-i``
    its centre, ``context`` the placed sentence, ``legend`` the legend and ``legend-i`` its text
    for sense ``i``, ``note`` the line under the title."""
    points, senses = _check_map(points, senses, legend)
    if context is not None and not 0 <= context.sense < len(legend):
        raise QueryError(f"the context's sense {context.sense} has no legend text")
    points, senses, note = _sample(points, senses, max_points, seed, total)
    alpha, marker = _alpha(len(points)), _marker_size(len(points))
    fig = new_figure(size or MAP_SIZE)
    from matplotlib.lines import Line2D

    ax = fig.add_subplot()
    palette = colours(len(legend))
    scale = max(1.0, math.sqrt(30 / marker))  # the legend's points: those of the map, larger
    handles, extra, extra_text = [], [], []
    for i, colour in enumerate(palette):
        mine = points[senses == i]
        dots = ax.scatter(mine[:, 0], mine[:, 1], s=marker, color=colour, alpha=alpha, linewidths=0)
        dots.set_gid(f"sense-{i}")
        handles.append(dots)
    for i, colour in enumerate(palette):
        mine = points[senses == i]
        if len(mine):
            centre = mine.mean(axis=0)
            ax.scatter([centre[0]], [centre[1]], s=150, marker="X", color=colour,
                       edgecolors="black", linewidths=1.2, zorder=3, gid=f"centre-{i}")  # fmt: skip
    if len(points):
        extra.append(Line2D([], [], ls="", marker="X", ms=10 / scale, color="0.6", mec="black"))
        extra_text.append("centre of a sense (the mean of its points)")
    if context is not None:
        colour = palette[context.sense]
        ax.scatter([context.x], [context.y], s=360, marker="*", color=colour,
                   edgecolors="black", linewidths=1.2, zorder=4, gid="context")  # fmt: skip
        extra.append(Line2D([], [], ls="", marker="*", ms=15 / scale, color=colour, mec="black"))
        extra_text.append(context.legend)
    key = fig.legend(
        [*handles, *extra],
        [*legend, *extra_text],
        loc="outside lower center",
        ncols=1 if len(legend) <= 4 else 2 + (len(legend) - 1) // 24,
        markerscale=scale,
    )
    key.set_gid("legend")
    for i, (text, handle) in enumerate(zip(key.get_texts(), key.legend_handles, strict=True)):
        text.set_parse_math(False)
        if i < len(legend):
            text.set_gid(f"legend-{i}")
            if handle is not None:
                handle.set_alpha(1.0)
    fig.suptitle(title, parse_math=False)
    ax.set_title(note, fontsize="small", color="0.35", gid="note")
    ax.set_xlabel(axes[0], parse_math=False)
    ax.set_ylabel(axes[1], parse_math=False)
    return fit(fig, grow=size is None)


def plot_sense_map(
    path: str | Path,
    points: np.ndarray,
    senses: np.ndarray,
    legend: Sequence[str],
    *,
    title: str,
    axes: tuple[str, str] = ("PC 1", "PC 2"),
    max_points: int = MAX_POINTS,
    seed: int = 0,
    total: int | None = None,
    size: tuple[int, int] | None = None,
    context: MapMark | None = None,
) -> Path:
    """Draw :func:`sense_map_figure` to ``path`` (.png or .svg); the path written."""
    fmt = picture_format(path)
    fig = sense_map_figure(points, senses, legend, title=title, axes=axes, max_points=max_points,
                           seed=seed, total=total, size=size, context=context)  # fmt: skip
    return save(fig, path, fmt)


def _sample(
    points: np.ndarray, senses: np.ndarray, max_points: int, seed: int, total: int | None
) -> tuple[np.ndarray, np.ndarray, str]:
    """At most ``max_points`` of the points (a seeded sample, in their order), and the line
    saying how many of ``total`` occurrences are drawn.

    >>> _sample(np.zeros((100, 2)), np.zeros(100, int), 40, 0, None)[2]
    '40 of 100 occurrences drawn (seeded sample)'
    """
    n = len(points)
    total = n if total is None else total
    if max_points < 1:
        raise QueryError(f"max_points must be at least 1, got {max_points}")
    if total < n:
        raise QueryError(f"total must be at least the {n:,} points given, got {total:,}")
    if n > max_points:
        chosen = np.sort(np.random.default_rng(seed).choice(n, size=max_points, replace=False))
        points, senses = points[chosen], senses[chosen]
    if len(points) < total:
        return points, senses, f"{len(points):,} of {total:,} occurrences drawn (seeded sample)"
    return points, senses, f"all {total:,} occurrence{'' if total == 1 else 's'} drawn"


def _alpha(n: int) -> float:
    """Opacity of ``n`` points: 0.8 up to a few hundred, falling to 0.15 from about 20,000.

    >>> [round(_alpha(n), 2) for n in (100, 300, 1_000, 5_000, 20_000, 10**6)]
    [0.8, 0.8, 0.49, 0.26, 0.15, 0.15]
    """
    return float(np.clip(0.8 * (300 / max(n, 1)) ** 0.4, 0.15, 0.8))


def _marker_size(n: int) -> float:
    """Marker area (points²) of ``n`` points: 16 up to 300, down to 2 from about 20,000."""
    return float(np.clip(16 * (300 / max(n, 1)) ** 0.5, 2.0, 16.0))


def _check_map(
    points: np.ndarray, senses: np.ndarray, legend: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """``points`` as float (n, 2) and ``senses`` as (n,) ints below ``len(legend)``."""
    xy, labels = np.asarray(points, dtype=np.float64), np.asarray(senses)
    if xy.ndim != 2 or xy.shape[1] != 2 or labels.shape != (len(xy),):
        shapes = f"{xy.shape} and {labels.shape}"
        raise QueryError(f"points must be an (n, 2) array and senses (n,), got {shapes}")
    if len(labels) and not np.issubdtype(labels.dtype, np.integer):
        raise QueryError(f"senses must be integers, got {labels.dtype}")
    if not legend:
        raise QueryError("a sense map needs a legend text for each sense, got none")
    outside, last = labels[(labels < 0) | (labels >= len(legend))], len(legend) - 1
    if len(outside):
        raise QueryError(f"sense {int(outside[0])} has no legend text (senses 0..{last})")
    return xy, labels.astype(np.int64)
