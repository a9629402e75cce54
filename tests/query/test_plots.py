"""Pictures: PNG size and colours, and what the SVG holds (panels, labels, values, points, text)."""

from __future__ import annotations

import doctest
import logging
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from indexer.errors import QueryError
from query import plots
from query.plots import plot_distances, shorten_label
from query.results import DistanceItem, DistanceTable
from query.senses import map_plot
from query.senses.map_plot import plot_sense_map

NS = "{http://www.w3.org/2000/svg}"
LONG = "#7 … we walked along the old muddy [[bank]] of the river where my father once fished …"
LEGEND = ["0: river, muddy, fished (50)", "1: money, loan, account (30)", "2: swan, $5 fee (20)"]
SIZES = (50, 30, 20)
#: viridis at 0 and at 1: the colours of the smallest and largest distance of a heatmap.
VIRIDIS_LOW, VIRIDIS_HIGH = (68, 1, 84), (253, 231, 37)
#: tab10's first three colours, those of senses 0, 1 and 2.
TAB10 = ("#1f77b4", "#ff7f0e", "#2ca02c")


def matrix(n: int, layer: int) -> np.ndarray:
    """A symmetric matrix with a zero diagonal whose values say where they are."""
    i, j = np.indices((n, n))
    return (np.abs(i - j) * 0.1 + (i + j) * 0.01 * (i != j) + 0.3 * layer * (i != j)).astype(
        np.float32
    )


def make_table(n: int = 4, layers: tuple[int, ...] = (0, 1, 2)) -> DistanceTable:
    items = [
        DistanceItem(f"#{i} the [[bank]] number {i}", "bank", f"the bank number {i}", 1, i)
        for i in range(n - 1)
    ]
    items.append(DistanceItem(LONG, "bank", LONG, 8))
    matrices = {layer: matrix(n, layer) for layer in layers}
    return DistanceTable(items=tuple(items), layers=layers, matrices=matrices)


