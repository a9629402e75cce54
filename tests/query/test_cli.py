"""`query neighbors|distances|info` through CliRunner; the command starts without torch or FAISS."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from query import SenseIndex
from query.cli import app
from query.context import parse_marked
from query.results import HIT_FIELDS
from tests.query.conftest import NOTEBOOK

runner = CliRunner()


def ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_neighbors_table_shows_ranks_ids_and_kwic(built):
    out = ok("neighbors", "--word", "bank", "--index", str(built.path), "-k", "3", "--limit", "2")
    idx = SenseIndex.open(built.path)
    want = idx.neighbors("bank", k=3, limit=2)
    assert "'bank' on layer 2, 3 nearest, scope same-word" in out
    assert "query (occurrence 1): The [[bank]] is located at the bank of Thames ." in out
    assert out.count("rank  distance  occurrence  doc  sent  position  context") == 2
    rows = [line.split() for line in out.splitlines() if line[:4].strip().isdigit()]
    assert len(rows) == len(want) == 6
    for hit, row in zip(want, rows, strict=True):
        ids = [str(hit.rank), f"{hit.distance:.4f}", str(hit.occurrence), hit.doc_id]
        assert row[:6] == [*ids, str(hit.sent_id), str(hit.position)]
        assert " ".join(row[6:]) == hit.kwic(40).render()
    assert "\x1b[" not in out


def test_neighbors_json_is_stable(built):
    out = ok(
        "neighbors", "--word", "bank", "--index", str(built.path), "--occurrence", "6",
        "-k", "4", "--format", "json", "--layer", "1",
    )  # fmt: skip
    data = json.loads(out)
    assert list(data) == ["word", "layer", "scope", "k", "queries", "hits", "query"]
    assert (data["word"], data["layer"], data["scope"], data["k"]) == ("bank", 1, "same-word", 4)
    assert data["query"] == "bank"
    assert data["queries"] == [
        {"word": "bank", "occurrence": 6, "sentence": NOTEBOOK[0], "position": 6}
    ]
    want = SenseIndex.open(built.path).neighbors(occurrence=6, layer=1, k=4).to_records()
    assert data["hits"] == want
    assert all(list(hit) == list(HIT_FIELDS) for hit in data["hits"])


def test_neighbors_csv_with_marked_context(built):
    out = ok(
        "neighbors", "--context", "The bank is located at the [[bank]] of Thames .",
        "--index", str(built.path), "-k", "2", "--format", "csv", "--scope", "all",
    )  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == [*HIT_FIELDS, "left", "node", "right"]
    assert len(rows) == 2 and rows[0]["query_occurrence"] == ""
    assert rows[0]["occurrence"] == "6" and float(rows[0]["distance"]) == 0.0


def test_distances_table_and_json(built):
    args = ["distances", "--word", "bank", "--index", str(built.path), *NOTEBOOK]
    out = ok(*args)
    assert "0  The [[bank]] is located at the bank of …" in out
    assert "a  b  layer 0  layer 1  layer 2" in out
    data = json.loads(ok(*args, "--format", "json", "--occurrence", "6"))
    assert data["layers"] == [0, 1, 2] and len(data["items"]) == 4
    assert data["items"][3]["occurrence"] == 6
    assert data["matrices"]["0"] == [[0.0] * 4] * 4
    # The word marked at position 6 is stored occurrence 6 itself.
    marked = "The bank is located at the [[bank]] of Thames ."
    data = json.loads(ok("distances", marked, "--occurrence", "6", "--index", str(built.path),
                         "--format", "json", "--layers", "2"))  # fmt: skip
    assert data["pairs"] == [
        {"a": 0, "b": 1, "a_label": data["items"][0]["label"],
         "b_label": data["items"][1]["label"], "layer_2": 0.0}
    ]  # fmt: skip
    csv_out = ok("distances", *NOTEBOOK[1:], "--word", "bank", "--index", str(built.path),
                 "--format", "csv", "--layers", "1")  # fmt: skip
    assert csv_out.splitlines()[0] == "a,b,a_label,b_label,layer_1"


def test_info(built):
    out = ok("info", "--index", str(built.path))
    assert "layers: 0, 1, 2 (float16, dim 16)" in out
    assert json.loads(ok("info", "--index", str(built.path), "--json"))["dim"] == 16


def test_info_is_the_summary_indexer_info_prints(built):
    from indexer.cli import app as indexer_app

    described = runner.invoke(indexer_app, ["info", str(built.path)])
    assert described.exit_code == 0, described.output
    out = ok("info", "--index", str(built.path))
    assert out == described.stdout
    assert out.splitlines()[0] == f"{built.path}: complete (format version 2)"
    data = json.loads(ok("info", "--index", str(built.path), "--json"))
    assert data == SenseIndex.open(built.path).info().to_dict()
    assert data["indexes"]["2"]["factory"] == "Flat" and data["layers"] == [0, 1, 2]


def test_parse_marked():
    assert parse_marked("a [[b]] c", "b") == (["a", "b", "c"], "b", 1)
    with pytest.raises(Exception, match="--word is 'x'"):
        parse_marked("a [[b]] c", "x")


def test_cold_start_imports_neither_torch_nor_faiss(built):
    """A same-word query through the command's code loads neither torch, FAISS nor pandas."""
    code = (
        "import sys\n"
        "from query.cli import app\n"
        f"args = ['neighbors', '--word', 'bank', '--index', {str(built.path)!r}, '-k', '2']\n"
        "try:\n"
        "    app(args)\n"
        "except SystemExit as stop:\n"
        "    assert stop.code in (0, None), stop.code\n"
        "print(sorted(m for m in ('torch', 'faiss', 'pandas') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
    assert "[[bank]]" in done.stdout
