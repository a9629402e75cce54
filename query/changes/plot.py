"""The picture of ``query compare --plot``: a word's sense shares per group as stacked bars,
its empty bins, and the change scores between the groups."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.errors import QueryError
from query.plots import colours, fit, new_figure, picture_format, save, shorten_label

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from query.changes.compare import Comparison, PairScores

#: The text of an empty bin's bar.
EMPTY = "empty"


def score_pairs(comparison: Comparison) -> list[PairScores]:
    """The pairs whose scores a picture states: each group with the next one, and the first
    with the last where there are more than two."""
    by_names = {(pair.source, pair.target): pair for pair in comparison.pairs}
    names = [group.group for group in comparison.groups]
    wanted = list(pairwise(names))
    if len(names) > 2:
        wanted.append((names[0], names[-1]))
    return [by_names[pair] for pair in wanted if pair in by_names]


def score_line(pair: PairScores) -> str:
    """One pair's scores, as the caption writes them.

    >>> from query.changes.compare import PairScores
    >>> score_line(PairScores("1990s", "2010s", 180, 180, 0.25161, 0.13983, 0.39021))
    '1990s → 2010s: APD 0.2516 · PRT 0.1398 · JSD 0.3902'
    """
    scores = f"APD {pair.apd:.4f} · PRT {pair.prt:.4f} · JSD {pair.jsd:.4f}"
    return f"{pair.source} → {pair.target}: {scores}"


def shares_figure(comparison: Comparison, *, size: tuple[int, int] | None = None) -> Figure:
    """A comparison drawn: one stacked bar per group (one colour per sense, the senses' labels
    in the legend, the group's count above it), a dashed empty bar marked "empty" for a bin
    with no occurrence, and under the axes the scores of :func:`score_pairs`. ``size`` is in
    pixels; by default it grows with the groups and the score lines, and to fit every text.

    Artists' ids: ``sense-i`` the bars of sense ``i``, ``empty-j`` the empty bar at position
    ``j``, ``scores`` the caption."""
    groups = comparison.groups
    if not groups:
        raise QueryError("nothing to draw: the comparison has no groups")
    order = list(comparison.order) or [group.group for group in groups]
    at = {label: x for x, label in enumerate(order)}
    k = len(comparison.senses)
    shares = np.array([group.shares for group in groups], dtype=np.float64).reshape(len(groups), k)
    positions = np.array([at[group.group] for group in groups], dtype=np.float64)
    lines = [score_line(pair) for pair in score_pairs(comparison)]
    width = int(np.clip(420 + 70 * len(order), 640, 3000))
    fig = new_figure(size or (width, 420 + 16 * len(lines)))
    ax = fig.subplots()
    palette = colours(k)
    bottom = np.zeros(len(groups))
    for sense in range(k):
        legend = shorten_label(f"{sense}: {comparison.senses[sense]}")
        bars = ax.bar(positions, shares[:, sense], 0.7, bottom=bottom, color=palette[sense],
                      label=legend)  # fmt: skip
        for bar in bars.patches:
            bar.set_gid(f"sense-{sense}")
        bottom += shares[:, sense]
    for x, group in zip(positions.tolist(), groups, strict=True):
        ax.text(x, 1.02, f"{group.count:,}", ha="center", va="bottom", fontsize=8)
    for label in comparison.empty:
        x = at[label]
        ax.bar([x], [1.0], 0.7, fill=False, edgecolor="0.55", linestyle="--", gid=f"empty-{x}")
        ax.text(x, 0.5, EMPTY, ha="center", va="center", rotation=90, color="0.4", fontsize=9)
        ax.text(x, 1.02, "0", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(np.arange(len(order)), [shorten_label(label) for label in order],
                  parse_math=False)  # fmt: skip
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("share of occurrences")
    ax.set_xlabel(comparison.field)
    ax.set_title(f"senses of {shorten_label(comparison.word)} by {comparison.field}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    if lines:
        caption = fig.supxlabel("\n".join(lines), fontsize=9, color="0.2", parse_math=False)
        caption.set_gid("scores")
    return fit(fig, grow=size is None)


def plot_shares(
    comparison: Comparison, path: str | Path, *, size: tuple[int, int] | None = None
) -> Path:
    """Draw :func:`shares_figure` to ``path`` (.png or .svg); the path written."""
    fmt = picture_format(path)
    return save(shares_figure(comparison, size=size), path, fmt)
