"""Prometheus metrics of the service: requests and their latency per endpoint and status."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response

Next = Callable[[Request], Awaitable[Response]]
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

    def middleware(self) -> Callable[[Request, Next], Awaitable[Response]]:
        async def measure(request: Request, call_next: Next) -> Response:
            started = time.perf_counter()
            response = await call_next(request)
            route = request.scope.get("route")
            endpoint = getattr(route, "path", None) or "unmatched"
            self.requests.labels(endpoint, str(response.status_code)).inc()
            self.latency.labels(endpoint).observe(time.perf_counter() - started)
            return response

        return measure

    def answer(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
