"""The service answers filters, compare and changes as the Python API does, and rejects bad
ones with a 4xx naming the problem."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from query.changes.compare import compare
from query.changes.vocabulary import word_changes
from query.index import SenseIndex
from query.selection import Selection
from tests.query.serve.conftest import Server, start, stop


@pytest.fixture(scope="module")
def periods(period_index: Path) -> Iterator[Server]:
    running = start({"periods": period_index})
    yield running
    stop(running)


def test_compare_and_changes_match_the_python_api(periods: Server, period_index: Path):
    index = SenseIndex.open(period_index)
    with periods.client() as client:
        got = client.get("/api/periods/compare", params={"word": "bank", "by": "period"})
        assert got.status_code == 200
        want = compare(index, Selection("bank"), "period", layer=2)
        assert got.json() == json.loads(want.to_json())
        ranked = client.get(
            "/api/periods/changes",
            params={"by": "period", "from": "1990s", "to": "2010s", "min_count": 150, "n": 5},
        )
        assert ranked.status_code == 200
        expected = word_changes(
            index, "period", "1990s", "2010s", layer=2, min_count=150, n=5
        ).to_records()
        assert ranked.json() == expected and ranked.json()[0]["word"] == "bank"
        fields = client.get("/api/periods/fields").json()
        assert fields["metadata"] == ["genre", "period", "year"]
        assert {"name": "year", "type": "integer", "level": "document"} in fields["fields"]


def test_filters_on_occurrences_neighbors_and_senses(periods: Server, period_index: Path):
    index = SenseIndex.open(period_index)
    where = "period = '1990s' AND genre = 'news'"
    with periods.client() as client:
        got = client.get("/api/periods/occurrences", params={"word": "bank", "where": where})
        assert got.json()["count"] == len(index.occurrences("bank", where=where).ids)
        near = client.get(
            "/api/periods/neighbors", params={"word": "bank", "where": where, "limit": 1}
        ).json()
        docs = {row["doc_id"] for row in near["hits"]}
        allowed = {o.doc_id for o in index.occurrences("bank", where=where)}
        assert docs and docs <= allowed
        senses = client.get("/api/periods/senses", params={"word": "bank", "where": where})
        assert senses.status_code == 200
        assert sum(s["size"] for s in senses.json()["senses"]) == got.json()["count"]


@pytest.mark.parametrize(
    ("path", "params", "status", "said"),
    [
        ("compare", {"word": "bank", "by": "perod"}, 400, "unknown field 'perod'"),
        ("changes", {"by": "period", "from": "1980s", "to": "2010s"}, 400, "'1980s'"),
        ("changes", {"by": "period", "from": "1990s", "to": "2010s", "score": "x"}, 400, "score"),
        ("occurrences", {"word": "bank", "where": "yeer > 1"}, 400, "unknown field 'yeer'"),
        ("occurrences", {"word": "bank", "where": "1; DROP TABLE t"}, 400, "--where"),
        (
            "occurrences",
            {"word": "bank", "where": "year IN (SELECT 1 FROM read_csv('/etc/passwd'))"},
            400,
            "disabled",
        ),
        ("occurrences", {"word": "bank", "where": "x" * 600}, 400, "where"),
        ("occurrences", {"lemma": "bank"}, 400, "no lemmas"),
        ("compare", {"word": "bank", "by": "genre", "bins": "1,2"}, 400, "numeric or date"),
    ],
)
def test_bad_filters_and_groups_are_4xx_naming_them(periods: Server, path, params, status, said):
    with periods.client() as client:
        got = client.get(f"/api/periods/{path}", params=params)
        assert got.status_code == status
        assert said in json.dumps(got.json())
        assert client.get("/healthz").status_code == 200


def test_compare_writes_nothing_in_the_index(period_index: Path, tmp_path: Path):
    copy = tmp_path / "periods"
    shutil.copytree(period_index, copy, ignore=shutil.ignore_patterns("senses"))
    before = sorted(p.relative_to(copy) for p in copy.rglob("*"))
    running = start({"periods": copy})
    try:
        with running.client() as client:
            got = client.get("/api/periods/compare", params={"word": "bank", "by": "period"})
            assert got.status_code == 200
            assert [g["group"] for g in got.json()["groups"]] == ["1990s", "2010s"]
    finally:
        stop(running)
    assert sorted(p.relative_to(copy) for p in copy.rglob("*")) == before
