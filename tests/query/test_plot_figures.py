"""Pictures read back from their artists: the placed sentence and the sense centres on a map,
context-free layers left out of heatmaps, empty bins and change scores on a comparison, and
every text inside its figure."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from query.changes.compare import Comparison, GroupShares, PairScores
from query.changes.plot import EMPTY, score_line, shares_figure
from query.plots import context_free_layers, distances_figure
from query.results import DistanceItem, DistanceTable
from query.senses.map_plot import MapMark, sense_map_figure

LEGEND = ["0: river, muddy, fished (50)", "1: money, loan, account (30)", "2: swan (20)"]
LONG = "we walked along the old muddy [[bank]] of the river where my father once fished for trout"


def map_points(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three clusters of 50, 30 and 20 points around (0, 0), (4, 4) and (8, 8)."""
    rng = np.random.default_rng(seed)
    senses = np.repeat(np.arange(3), (50, 30, 20))
    return rng.normal(size=(100, 2)) + senses[:, None] * 4.0, senses


def by_gid(fig: Figure, gid: str) -> list:
    return [artist for artist in fig.findobj() if artist.get_gid() == gid]


def drawn_texts(fig: Figure) -> list[Text]:
    """The texts a reader sees: titles, labels, legends, notes, and the tick labels in view."""
    found = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    ticks = set()
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis, (low, high) in (
            (ax.xaxis, sorted(ax.get_xlim())),
            (ax.yaxis, sorted(ax.get_ylim())),
        ):
            for tick in axis.get_major_ticks():
                if not low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    ticks.update({id(tick.label1), id(tick.label2)})
    return [t for t in found if id(t) not in ticks]


def assert_texts_inside(fig: Figure) -> None:
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    renderer = canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    texts = drawn_texts(fig)
    assert texts
    for text in texts:
        box = text.get_window_extent(renderer)
        inside = (
            box.x0 >= -0.5 and box.y0 >= -0.5 and box.x1 <= width + 0.5 and box.y1 <= height + 0.5
        )
        assert inside, (text.get_text(), box.bounds, (width, height))


# ---- The sense map -------------------------------------------------------------------------


def test_the_map_marks_the_placed_sentence_and_each_sense_centre():
    points, senses = map_points()
    mark = MapMark(2.5, -1.25, 1, "We sat on the [[bank]] of the river .")
    fig = sense_map_figure(points, senses, LEGEND, title="'bank' on layer 2", context=mark)
    (star,) = by_gid(fig, "context")
    assert star.get_offsets().tolist() == [[2.5, -1.25]]
    assert star.get_paths()[0].vertices.shape[0] >= 10  # a star, not a dot
    assert np.allclose(
        star.get_facecolor()[0], [*by_gid(fig, "sense-1")[0].get_facecolor()[0][:3].tolist(), 1.0]
    )
    centres = [by_gid(fig, f"centre-{i}") for i in range(3)]
    assert [len(c) for c in centres] == [1, 1, 1]
    for i, (centre,) in enumerate(centres):
        assert np.allclose(centre.get_offsets()[0], points[senses == i].mean(axis=0))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:3] == LEGEND
    assert legend[3] == "centre of a sense (the mean of its points)"
    assert legend[4] == "your sentence, sense 1: We sat on the [[bank]] of the river ."
    assert_texts_inside(fig)


def test_a_sense_with_no_point_drawn_has_no_centre_and_no_sentence_none_drawn():
    points, senses = map_points()
    fig = sense_map_figure(points, senses, [*LEGEND, "3: shore (0)"], title="t")
    assert [len(by_gid(fig, f"centre-{i}")) for i in range(4)] == [1, 1, 1, 0]
    assert by_gid(fig, "context") == []


def test_long_map_texts_grow_the_figure_instead_of_being_cut():
    points, senses = map_points()
    legend = [f"{i}: " + ", ".join(["extraordinarily-long-label-word"] * 12) for i in range(3)]
    mark = MapMark(0.0, 0.0, 0, LONG)
    title = "a title much longer than a thousand pixels would hold " * 3
    fig = sense_map_figure(points, senses, legend, title=title, context=mark)
    assert fig.bbox.width > 1000
    assert_texts_inside(fig)
    sentence = fig.legends[0].get_texts()[-1].get_text()
    shown = sentence.removeprefix("your sentence, sense 0: ")
    assert "[[bank]]" in shown and "…" in shown and len(shown) < len(LONG)


def test_a_size_asked_is_kept():
    points, senses = map_points()
    fig = sense_map_figure(points, senses, LEGEND, title="t " * 200, size=(641, 433))
    assert (fig.bbox.width, fig.bbox.height) == (641, 433)


# ---- Distance heatmaps ---------------------------------------------------------------------


def table(words: list[str], layer0: np.ndarray | None = None, label: str = "") -> DistanceTable:
    n = len(words)
    items = tuple(
        DistanceItem(label or f"#{i} the [[{w}]] number {i}", w, f"the {w} number {i}", 1, i)
        for i, w in enumerate(words)
    )
    i, j = np.indices((n, n))
    grows = (np.abs(i - j) * 0.1).astype(np.float32)
    zero = np.zeros((n, n), dtype=np.float32) if layer0 is None else layer0
    return DistanceTable(items=items, layers=(0, 1, 2), matrices={0: zero, 1: grows, 2: 2 * grows})


