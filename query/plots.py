"""Pictures of query results, drawn with matplotlib's Agg canvas: the shared machinery (formats,
labels, colours, figures sized so that no text is clipped) and the distance heatmaps."""

from __future__ import annotations

import logging
import math
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

logger = logging.getLogger(__name__)

#: Picture formats by file suffix.
FORMATS = {".png": "png", ".svg": "svg"}
#: Pixels per inch of every figure: a size in pixels is the size of the PNG written.
DPI = 100
#: The largest picture drawn by default, in pixels: a figure grows up to it to fit its texts.
MAX_SIZE = (4000, 3000)
#: Characters of an item's label shown on a heatmap's axis, about.
LABEL_CHARS = 40
#: A heatmap writes its values in the cells up to this many items.
MAX_CELL_VALUES = 12
#: A distance at most this far from 0 counts as 0 (float rounding of identical vectors).
ZERO = 1e-5
_PANEL_COLUMNS = 3
_LABEL_PX = 260  # room for a label of LABEL_CHARS characters beside or under a heatmap
_MARGIN_IN = 0.08  # inches kept free around the texts when a figure grows to fit them


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


def context_free_layers(table: DistanceTable) -> tuple[int, ...]:
    """The layers of ``table`` that ignore context: every two items of the same word are 0
    apart there (the character layer 0 of ELMo). None where no word occurs twice."""
    words = [item.word for item in table.items]
    upper = np.triu_indices(len(words), 1)
    pairs = [(i, j) for i, j in zip(*upper, strict=True) if words[i] == words[j]]
    if not pairs:
        return ()
    rows, cols = np.asarray(pairs).T
    return tuple(
        layer
        for layer in table.layers
        if float(np.max(np.abs(table.matrix(layer)[rows, cols]))) <= ZERO
    )


def distances_figure(table: DistanceTable, *, size: tuple[int, int] | None = None) -> Figure:
    """``table`` drawn: one heatmap per layer titled ``layer L``, rows and columns labelled by
    the items, one colour scale for all ("cosine distance"), the values in the cells up to
    :data:`MAX_CELL_VALUES` items. A context-free layer (:func:`context_free_layers`) is left
    out, which a note under the panels says, unless it is the only one. ``size`` is in pixels;
    by default it grows with the layers and items, and so that every text fits."""
    n = len(table.items)
    if n == 0 or not table.layers:
        raise QueryError("nothing to draw: the distance table has no items or no layers")
    free = context_free_layers(table)
    layers = [layer for layer in table.layers if layer not in free] or list(table.layers)
    left_out = [layer for layer in table.layers if layer not in layers]
    cols = min(len(layers), _PANEL_COLUMNS)
    rows = math.ceil(len(layers) / cols)
    shape, cell = _grid_size(n, cols, rows, size)
    labels = [shorten_label(item.label) for item in table.items]
    fig = new_figure(shape, "compressed")
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
    if left_out:
        names = ", ".join(map(str, left_out))
        note = fig.supxlabel(
            f"layer {names} left out: it ignores context (the same word is 0 apart in every "
            "sentence)",
            fontsize="small",
            color="0.35",
        )
        note.set_gid("note")
    return fit(fig, grow=size is None)


def plot_distances(
    table: DistanceTable, path: str | Path, *, size: tuple[int, int] | None = None
) -> Path:
    """Draw ``table`` (:func:`distances_figure`) to ``path`` (.png or .svg); the path written."""
    fmt = picture_format(path)
    return save(distances_figure(table, size=size), path, fmt)


def colours(k: int) -> np.ndarray:
    """``k`` distinct RGBA colours: tab10, then tab20 (tab10's colours first), then turbo."""
    from matplotlib import colormaps

    if k <= 10:
        return np.asarray(colormaps["tab10"](np.arange(k)))
    if k <= 20:
        order = np.r_[np.arange(0, 20, 2), np.arange(1, 20, 2)][:k]
        return np.asarray(colormaps["tab20"](order))
    return np.asarray(colormaps["turbo"](np.linspace(0.0, 1.0, k)))


def _grid_size(
    n: int, cols: int, rows: int, size: tuple[int, int] | None
) -> tuple[tuple[int, int], float]:
    """The pixels of a distance picture (by default: cells of 16 to 48 px, labels, a colour bar,
    bounded), and about how many pixels a heatmap cell gets in it."""
    if size is None:
        panel = n * float(np.clip(480 / n, 16, 48))
        width = _LABEL_PX + cols * (panel + 30) + 130
        height = rows * (panel + _LABEL_PX + 60) + 20
        size = int(np.clip(width, 600, MAX_SIZE[0])), int(np.clip(height, 400, MAX_SIZE[1]))
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


def new_figure(
    size: tuple[int, int], layout: Literal["constrained", "compressed"] = "constrained"
) -> Figure:
    """A figure of ``size`` pixels on an Agg canvas, outside pyplot's global state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    if min(size) < 1:
        raise QueryError(f"a picture's size must be positive pixels, got {size}")
    fig = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def fit(fig: Figure, *, grow: bool) -> Figure:
    """``fig`` laid out; with ``grow``, enlarged (up to :data:`MAX_SIZE`) until every text and
    mark lies inside it, with a small margin. A size the caller chose is kept as it is."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):
        canvas = FigureCanvasAgg(fig)
    canvas.draw()
    if not grow:
        return fig
    limit = np.asarray(MAX_SIZE, dtype=np.float64) / DPI
    for _ in range(4):
        box = fig.get_tightbbox(canvas.get_renderer())
        width, height = fig.get_size_inches()
        over = np.array(
            [
                max(0.0, -box.x0) + max(0.0, box.x1 - width),
                max(0.0, -box.y0) + max(0.0, box.y1 - height),
            ]
        )
        if not (over > 0).any():
            break
        wanted = np.minimum(
            np.array([width, height]) + np.where(over > 0, over + 2 * _MARGIN_IN, 0), limit
        )
        if np.allclose(wanted, [width, height]):
            break
        fig.set_size_inches(*wanted)
        canvas.draw()
    return fig


def save(fig: Figure, path: str | Path, fmt: str) -> Path:
    """Write ``fig`` to ``path`` as ``fmt`` under settings that make SVG output the same bytes on
    each run, keep SVG text as text (searchable, smaller) and keep the size whatever a
    matplotlibrc says; the path written."""
    import matplotlib

    out = Path(path).resolve()
    with matplotlib.rc_context(
        {"svg.hashsalt": "elmo-sense-index", "svg.fonttype": "none", "savefig.bbox": "standard"}
    ):
        out.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, format=fmt, dpi=DPI, metadata={"Date": None} if fmt == "svg" else None)
    logger.info("wrote %s", out)
    return out
