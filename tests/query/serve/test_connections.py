"""``Recycle``: a connection's first answer after it has been open ``seconds`` says
``Connection: close``; connections (client address and port) are followed apart, and a closed
one starts again as new; only a service of several worker processes recycles connections."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import cast

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from indexer.errors import QueryError
from query.serve import connections
from query.serve.config import ServeSettings, settings_from_json, settings_to_json
from query.serve.connections import Recycle


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def hello(request: object) -> PlainTextResponse:
    return PlainTextResponse("hello", headers={"x-kept": "yes"})


def recycled(seconds: float, clock: Clock) -> Recycle:
    return Recycle(Starlette(routes=[Route("/", hello)]), seconds=seconds, clock=clock)


def closes(app: Recycle, port: int, clock: Clock, steps: list[float]) -> list[bool]:
    """Whether each answer to the client at 127.0.0.1:``port`` closes its connection, one
    request after each of ``steps`` seconds."""

    async def ask() -> list[bool]:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", port))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            out = []
            for step in steps:
                clock.now += step
                answer = await client.get("/")
                assert answer.status_code == 200 and answer.text == "hello"
                assert answer.headers["x-kept"] == "yes"
                out.append(answer.headers.get("connection") == "close")
            return out

    return asyncio.run(ask())


def test_the_first_answer_after_the_time_closes_the_connection():
    clock = Clock()
    app = recycled(5.0, clock)
    got = closes(app, 5001, clock, [0, 2, 2.9, 0.1, 0, 1, 4, 0.5])
    # opened at 100; 104.9 still open; 105 closes; a new one from 105, closed at 110
    assert got == [False, False, False, True, False, False, True, False]


def test_connections_are_followed_apart():
    clock = Clock()
    app = recycled(5.0, clock)
    assert closes(app, 5001, clock, [0]) == [False]
    assert closes(app, 5002, clock, [3]) == [False]  # opened at 103
    assert closes(app, 5001, clock, [2]) == [True]  # 5 s after 100
    assert closes(app, 5002, clock, [0, 3]) == [False, True]


def test_the_longest_unused_connection_is_forgotten(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(connections, "COUNTED", 2)
    clock = Clock()
    app = recycled(5.0, clock)
    for port in (5001, 5002, 5003):  # 5001 is forgotten when 5003 is seen
        assert closes(app, port, clock, [0]) == [False]
    assert len(app.opened) == 2
    assert closes(app, 5001, clock, [6]) == [False]  # seen as new
    assert closes(app, 5003, clock, [0]) == [True]


def test_the_time_is_above_zero():
    with pytest.raises(ValueError, match="above 0"):
        recycled(0, Clock())


def test_only_several_workers_recycle_connections(tmp_path):
    from query.serve.app import create_app

    def recycling(settings: ServeSettings) -> list[float]:
        app = create_app(settings, served={})
        kept = [m.kwargs["seconds"] for m in app.user_middleware if m.cls is Recycle]
        return [float(cast(float, seconds)) for seconds in kept]

    one = ServeSettings(indexes={"x": tmp_path})
    assert one.connection_seconds == 5.0
    assert recycling(one) == []
    assert recycling(replace(one, workers=2)) == [5.0]
    assert recycling(replace(one, workers=2, connection_seconds=0.5)) == [0.5]
    assert recycling(replace(one, workers=2, connection_seconds=0)) == []
    again = settings_from_json(settings_to_json(replace(one, workers=2, connection_seconds=2)))
    assert again.connection_seconds == 2
    with pytest.raises(QueryError, match="connection_seconds must be at least 0, got -1"):
        ServeSettings(indexes={"x": tmp_path}, connection_seconds=-1)
