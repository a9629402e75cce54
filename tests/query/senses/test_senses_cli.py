"""`query senses` and `query neighbors --dedupe` through CliRunner: table, JSON, CSV, the map,
context tagging and bad options."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from query.cli import app
from query.index import SenseIndex
from query.senses.result import SENSE_FIELDS
from tests.query.senses.conftest import SenseCorpus

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def index_dir(sense_corpus: SenseCorpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sense_corpus.copy(tmp_path_factory.mktemp("cli")).path


def test_table_lists_each_sense_with_its_label_and_typical_uses(index_dir):
    code, out, _ = invoke("senses", "--word", "bank", "--index", str(index_dir), "--examples", "2")
    assert code == 0, out
    assert "kept result" not in out
    result = SenseIndex.open(index_dir).senses("bank", examples=2)
    assert result.cached
    assert out.startswith("'bank' on layer 2: 2 senses over 80 occurrences (every occurrence")
    for sense in result:
        assert f"sense {sense.sense}: {sense.size:,} occurrences ({sense.share:.1%})" in out
        assert f"label: {sense.label_text}" in out
        for example in sense.examples:
            line = next(
                x for x in out.splitlines() if x.strip().startswith(str(example.occurrence))
            )
            assert "[[bank]]" in line
    _, again, _ = invoke("senses", "--word", "bank", "--index", str(index_dir), "--examples", "2")
    assert again == out.replace(")\n", "; kept result)\n", 1)


def test_json_is_the_result_and_csv_its_senses(index_dir, sense_corpus):
    code, out, _ = invoke(
        "senses", "--word", "spring", "--index", str(index_dir), "--format", "json"
    )
    assert code == 0, out
    data = json.loads(out)
    assert data == json.loads(json.dumps(sense_corpus.open().senses("spring").to_json()))
    assert [s["sense"] for s in data["senses"]] == [0, 1, 2]
    code, out, _ = invoke(
        "senses", "--word", "spring", "--index", str(index_dir), "--format", "csv"
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == list(SENSE_FIELDS)
    assert [int(r["size"]) for r in rows] == [s["size"] for s in data["senses"]]


def test_context_is_tagged_and_the_map_drawn(index_dir, tmp_path):
    picture = tmp_path / "bat.svg"
    code, out, err = invoke(
        "senses", "--word", "bat", "--index", str(index_dir), "--format", "json",
        "--context", "The [[bat]] flew out of the cave at dusk .", "--plot", str(picture),
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    tag = data["context"]
    assert tag["position"] == 1 and len(tag["distances"]) == len(data["senses"])
    assert tag["sense"] == min(range(len(tag["distances"])), key=tag["distances"].__getitem__)
    assert f"wrote {picture}" in err
    root = ET.parse(picture).getroot()
    groups = {g.get("id"): g for g in root.iter("{http://www.w3.org/2000/svg}g")}
    for sense in data["senses"]:
        group = groups[f"sense-{sense['sense']}"]
        points = [e for e in group.iter() if e.tag.endswith("use")]
        assert len(points) == sense["size"]
    text = picture.read_text(encoding="utf-8")
    assert "all 80 occurrences drawn" in text
    assert all(sense["label"].split(", ")[0] in text for sense in data["senses"])
    assert all(f"centre-{sense['sense']}" in groups for sense in data["senses"])
    assert "context" in groups
    far = f"{tag['distances'][tag['sense']]:.2f} from its centre"
    assert f"your sentence, sense {tag['sense']} ({far}): The [[bat]] flew out of the cave" in text


def test_a_stored_sentence_given_as_context_lands_on_its_own_point(index_dir):
    from query.senses.projection import context_mark, sense_map

    index = SenseIndex.open(index_dir)
    senses = index.senses("bat")
    drawn = sense_map(index, senses, 1_000)
    (stored,) = index.rows.lookup(senses.occurrence_ids[:1])
    tokens = stored.sentence.split(" ")
    tokens[stored.position] = f"[[{tokens[stored.position]}]]"
    mark = context_mark(index, senses, drawn.plane, " ".join(tokens))
    assert (mark.x, mark.y) == pytest.approx(drawn.points[0].tolist(), abs=2e-3)
    assert mark.sense == senses.labels[0] and mark.sentence == " ".join(tokens)
    assert mark.distance == pytest.approx(senses.distances[0], abs=2e-3)
    assert context_mark(index, senses, drawn.plane, senses.assign(" ".join(tokens))) == mark


def test_dedupe_on_neighbors_adds_the_count(index_dir):
    code, out, _ = invoke(
        "neighbors", "--word", "bank", "--index", str(index_dir), "--limit", "1", "-k", "3",
        "--dedupe", "--format", "json",
    )  # fmt: skip
    assert code == 0, out
    hits = json.loads(out)["hits"]
    assert len(hits) == 3 and all(hit["duplicates"] == 0 for hit in hits)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--senses", "many"), "--senses must be auto or a number, got 'many'"),
        (("--senses", "0"), "--senses must be at least 1, got 0"),
        (("--examples", "0"), "--examples must be at least 1, got 0"),
        (("--format", "xml"), "--format"),
        (("--plot", "map.gif"), "map.gif"),
    ],
)
def test_bad_options_are_one_line(index_dir, tmp_path, args, message):
    args = tuple(str(tmp_path / a) if a.endswith(".gif") else a for a in args)
    code, out, err = invoke("senses", "--word", "bank", "--index", str(index_dir), *args)
    assert code != 0
    assert message in err and "Traceback" not in err + out


def test_distances_plot_draws_one_heatmap_per_layer(index_dir, tmp_path):
    from PIL import Image

    picture = tmp_path / "table.png"
    code, out, err = invoke(
        "distances", "--word", "bank", "--index", str(index_dir), "--layers", "1,2",
        "We walked along the bank of the river .", "Anna called the bank downtown today .",
        "--plot", str(picture),
    )  # fmt: skip
    assert code == 0, out
    assert f"wrote {picture}" in err and "layer 1" in out
    with Image.open(picture) as image:
        assert image.format == "PNG" and min(image.size) >= 400
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
        assert len(np.unique(pixels, axis=0)) > 20
    svg = tmp_path / "table.svg"
    code, _, _ = invoke(
        "distances", "--word", "bank", "--index", str(index_dir), "--layers", "0,1,2",
        "We walked along the bank of the river .", "Anna called the bank downtown today .",
        "--plot", str(svg),
    )  # fmt: skip
    text = svg.read_text(encoding="utf-8")
    assert code == 0 and all(f'id="layer-{layer}"' in text for layer in (1, 2))
    assert 'id="layer-0"' not in text and "layer 0 left out: it ignores context" in text
    # shortened; a column label on each of the 2 panels, a row label on the first
    assert text.count("… along the [[bank]] of the river …") == 2 + 1
