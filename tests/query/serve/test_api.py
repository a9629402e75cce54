"""The JSON API of a real ``query serve`` answers what the Python API answers, for each index
it serves by name; health, metrics, the OpenAPI schema, and micro-batched context sentences."""

from __future__ import annotations

import concurrent.futures
import json
import re

import numpy as np
import pytest

from indexer.errors import QueryError
from query.index import SenseIndex
from query.render import render_distances, render_neighbors
from query.serve.config import ServeSettings
from tests.query.serve.conftest import Server


def test_indexes_are_served_by_name(server: Server):
    with server.client() as client:
        listed = client.get("/api/indexes").json()["indexes"]
        assert [i["name"] for i in listed] == ["news", "other"]
        for entry in listed:
            want = SenseIndex.open(server.indexes[entry["name"]]).info()
            assert entry["occurrences"] == want.occurrences and entry["layers"] == [0, 1, 2]
            info = client.get(f"/api/{entry['name']}/info").json()
            assert info["occurrences"] == want.occurrences and "path" not in info
            assert all("path" not in corpus for corpus in info["corpora"])
        missing = client.get("/api/nowhere/info")
        assert missing.status_code == 404
        assert missing.json()["error"]["parameter"] == "index"


def test_neighbors_occurrences_and_distances_match_the_python_api(server: Server):
    index = SenseIndex.open(server.indexes["news"])
    with server.client() as client:
        got = client.get("/api/news/neighbors", params={"word": "bank", "k": 4, "limit": 3})
        assert got.status_code == 200
        assert got.json() == json.loads(
            render_neighbors(index.neighbors("bank", k=4, limit=3), "json")
        )
        other = client.get("/api/other/neighbors", params={"word": "bank", "k": 2, "limit": 1})
        want = SenseIndex.open(server.indexes["other"]).neighbors("bank", k=2, limit=1)
        assert [h["occurrence"] for h in other.json()["hits"]] == [h.occurrence for h in want]
        listed = client.get("/api/news/occurrences", params={"word": "spring", "limit": 3}).json()
        assert listed["count"] == len(index.occurrence_ids("spring"))
        assert listed["occurrences"] == index.occurrences("spring", limit=3).to_records()
        ids = [int(i) for i in index.occurrence_ids("bank")[:3]]
        table = client.get("/api/news/distances", params={"occurrence": ids, "layers": "1,2"})
        assert table.json() == json.loads(
            render_distances(index.distances(ids, layers=(1, 2)), "json")
        )
        sentence = "We walked along the [[bank]] of the river ."
        posted = client.post(
            "/api/news/distances", json={"items": [ids[0], [sentence]], "layers": [2]}
        )
        want_table = index.distances([ids[0], sentence], layers=(2,))
        got_matrix = np.array(posted.json()["matrices"]["2"])
        np.testing.assert_allclose(got_matrix, want_table.matrix(2), atol=1e-6)


def test_senses_and_the_map(server: Server):
    index = SenseIndex.open(server.indexes["news"])
    want = index.senses("bank", keep=False)
    with server.client() as client:
        got = client.get("/api/news/senses", params={"word": "bank", "examples": 2}).json()
        assert got == json.loads(json.dumps(index.senses("bank", examples=2, keep=False).to_json()))
        drawn = client.get("/api/news/senses/map", params={"word": "bank", "max_points": 10}).json()
    assert drawn["total"] == want.n_occurrences and drawn["drawn"] == len(drawn["points"]) == 10
    assert [s["sense"] for s in drawn["senses"]] == [s.sense for s in want]
    sense_of = dict(zip(want.occurrence_ids.tolist(), want.labels.tolist(), strict=True))
    for point in drawn["points"]:
        assert point["sense"] == sense_of[point["occurrence"]]
        assert point["sentence"] == index.occurrence(point["occurrence"]).sentence
    assert not (server.indexes["news"] / "senses").exists()  # the service writes nothing


def test_suggestions_for_an_unknown_word(server: Server):
    with server.client() as client:
        found = client.get("/api/news/suggest", params={"word": "bnak"}).json()
        assert found["known"] is False and "bank" in found["suggestions"]
        known = client.get("/api/news/suggest", params={"word": "bank"}).json()
        assert known["known"] is True and known["count"] > 0 and known["suggestions"] == []
        bad = client.get("/api/news/neighbors", params={"word": "bnak"})
        assert bad.status_code == 400 and bad.json()["error"]["parameter"] == "word"


def test_context_sentences_arriving_together_are_embedded_in_one_batch(server: Server):
    index = SenseIndex.open(server.indexes["news"])
    sentences = [
        f"{name} sat on the grassy bank of the river {when} ."
        for name in ("Anna", "Ben", "Carla", "David")
        for when in ("yesterday", "today", "last week", "on Monday")
    ]
    with server.client() as client:
        before = _batches(client)

        def ask(sentence: str) -> dict:
            params: dict[str, str | int] = {"word": "bank", "context": sentence, "k": 3}
            return client.get("/api/news/neighbors", params=params).json()

        with concurrent.futures.ThreadPoolExecutor(len(sentences)) as pool:
            answers = list(pool.map(ask, sentences))
        batches = _batches(client) - before
    assert 1 <= batches < len(sentences) / 2, batches
    for sentence, answer in zip(sentences, answers, strict=True):
        alone = index.neighbors("bank", context=sentence, k=3)
        assert [h["occurrence"] for h in answer["hits"]] == [h.occurrence for h in alone]
        assert [h["distance"] for h in answer["hits"]] == pytest.approx(
            [h.distance for h in alone], abs=1e-6
        )


def _batches(client) -> float:
    text = client.get("/metrics").text
    found = re.search(r"^elmo_index_context_batches_total (\S+)$", text, re.M)
    assert found is not None
    return float(found.group(1))


def test_health_metrics_and_schema(server: Server):
    with server.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        for _ in range(3):
            client.get("/api/news/occurrences", params={"word": "bank"})
        text = client.get("/metrics").text
        label = r'\{endpoint="/api/\{index\}/occurrences",status="200"\}'
        count = re.search(rf"^elmo_index_requests_total{label} (\S+)$", text, re.M)
        assert count and float(count.group(1)) >= 3
        assert 'elmo_index_request_seconds_bucket{endpoint="/api/{index}/occurrences"' in text
        schema = client.get("/openapi.json").json()
        assert {"/api/{index}/neighbors", "/api/{index}/senses", "/api/{index}/distances"} <= set(
            schema["paths"]
        )
        assert client.get("/docs").status_code == 200
        assert "access-control-allow-origin" not in client.get("/api/indexes").headers


def test_serving_beyond_this_machine_needs_a_token(tmp_path):
    with pytest.raises(QueryError, match="needs an access token"):
        ServeSettings(indexes={"x": tmp_path}, host="0.0.0.0")
    assert ServeSettings(indexes={"x": tmp_path}, host="0.0.0.0", token="t").token == "t"
