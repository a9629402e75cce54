"""``query serve --workers 2``: two server processes on one port answer what the Python API
answers; a same-word search whose occurrences are in memory (answered on the event loop, with
BLAS on one thread) answers as the first one, made in a worker thread, did."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from query.index import SenseIndex
from tests.query.serve.conftest import Server, start, stop


@pytest.fixture(scope="module")
def two_workers(demo_indexes: dict[str, Path]) -> Iterator[Server]:
    running = start({"news": demo_indexes["news"]}, "--workers", "2")
    yield running
    stop(running)


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def test_two_processes_answer_as_the_python_api(two_workers: Server):
    assert len(children(two_workers.process.pid)) >= 2
    index = SenseIndex.open(two_workers.indexes["news"])
    ids = [int(i) for i in index.occurrence_ids("bank")[:6]]
    for occurrence in ids:
        want = index.neighbors("bank", layer=2, k=5, occurrence=occurrence)
        for _ in range(2):  # the first fills the word's block; the second is answered quickly
            with httpx.Client(base_url=two_workers.url, timeout=30) as client:  # a new connection
                got = client.get(
                    "/api/news/neighbors",
                    params={"word": "bank", "layer": 2, "k": 5, "occurrence": occurrence},
                )
            assert got.status_code == 200, got.text
            hits = got.json()["hits"]
            assert [h["occurrence"] for h in hits] == [h.occurrence for h in want]
            np.testing.assert_allclose(
                [h["distance"] for h in hits], [h.distance for h in want], atol=1e-6
            )
            assert {h["query_occurrence"] for h in hits} == {occurrence}
