"""Prometheus metrics of the service: requests and their latency per endpoint and status."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Counters of one app (its own registry, so that several apps in a process stay apart)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "elmo_index_requests", "Requests answered", ["endpoint", "status"],
            registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "elmo_index_request_seconds", "Time to answer a request", ["endpoint"],
            buckets=BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.batches = Counter(
            "elmo_index_context_batches", "Encoder calls for context sentences",
            registry=self.registry,
        )  # fmt: skip

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """A plain ASGI layer that counts and times each HTTP request by its route."""

        async def measure(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            status = [500]

            async def sending(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status[0] = int(message["status"])
                await send(message)

            try:
                await app(scope, receive, sending)
            finally:
                route = scope.get("route")
                endpoint = getattr(route, "path", None) or "unmatched"
                self.requests.labels(endpoint, str(status[0])).inc()
                self.latency.labels(endpoint).observe(time.perf_counter() - started)

        return measure

    def answer(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
