"""``query serve --workers 2``: two server processes on one port answer what the Python API
answers; a same-word search whose occurrences are in memory (answered on the event loop, with
BLAS on one thread) answers as the first one, made in a worker thread, did; a keep-alive
connection is closed by the server with its first answer after ``--connection-seconds``."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import numpy as np
import pytest

from query.index import SenseIndex
from tests.query.serve.conftest import Server, start, stop

RECYCLED = 1.0  # seconds


@pytest.fixture(scope="module")
def two_workers(demo_indexes: dict[str, Path]) -> Iterator[Server]:
    running = start(
        {"news": demo_indexes["news"]}, "--workers", "2", "--connection-seconds", str(RECYCLED)
    )
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


def test_a_connection_is_closed_with_its_first_answer_after_its_time(two_workers: Server):
    address = urlsplit(two_workers.url)
    request = f"GET /api/news/suggest?word=bank HTTP/1.1\r\nHost: {address.netloc}\r\n\r\n"
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        closing = []
        started = time.monotonic()
        while True:
            sock.sendall(request.encode())
            answer = http.client.HTTPResponse(sock)
            answer.begin()
            assert answer.status == 200
            assert json.loads(answer.read())["known"] is True
            closing.append(answer.getheader("connection"))
            if closing[-1] is not None or time.monotonic() - started > 10 * RECYCLED:
                break
            time.sleep(RECYCLED / 4)
        assert time.monotonic() - started >= RECYCLED
        assert len(closing) >= 4 and closing == [None] * (len(closing) - 1) + ["close"]
        assert sock.recv(1) == b""  # the server closed it
