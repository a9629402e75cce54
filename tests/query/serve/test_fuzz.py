"""More than a thousand malformed and hostile requests to a real ``query serve``: none gets a
5xx, the server answers correctly afterwards, writes nothing, and reads no file outside the
index directories (a file beside them keeps its access time)."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from query.index import SenseIndex
from query.render import render_neighbors
from tests.query.serve.conftest import Server, start, stop

REQUESTS = 1200
ENDPOINTS = ["neighbors", "occurrences", "senses", "senses/map", "distances", "suggest", "info"]
PARAMETERS = [
    "word", "layer", "k", "limit", "scope", "occurrence", "context", "position", "dedupe",
    "senses", "examples", "max_points", "layers", "where", "index", "path", "file",
]  # fmt: skip
HOSTILE = [
    "-1", "0", "-99999999999999999999", "99999999999999999999", "1e309", "NaN", "inf", "1.5",
    "", " ", "true", "null", "[]", "{}", "abc", "bank", "bank" * 300, "x" * 5000,
    "../../etc/passwd", "..%2F..%2Fsecret.txt", "/etc/passwd", "secret.txt", "~root",
    "' OR 1=1 --", "1; DROP TABLE occurrences", "year >= 1990 AND read_csv('secret.txt')",
    "\u202eknab", "b\u0061\u0301nk", "\U0001f3e6", "\x00", "%00", "%ff%fe", "%c0%af",
    "[[bank]] [[bank]]", "[[", "]]", "<script>alert(1)</script>", "${jndi:ldap://x}",
    "0,1,2,3,4,5,6,7,8,9", "2,,", "-1,2", "auto", "9", "0x10",
]  # fmt: skip
INDEX_NAMES = ["news", "..", "%2e%2e", "../news", "news/../../x", "nul%00l", "x" * 300, ""]


def hostile_requests(seed: int) -> Iterator[tuple[str, str, bytes | None]]:
    """(method, raw path and query, body) triples, seeded."""
    rng = random.Random(seed)
    for i in range(REQUESTS):
        index = "news" if rng.random() < 0.7 else rng.choice(INDEX_NAMES)
        endpoint = rng.choice(ENDPOINTS * 4 + ["../../secret.txt", "", "neighbors/extra"])
        params = [
            f"{rng.choice(PARAMETERS)}={quote(rng.choice(HOSTILE), safe='%')}"
            for _ in range(rng.randint(0, 5))
        ]
        if rng.random() < 0.5:
            params.append(f"word={quote(rng.choice([*HOSTILE, 'bank', 'spring']), safe='%')}")
        target = f"/api/{index}/{endpoint}?{'&'.join(params)}"
        if i % 10 == 0:
            body = rng.choice(
                [
                    b"{", b"[]", b"null", json.dumps({"items": [-5, ["x"]]}).encode(),
                    json.dumps({"items": [[1, 2, 3, 4]], "layers": [99]}).encode(),
                    json.dumps({"items": ["a" * 3000]}).encode(), b"\xff\xfe", b"x" * 70_000,
                    json.dumps({"items": list(range(500))}).encode(),
                ]
            )  # fmt: skip
            yield "POST", f"/api/{rng.choice(['news', '..'])}/distances", body
        elif i % 17 == 0:
            yield rng.choice(["PUT", "DELETE", "PATCH", "OPTIONS"]), target, b"{}"
        elif i % 23 == 0:
            odd = ["/static/../../secret.txt", "/static/%2e%2e/secret.txt", "/..%2fsecret.txt"]
            yield "GET", rng.choice([*odd, "/metrics?x=" + "y" * 5000]), None
        else:
            yield "GET", target, None


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="module")
def fuzzed(demo_indexes: dict[str, Path]) -> Iterator[tuple[Server, Path]]:
    root = demo_indexes["news"].parent
    canary = root / "secret.txt"
    canary.write_text("not for the service\n", encoding="utf-8")
    stat = canary.stat()
    os.utime(canary, ns=(stat.st_mtime_ns - 10**12, stat.st_mtime_ns))  # relatime then updates
    running = start({"news": demo_indexes["news"]})
    yield running, canary
    stop(running)


def test_hostile_requests_get_4xx_never_5xx_and_change_nothing(fuzzed):
    server, canary = fuzzed
    index_dir = server.indexes["news"]
    before = snapshot(index_dir)
    atime = canary.stat().st_atime_ns
    statuses: dict[int, int] = {}
    with server.client() as client:
        for method, target, body in hostile_requests(seed=7):
            answer = client.request(method, target, content=body)
            statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            assert answer.status_code < 500, (method, target, answer.status_code, answer.text[:300])
            assert b"not for the service" not in answer.content
            if (
                answer.status_code >= 400
                and answer.headers.get("content-type") == "application/json"
            ):
                assert set(answer.json()["error"]) == {"parameter", "message"}
        assert (
            sum(statuses.values()) == REQUESTS
            and sum(n for status, n in statuses.items() if status >= 400) > REQUESTS / 2
        ), statuses
        # The server still answers, and answers right.
        got = client.get("/api/news/neighbors", params={"word": "bank", "k": 3, "limit": 2})
        want = SenseIndex.open(index_dir).neighbors("bank", k=3, limit=2)
        assert got.json() == json.loads(render_neighbors(want, "json"))
    assert server.process.poll() is None
    assert snapshot(index_dir) == before
    assert canary.stat().st_atime_ns == atime
