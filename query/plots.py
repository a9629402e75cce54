"""Pictures of query results, drawn with matplotlib's non-interactive Agg backend."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from indexer.errors import QueryError
from query.kwic import ELLIPSIS, kwic
from query.results import DistanceTable

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.image import AxesImage

    from query.changes.compare import Comparison

logger = logging.getLogger(__name__)

#: Picture formats by file suffix.
FORMATS = {".png": "png", ".svg": "svg"}
#: Pixels per inch of every figure: a size in pixels is the size of the PNG written.
DPI = 100
#: Size in pixels of a sense map when none is given.
MAP_SIZE = (1000, 800)
#: Points of a sense map drawn at most; a seeded sample beyond.
MAX_POINTS = 20_000
#: Characters of an item's label shown on a heatmap's axis, about.
LABEL_CHARS = 40
#: A heatmap writes its values in the cells up to this many items.
MAX_CELL_VALUES = 12
_PANEL_COLUMNS = 3
_LABEL_PX = 260  # room for a label of LABEL_CHARS characters beside or under a heatmap


def picture_format(path: str | Path) -> str:
    """``png`` or ``svg``, from the suffix of ``path``; QueryError for another suffix or when
    matplotlib is not installed (the CLI checks this before doing any work)."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        got = f"a {suffix} file" if suffix else "a file without a suffix"
        raise QueryError(f"cannot draw a picture as {got}: give a .png or .svg file", path=path)
    try:
        import matplotlib  # noqa: F401
    except ImportError as err:
        raise QueryError(
            "drawing pictures needs matplotlib: pip install 'elmo-sense-index[plot]'"
        ) from err
    return FORMATS[suffix]