def make_map(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three clusters of 50, 30 and 20 points, shuffled."""
    rng = np.random.default_rng(seed)
    senses = np.repeat(np.arange(3), SIZES)
    points = rng.normal(size=(100, 2)) + senses[:, None] * 4.0
    order = rng.permutation(100)
    return points[order], senses[order]


def svg(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def group(root: ET.Element, gid: str) -> ET.Element:
    found = root.find(f".//{NS}g[@id='{gid}']")
    assert found is not None, f"no <g id={gid!r}>"
    return found


def texts(element: ET.Element) -> list[str]:
    return ["".join(text.itertext()) for text in element.iter(f"{NS}text")]


def marks(element: ET.Element) -> list[ET.Element]:
    """The drawn points of a group: ``<use>`` (or ``<path>``) elements outside ``<defs>``."""
    found = []
    for child in element:
        if child.tag == f"{NS}defs":
            continue
        if child.tag in (f"{NS}use", f"{NS}path"):
            found.append(child)
        found.extend(marks(child))
    return found


def pixels(path: Path) -> np.ndarray:
    """The distinct RGB colours of a PNG, one a row."""
    with Image.open(path) as image:
        return np.unique(np.asarray(image.convert("RGB")).reshape(-1, 3), axis=0)


def has_colour(colours: np.ndarray, rgb: tuple[int, int, int]) -> bool:
    """Whether ``rgb`` is drawn (within 2 of 255 in each channel: Agg rounds)."""
    return bool((np.abs(colours.astype(int) - rgb).max(axis=1) <= 2).any())


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def test_distances_png_has_the_size_asked_and_the_colours_of_the_values(tmp_path):
    out = plot_distances(make_table(), tmp_path / "d.png", size=(643, 479))
    assert out == (tmp_path / "d.png").resolve()
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (643, 479)
    colours = pixels(out)
    assert len(colours) > 50
    assert has_colour(colours, VIRIDIS_LOW) and has_colour(colours, VIRIDIS_HIGH)  # 0 and max


def test_distances_default_size_grows_with_layers_and_items(tmp_path):
    sizes = []
    for n, layers in ((3, (2,)), (3, (0, 1, 2)), (10, (0, 1, 2))):
        with Image.open(plot_distances(make_table(n, layers), tmp_path / f"{n}{layers}.png")) as im:
            sizes.append(im.size)
    assert sizes[0][0] < sizes[1][0] < sizes[2][0]
    assert sizes[1][1] < sizes[2][1]
    assert all(600 <= w <= 4000 and 400 <= h <= 3000 for w, h in sizes)


def test_distances_svg_has_a_panel_per_layer_with_labels_and_values(tmp_path):
    table = make_table(4, (0, 1, 2))
    root = svg(plot_distances(table, tmp_path / "d.svg"))
    ids = [g.get("id") for g in root.iter(f"{NS}g")]
    assert sorted(i for i in ids if i and i.startswith("layer-")) == [
        "layer-0",
        "layer-1",
        "layer-2",
    ]
    labels = [shorten_label(item.label) for item in table.items]
    assert labels[:3] == [item.label for item in table.items[:3]]
    assert labels[3] != LONG and "[[bank]]" in labels[3] and len(labels[3]) <= 45
    for position, layer in enumerate(table.layers):
        shown = texts(group(root, f"layer-{layer}"))
        assert shown.count(f"layer {layer}") == 1
        for label in labels:
            # Column labels on every panel; row labels once, on the first (rows are shared).
            assert shown.count(label) == (2 if position == 0 else 1)
        values = sorted(t for t in shown if re.fullmatch(r"\d\.\d\d", t))
        assert values == sorted(f"{v:.2f}" for v in table.matrix(layer).ravel())
    assert LONG not in texts(root)
    assert "cosine distance" in texts(root)


def test_distances_beyond_twelve_items_show_no_values_and_many_layers_make_a_grid(tmp_path):
    table = make_table(13, (0, 1, 2, 3, 4))
    root = svg(plot_distances(table, tmp_path / "d.svg"))
    for layer in table.layers:
        shown = texts(group(root, f"layer-{layer}"))
        assert f"layer {layer}" in shown
        assert not [t for t in shown if re.fullmatch(r"\d\.\d\d", t)]
    with Image.open(plot_distances(table, tmp_path / "d.png")) as image:
        width, height = image.size
    assert height > width / 2  # two rows of panels, not five side by side


def test_sense_map_svg_draws_every_point_in_its_sense_group(tmp_path, caplog):
    points, senses = make_map()
    path = tmp_path / "new" / "folder" / "map.svg"
    with caplog.at_level(logging.INFO, logger="query.plots"):
        out = plot_sense_map(path, points, senses, LEGEND, title="'bank' on layer 2: 3 senses",
                             axes=("PC 1 (41%)", "PC 2 (22%)"))  # fmt: skip
    assert out == path.resolve() and out.is_file()
    assert caplog.messages == [f"wrote {out}"]
    root = svg(out)
    fills = []
    for sense, size in enumerate(SIZES):
        dots = marks(group(root, f"sense-{sense}"))
        assert len(dots) == size
        styles = {dot.get("style") for dot in dots}
        assert styles == {f"fill: {TAB10[sense]}; fill-opacity: 0.8"}
        fills.append(TAB10[sense])
        assert texts(group(root, f"legend-{sense}")) == [LEGEND[sense]]
    legend_marks = list(group(root, "legend").iter(f"{NS}use"))[: len(fills)]
    assert [m.get("style") for m in legend_marks] == [f"fill: {c}" for c in fills]  # opaque
    shown = texts(root)
    for text in ("'bank' on layer 2: 3 senses", "PC 1 (41%)", "PC 2 (22%)"):
        assert text in shown
    assert texts(group(root, "note")) == ["all 100 occurrences drawn"]


def test_sense_map_draws_a_seeded_sample_beyond_max_points(tmp_path):
    points, senses = make_map()
    first = plot_sense_map(tmp_path / "a.svg", points, senses, LEGEND, title="t", max_points=40)
    again = plot_sense_map(tmp_path / "b.svg", points, senses, LEGEND, title="t", max_points=40)
    other = plot_sense_map(tmp_path / "c.svg", points, senses, LEGEND, title="t", max_points=40,
                           seed=1)  # fmt: skip
    root = svg(first)
    drawn = [len(marks(group(root, f"sense-{sense}"))) for sense in range(3)]
    assert sum(drawn) == 40
    assert all(0 < d < size for d, size in zip(drawn, SIZES, strict=True))
    assert texts(group(root, "note")) == ["40 of 100 occurrences drawn (seeded sample)"]
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_sense_map_note_counts_what_the_caller_sampled_from(tmp_path):
    points, senses = make_map()
    out = plot_sense_map(tmp_path / "m.svg", points, senses, LEGEND, title="t", total=1_234_567)
    note = texts(group(svg(out), "note"))
    assert note == ["100 of 1,234,567 occurrences drawn (seeded sample)"]


def test_sense_map_legend_keeps_a_sense_with_no_point_drawn(tmp_path):
    points, senses = make_map()
    legend = [*LEGEND, "3: shore (0)"]
    root = svg(plot_sense_map(tmp_path / "m.svg", points, senses, legend, title="t"))
    assert marks(group(root, "sense-3")) == []
    assert texts(group(root, "legend-3")) == ["3: shore (0)"]


def test_sense_map_png_has_the_size_asked_and_opaque_sense_colours(tmp_path):
    points, senses = make_map()
    out = plot_sense_map(tmp_path / "m.png", points, senses, LEGEND, title="t")
    with Image.open(out) as image:
        assert image.size == map_plot.MAP_SIZE
    colours = pixels(out)
    assert all(has_colour(colours, rgb(colour)) for colour in TAB10)
    out = plot_sense_map(tmp_path / "small.png", points, senses, LEGEND, title="t", size=(641, 433))
    with Image.open(out) as image:
        assert image.size == (641, 433)


def test_opacity_and_marker_size_fall_as_points_grow():
    alphas = [map_plot._alpha(n) for n in (10, 300, 3_000, 20_000, 10**6)]
    sizes = [map_plot._marker_size(n) for n in (10, 300, 3_000, 20_000, 10**6)]
    assert alphas[:2] == [0.8, 0.8] and alphas[-2:] == [0.15, 0.15]
    assert alphas == sorted(alphas, reverse=True) and sizes == sorted(sizes, reverse=True)
    assert len({tuple(c) for c in plots.colours(20)}) == 20
    assert [tuple(c) for c in plots.colours(3)] == [tuple(c) for c in plots.colours(13)[:3]]


@pytest.mark.parametrize("name", ["d.jpg", "d", "d.png.txt"])
def test_a_picture_needs_a_png_or_svg_suffix(tmp_path, name):
    path = tmp_path / name
    with pytest.raises(QueryError, match=r"give a \.png or \.svg file") as err:
        plot_distances(make_table(), path)
    assert err.value.path == str(path) and str(err.value).startswith(f"{path}: ")
    points, senses = make_map()
    with pytest.raises(QueryError, match=re.escape(str(path))):
        plot_sense_map(path, points, senses, LEGEND, title="t")
    assert not path.exists()


def test_bad_sense_map_input_is_named(tmp_path):
    points, senses = make_map()
    out = tmp_path / "m.svg"
    shapes = "points must be an (n, 2) array and senses (n,), got (100, 3) and (100,)"
    with pytest.raises(QueryError, match=re.escape(shapes)):
        plot_sense_map(out, np.zeros((100, 3)), senses, LEGEND, title="t")
    with pytest.raises(QueryError, match=r"got \(100, 2\) and \(99,\)"):
        plot_sense_map(out, points, senses[:-1], LEGEND, title="t")
    with pytest.raises(QueryError, match=r"sense 2 has no legend text \(senses 0..1\)"):
        plot_sense_map(out, points, senses, LEGEND[:2], title="t")
    with pytest.raises(QueryError, match="needs a legend text for each sense, got none"):
        plot_sense_map(out, points[:0], senses[:0], [], title="t")
    with pytest.raises(QueryError, match="max_points must be at least 1, got 0"):
        plot_sense_map(out, points, senses, LEGEND, title="t", max_points=0)
    with pytest.raises(QueryError, match="total must be at least the 100 points given, got 99"):
        plot_sense_map(out, points, senses, LEGEND, title="t", total=99)
    with pytest.raises(QueryError, match="no items or no layers"):
        plot_distances(DistanceTable(items=(), layers=(), matrices={}), tmp_path / "d.svg")
    assert not out.exists()


def test_missing_matplotlib_is_a_query_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(QueryError, match=re.escape("pip install 'elmo-sense-index[plot]'")) as err:
        plot_distances(make_table(), tmp_path / "d.png")
    assert isinstance(err.value.__cause__, ImportError)


def test_importing_the_query_side_does_not_import_matplotlib():
    code = "import sys, query.plots, query.cli; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("module", [plots, map_plot])
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
