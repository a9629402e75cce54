"""Access and bounds of a real ``query serve``: the bearer token (and the page's sign-in
cookie), /healthz open, bodies bounded, CORS off unless asked for, the loopback default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from query.cli import app
from tests.query.serve.conftest import Server, start, stop

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def guarded(demo_indexes: dict[str, Path]) -> Iterator[Server]:
    running = start(
        {"news": demo_indexes["news"]}, "--token", TOKEN, "--cors", "http://allowed.example"
    )
    yield running
    stop(running)


def test_every_request_but_healthz_needs_the_token(guarded: Server):
    with guarded.client() as client:
        assert client.get("/healthz").status_code == 200
        for path in (
            "/api/indexes",
            "/api/news/info",
            "/metrics",
            "/openapi.json",
            "/static/app.js",
        ):
            refused = client.get(path)
            assert refused.status_code == 401, path
            assert refused.json()["error"]["message"].startswith("a bearer token is needed")
        wrong = client.get("/api/indexes", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = client.get("/api/indexes", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200 and right.json()["indexes"][0]["name"] == "news"


def test_the_page_signs_in_with_a_form_that_sets_a_cookie(guarded: Server):
    with guarded.client() as client:
        page = client.get("/")
        assert page.status_code == 401 and '<form method="post" action="/login">' in page.text
        assert client.post("/login", data={"token": "nope"}).status_code == 401
        signed = client.post("/login", data={"token": TOKEN})
        assert signed.status_code == 303 and "httponly" in signed.headers["set-cookie"].lower()
        assert client.get("/api/indexes").status_code == 200  # the cookie now goes with them


def test_bodies_are_bounded_and_cors_is_only_for_the_origins_given(guarded: Server):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with guarded.client(headers=auth) as client:
        big = client.post("/api/news/distances", content=b"x" * 70_000)
        assert big.status_code == 413 and big.json()["error"]["parameter"] == "body"
        allowed = client.get("/api/indexes", headers={"Origin": "http://allowed.example"})
        assert allowed.headers["access-control-allow-origin"] == "http://allowed.example"
        other = client.get("/api/indexes", headers={"Origin": "http://other.example"})
        assert "access-control-allow-origin" not in other.headers


def test_serving_off_loopback_without_a_token_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("ELMO_INDEX_TOKEN", raising=False)
    result = CliRunner().invoke(app, ["serve", "--index", str(tmp_path), "--host", "0.0.0.0"])
    assert result.exit_code == 1
    assert "needs an access token: --token T or the environment variable ELMO_INDEX_TOKEN" in (
        result.stderr
    )