def panels(fig: Figure) -> list[str]:
    return [ax.get_title() for ax in fig.axes if ax.get_visible() and ax.get_title()]


def test_a_context_free_layer_is_found_from_the_values_and_left_out():
    same = table(["bank"] * 4)
    assert context_free_layers(same) == (0,)
    fig = distances_figure(same)
    assert panels(fig) == ["layer 1", "layer 2"]
    assert [a.get_gid() for a in fig.axes if a.get_gid()] == ["layer-1", "layer-2"]
    (note,) = by_gid(fig, "note")
    assert note.get_text().startswith("layer 0 left out: it ignores context")
    assert_texts_inside(fig)


def test_layer_zero_is_kept_where_it_varies_or_where_it_is_all_there_is():
    varied = np.full((3, 3), 0.2, dtype=np.float32)
    np.fill_diagonal(varied, 0.0)
    assert context_free_layers(table(["bank"] * 3, varied)) == ()
    assert panels(distances_figure(table(["bank"] * 3, varied))) == [
        "layer 0",
        "layer 1",
        "layer 2",
    ]
    # different words: layer 0 tells them apart; the two "bank" items are 0 apart there
    mixed = np.array([[0, 0, 0.5], [0, 0, 0.5], [0.5, 0.5, 0]], dtype=np.float32)
    assert context_free_layers(table(["bank", "bank", "bat"], mixed)) == (0,)
    assert context_free_layers(table(["bank", "bat", "plant"], mixed)) == ()  # no pair to tell
    only = table(["bank"] * 3)
    only = DistanceTable(items=only.items, layers=(0,), matrices={0: only.matrix(0)})
    fig = distances_figure(only)
    assert panels(fig) == ["layer 0"] and by_gid(fig, "note") == []


def test_long_sentence_labels_fit_inside_the_heatmap_picture():
    long = "#123456 … " + LONG.replace("[[bank]]", "[[bank]]") + " … and more words here"
    fig = distances_figure(table(["bank"] * 5, label=long))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert all("[[bank]]" in text and "…" in text and len(text) <= 45 for text in labels)
    assert_texts_inside(fig)


# ---- Comparisons ---------------------------------------------------------------------------


def comparison(order: tuple[str, ...]) -> Comparison:
    groups = (
        GroupShares("1990-2000", 180, (0.85, 0.15)),
        GroupShares("2010-2020", 120, (0.15, 0.85)),
        GroupShares("2030-2040", 60, (0.5, 0.5)),
    )
    pairs = (
        PairScores("1990-2000", "2010-2020", 180, 120, 0.25161, 0.13983, 0.39021),
        PairScores("1990-2000", "2030-2040", 180, 60, 0.2, 0.1, 0.2),
        PairScores("2010-2020", "2030-2040", 120, 60, 0.21, 0.11, 0.19),
    )
    return Comparison("bank", 2, "year", ("river, muddy", "money, loan"), groups, pairs, 3, order)


def test_empty_bins_are_drawn_and_the_scores_stated():
    order = ("1990-2000", "2000-2010", "2010-2020", "2020-2030", "2030-2040")
    result = comparison(order)
    assert result.empty == ("2000-2010", "2020-2030")
    assert result.to_dict()["empty"] == ["2000-2010", "2020-2030"]
    fig = shares_figure(result)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == list(order)
    for sense, heights in enumerate(([0.85, 0.15, 0.5], [0.15, 0.85, 0.5])):
        bars = by_gid(fig, f"sense-{sense}")
        assert [b.get_x() + b.get_width() / 2 for b in bars] == pytest.approx([0, 2, 4])
        assert [b.get_height() for b in bars] == pytest.approx(heights)
    empty = [by_gid(fig, f"empty-{x}") for x in range(5)]
    assert [len(e) for e in empty] == [0, 1, 0, 1, 0]
    assert [t.get_text() for t in ax.texts] == ["180", "120", "60", EMPTY, "0", EMPTY, "0"]
    (caption,) = by_gid(fig, "scores")
    assert caption.get_text().splitlines() == [
        "1990-2000 → 2010-2020: APD 0.2516 · PRT 0.1398 · JSD 0.3902",
        "2010-2020 → 2030-2040: APD 0.2100 · PRT 0.1100 · JSD 0.1900",
        "1990-2000 → 2030-2040: APD 0.2000 · PRT 0.1000 · JSD 0.2000",
    ]
    assert score_line(result.pairs[0]) == caption.get_text().splitlines()[0]
    assert_texts_inside(fig)


def test_a_comparison_without_bins_has_no_empty_bar():
    result = comparison(())
    assert result.empty == ()
    fig = shares_figure(result)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [g.group for g in result.groups]
    assert all(not by_gid(fig, f"empty-{x}") for x in range(3))