def shorten_label(label: str, width: int = LABEL_CHARS) -> str:
    """``label`` cut to about ``width`` characters: whole tokens around its ``[[word]]``, ``…``
    where cut; a label that marks no word keeps its start.

    >>> shorten_label("#7 … the muddy [[bank]] of the river where we fished", 30)
    '… muddy [[bank]] of the …'
    >>> shorten_label("a long label that marks no word at all", 20)
    'a long label that m…'
    """
    if len(label) <= width:
        return label
    tokens = label.split(" ")
    marked = [i for i, token in enumerate(tokens) if "[[" in token]
    if not marked:
        return label[: width - 1] + ELLIPSIS
    line = kwic(tokens, marked[0], max(1, (width - len(tokens[marked[0]])) // 2 - 3))
    return " ".join(part for part in (line.left, line.keyword, line.right) if part)


def plot_distances(
    table: DistanceTable, path: str | Path, *, size: tuple[int, int] | None = None
) -> Path:
    """Draw ``table`` to ``path`` (.png or .svg): one heatmap per layer titled ``layer L``,
    rows and columns labelled by the items, one colour scale for all ("cosine distance"), the
    values in the cells up to :data:`MAX_CELL_VALUES` items. ``size`` is in pixels; by default
    it grows with the layers and items. Returns the path written."""
    fmt = picture_format(path)
    n, layers = len(table.items), table.layers
    if n == 0 or not layers:
        raise QueryError("nothing to draw: the distance table has no items or no layers")
    cols = min(len(layers), _PANEL_COLUMNS)
    rows = math.ceil(len(layers) / cols)
    size, cell = _grid_size(n, cols, rows, size)
    labels = [shorten_label(item.label) for item in table.items]
    with _drawing(path, fmt, size, "compressed") as fig:
        from matplotlib.colors import Normalize

        grid = fig.subplots(rows, cols, squeeze=False, sharey=True)
        panels = list(grid.flat[: len(layers)])
        for spare in grid.flat[len(layers) :]:
            spare.set_visible(False)
        top = max(float(np.max(table.matrix(layer))) for layer in layers)
        norm = Normalize(vmin=0.0, vmax=top if top > 0 else 1.0)
        images = [
            _heatmap(ax, layer, table.matrix(layer), norm, labels, cell)
            for ax, layer in zip(panels, layers, strict=True)
        ]
        fig.colorbar(images[0], ax=panels, label="cosine distance", shrink=0.8)
    return Path(path).resolve()


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
) -> Path:
    """Draw occurrences at ``points`` (n, 2), coloured by ``senses`` (n ints, ``legend[i]`` the
    text of sense ``i``), to ``path`` (.png or .svg), axes labelled ``axes``. Beyond
    ``max_points`` a seeded random sample of that many is drawn; a line under ``title`` says
    how many were, of ``total`` (the occurrences a caller sampled ``points`` from; by default
    ``len(points)``). ``size`` is in pixels (:data:`MAP_SIZE`). Returns the path written.

    In an SVG, the points of sense ``i`` lie in ``<g id="sense-i">``, the legend in
    ``<g id="legend">``, its text for sense ``i`` in ``<g id="legend-i">``, the line under the
    title in ``<g id="note">``."""
    fmt = picture_format(path)
    points, senses = _check_map(points, senses, legend)
    points, senses, note = _sample(points, senses, max_points, seed, total)
    alpha, marker = _alpha(len(points)), _marker_size(len(points))
    with _drawing(path, fmt, size or MAP_SIZE) as fig:
        ax = fig.add_subplot()
        handles = []
        for i, colour in enumerate(_colours(len(legend))):
            mine = points[senses == i]
            dots = ax.scatter(
                mine[:, 0], mine[:, 1], s=marker, color=colour, alpha=alpha, linewidths=0
            )
            dots.set_gid(f"sense-{i}")
            handles.append(dots)
        key = fig.legend(
            handles,
            list(legend),
            loc="outside lower center",
            ncols=1 if len(legend) <= 4 else 2 + (len(legend) - 1) // 24,
            markerscale=max(1.0, math.sqrt(30 / marker)),
        )
        key.set_gid("legend")
        for i, (text, handle) in enumerate(zip(key.get_texts(), key.legend_handles, strict=True)):
            text.set_gid(f"legend-{i}")
            text.set_parse_math(False)
            if handle is not None:
                handle.set_alpha(1.0)
        fig.suptitle(title, parse_math=False)
        ax.set_title(note, fontsize="small", color="0.35", gid="note")
        ax.set_xlabel(axes[0], parse_math=False)
        ax.set_ylabel(axes[1], parse_math=False)
    return Path(path).resolve()


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


def plot_shares(
    comparison: Comparison, path: str | Path, *, size: tuple[int, int] | None = None
) -> Path:
    """Draw a comparison's sense shares per group as stacked bars (one bar per group, one
    colour per sense, the senses' labels in the legend, each bar's count above it) to ``path``
    (.png or .svg). Returns the path written."""
    fmt = picture_format(path)
    groups = comparison.groups
    if not groups:
        raise QueryError("nothing to draw: the comparison has no groups")
    k = len(comparison.senses)
    shares = np.array([group.shares for group in groups], dtype=np.float64).reshape(len(groups), k)
    width = int(np.clip(420 + 70 * len(groups), 640, 3000))
    with _drawing(path, fmt, size or (width, 420)) as fig:
        ax = fig.subplots()
        colours = _colours(k)
        positions = np.arange(len(groups))
        bottom = np.zeros(len(groups))
        for sense in range(k):
            legend = shorten_label(f"{sense}: {comparison.senses[sense]}")
            bars = ax.bar(positions, shares[:, sense], 0.7, bottom=bottom, color=colours[sense],
                          label=legend)  # fmt: skip
            for bar in bars.patches:
                bar.set_gid(f"sense-{sense}")
            bottom += shares[:, sense]
        for x, group in zip(positions.tolist(), groups, strict=True):
            ax.text(x, 1.02, f"{group.count:,}", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(positions, [shorten_label(g.group) for g in groups], parse_math=False)
        ax.set_ylim(0, 1.12)
        ax.set_ylabel("share of occurrences")
        ax.set_xlabel(comparison.field)
        ax.set_title(f"senses of {shorten_label(comparison.word)} by {comparison.field}")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return Path(path).resolve()


def _colours(k: int) -> np.ndarray:
    """``k`` distinct RGBA colours: tab10, then tab20 (tab10's colours first), then turbo."""
    from matplotlib import colormaps

    if k <= 10:
        return np.asarray(colormaps["tab10"](np.arange(k)))
    if k <= 20:
        order = np.r_[np.arange(0, 20, 2), np.arange(1, 20, 2)][:k]
        return np.asarray(colormaps["tab20"](order))
    return np.asarray(colormaps["turbo"](np.linspace(0.0, 1.0, k)))


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


def _grid_size(
    n: int, cols: int, rows: int, size: tuple[int, int] | None
) -> tuple[tuple[int, int], float]:
    """The pixels of a distance picture (by default: cells of 16 to 48 px, labels, a colour bar,
    bounded), and about how many pixels a heatmap cell gets in it."""
    if size is None:
        panel = n * float(np.clip(480 / n, 16, 48))
        width = _LABEL_PX + cols * (panel + 30) + 130
        height = rows * (panel + _LABEL_PX + 60) + 20
        size = int(np.clip(width, 600, 4000)), int(np.clip(height, 400, 3000))
    across = (size[0] - _LABEL_PX - 130) / cols - 30
    down = (size[1] - 20) / rows - _LABEL_PX - 60
    return size, max(4.0, min(across, down) / n)


def _heatmap(
    ax: Axes, layer: int, matrix: np.ndarray, norm: Normalize, labels: list[str], cell: float
) -> AxesImage:
    """One layer's matrix on ``ax``, with labels and, for few items, the values in the cells."""
    image = ax.imshow(matrix, cmap="viridis", norm=norm, interpolation="nearest")
    ax.set_title(f"layer {layer}")
    ax.set_gid(f"layer-{layer}")
    ticks = list(range(len(labels)))
    font = float(np.clip(cell * 0.4, 4, 9))  # points: a pixel is 0.72 pt at 100 dpi
    ax.set_xticks(ticks, labels, rotation=90, fontsize=font, parse_math=False)
    ax.set_yticks(ticks, labels, fontsize=font, parse_math=False)
    ax.tick_params(length=0)
    if len(labels) <= MAX_CELL_VALUES:
        value_font = float(np.clip(cell * 0.18, 4, 10))
        for (row, col), value in np.ndenumerate(matrix):
            dark = norm(float(value)) < 0.5  # viridis: dark at the low end
            ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=value_font,
                    color="white" if dark else "black")  # fmt: skip
    return image


@contextmanager
def _drawing(
    path: str | Path,
    fmt: str,
    size: tuple[int, int],
    layout: Literal["constrained", "compressed"] = "constrained",
) -> Iterator[Figure]:
    """A figure of ``size`` pixels outside pyplot's global state, written to ``path`` as the
    block ends; drawn under settings that make SVG output the same bytes on each run, keep SVG
    text as text (searchable, smaller) and keep the size whatever a matplotlibrc says."""
    import matplotlib
    from matplotlib.figure import Figure

    if min(size) < 1:
        raise QueryError(f"a picture's size must be positive pixels, got {size}")
    out = Path(path).resolve()
    with matplotlib.rc_context(
        {"svg.hashsalt": "elmo-sense-index", "svg.fonttype": "none", "savefig.bbox": "standard"}
    ):
        fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, layout=layout)
        yield fig
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, format=fmt, dpi=DPI, metadata={"Date": None} if fmt == "svg" else None)
    logger.info("wrote %s", out)
