"""The ASGI app: the indexes it serves, its middleware (token, body bound, metrics, CORS), error
answers, the web page's files, and the API routes (``query.serve.routes``).

Every error is a 4xx JSON answer ``{"error": {"parameter", "message"}}`` naming the parameter
where one is at fault; nothing in a request names a file, and no endpoint writes anything.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from indexer.errors import ElmoIndexError
from indexer.sizes import counted
from indexer.store.summary import IndexInfo
from query.index import SenseIndex
from query.search import hold_blas_to_one_thread
from query.selection import Selection
from query.senses.result import Senses
from query.serve.batching import ContextBatcher
from query.serve.config import (
    SETTINGS_VARIABLE,
    IndexNotServed,
    ServeSettings,
    settings_from_json,
    settings_to_json,
)
from query.serve.connections import Recycle
from query.serve.metrics import Metrics
from query.serve.security import Guard, error, login

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
#: Senses computed by the service and kept in its memory, per index.
SENSES_KEPT = 64
#: A same-word search of occurrences kept in memory, whose query points times the occurrences
#: searched are at most this many, is answered on the event loop (about a millisecond); larger
#: ones, and all other work, go to worker threads.
QUICK_BLOCK = 50_000
#: How long an index's summary is kept (it walks the index's files: milliseconds); the sizes
#: of files another process writes meanwhile (senses kept) show after this.
SUMMARY_SECONDS = 10.0
T = TypeVar("T")


@dataclass(eq=False)
class Served:
    """One served index: its reader, its context batcher, and the senses computed for it
    (``lock``: one computation of senses at a time)."""

    name: str
    index: SenseIndex
    batcher: ContextBatcher
    lock: threading.Lock = field(default_factory=threading.Lock)
    senses: OrderedDict[tuple[Selection, int, int | None, int, bool], Senses] = field(
        default_factory=OrderedDict
    )
    results: OrderedDict[tuple[Any, ...], Any] = field(default_factory=OrderedDict)
    _summary: tuple[float, IndexInfo] | None = None

    def summary(self) -> IndexInfo:
        """The index's summary (``query info``), kept :data:`SUMMARY_SECONDS`."""
        now = time.monotonic()
        if self._summary is None or now - self._summary[0] >= SUMMARY_SECONDS:
            self._summary = (now, self.index.info())
        return self._summary[1]

    async def call(self, work: Callable[[], T], *, alone: bool = False, quick: bool = False) -> T:
        """Run ``work`` on the index in a worker thread (``alone``: one such call at a time;
        ``quick``: on the event loop itself).

        The index's caches are safe to share between threads, and its numpy, FAISS and
        pyarrow work runs outside the GIL, so calls go side by side. A quick call saves the
        hand-over to a thread and the threads' contention for the GIL, which cost more than
        a millisecond's work itself."""
        if quick:
            return work()
        if not alone:
            return await asyncio.to_thread(work)

        def locked() -> T:
            with self.lock:
                return work()

        return await asyncio.to_thread(locked)

    def quick_search(self, selection: Selection, layer: int, queries: int = 1) -> bool:
        """Whether a same-word search of ``selection`` on ``layer`` from ``queries`` points
        is quick: its occurrences and their vectors are kept in memory, ``queries`` times
        their number is at most :data:`QUICK_BLOCK`, and no SQL filter applies. (A hit's
        sentence shard not yet cached is still read then, on the event loop: one Parquet
        file, kept for later requests.)"""
        if selection.where is not None:
            return False
        block = self.index.blocks.peek((selection.key, layer))
        return block is not None and queries * len(block.ids) <= QUICK_BLOCK

    async def senses_of(
        self, selection: Selection, layer: int, n: int | None, examples: int, dedupe: bool
    ) -> Senses:
        """The senses of a word (or selection), computed in memory (nothing is written) and
        kept for the next request, :data:`SENSES_KEPT` at most."""
        key = (selection, layer, n, examples, dedupe)
        kept = self.senses.get(key)
        if kept is None:
            kept = await self.call(
                lambda: self.index.senses(
                    selection.word,
                    layer=layer,
                    n=n,
                    examples=examples,
                    dedupe=dedupe,
                    keep=False,
                    **selection.filters(),
                ),
                alone=True,
            )
            self.senses[key] = kept
            while len(self.senses) > SENSES_KEPT:
                self.senses.popitem(last=False)
        return kept

    async def kept(self, key: tuple[Any, ...], work: Callable[[], T]) -> T:
        """``work``'s result (a comparison or a ranking: seconds to minutes of work), computed
        one at a time and kept in memory for the next request, :data:`SENSES_KEPT` at most."""
        if key in self.results:
            self.results.move_to_end(key)
            return cast(T, self.results[key])
        found = await self.call(work, alone=True)
        self.results[key] = found
        while len(self.results) > SENSES_KEPT:
            self.results.popitem(last=False)
        return found


class _Measured:
    """``Metrics.middleware`` as a middleware class (``add_middleware`` takes classes)."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = metrics.middleware(app)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)


def open_indexes(settings: ServeSettings) -> dict[str, Served]:
    """Open every index of ``settings`` (the manifest only; the rest on first use)."""
    served = {}
    for name, path in settings.indexes.items():
        index = SenseIndex.open(path, model=settings.model, device=settings.device)
        batcher = ContextBatcher(
            index.embedder.prepare, settings.batch_window_ms / 1000, settings.max_batch
        )
        served[name] = Served(name, index, batcher)
        logger.info("serving %s as %r", path, name)
    return served


def create_app(settings: ServeSettings, served: Mapping[str, Served] | None = None) -> FastAPI:
    """The service over ``served`` (default: the indexes of ``settings``, opened now)."""
    from query.serve.routes import api

    indexes = dict(served) if served is not None else open_indexes(settings)
    metrics = Metrics()
    app = FastAPI(
        title="elmo-sense-index",
        summary="Occurrences of a word used the same way, senses, distances: over ELMo layers.",
        version="1",
    )
    app.state.indexes = indexes
    app.state.settings = settings
    app.state.metrics = metrics
    for one in indexes.values():
        one.batcher.on_batch = metrics.batches.inc
    app.add_middleware(Guard, token=settings.token, body_bytes=settings.limits.body_bytes)
    app.add_middleware(_Measured, metrics=metrics)
    if settings.workers > 1 and settings.connection_seconds > 0:
        app.add_middleware(Recycle, seconds=settings.connection_seconds)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"]
        )
    _errors(app)
    app.include_router(api(settings.limits))

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        return metrics.answer()

    @app.post("/login", include_in_schema=False)
    async def sign_in(request: Request) -> Response:
        return await login(request, settings.token)

    @app.get("/", include_in_schema=False)
    async def page() -> Response:
        if not (STATIC / "index.html").is_file():
            return error(404, "the web page is not installed")
        return FileResponse(STATIC / "index.html")

    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def parameter_named(message: str, params: Mapping[str, Any]) -> str | None:
    """The request parameter a QueryError's message is about: one it names, or whose value it
    quotes.

    >>> parameter_named("k must be at least 1, got 0", {"word": "bank", "k": "0"})
    'k'
    >>> parameter_named("'bnak' does not occur in the corpus", {"word": "bnak", "k": "3"})
    'word'
    """
    for name in params:
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", message):
            return name
    for name, value in params.items():
        if str(value) and str(value) in message:
            return name
    return None


def _errors(app: FastAPI) -> None:
    @app.exception_handler(ElmoIndexError)
    async def project_error(request: Request, err: ElmoIndexError) -> JSONResponse:
        if isinstance(err, IndexNotServed):
            return error(404, str(err), "index")
        params = dict(request.query_params) | dict(request.path_params)
        return error(400, str(err), parameter_named(str(err), params))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        where = [str(part) for part in first.get("loc", ()) if part not in ("query", "body")]
        message = str(first.get("msg", "invalid request"))
        name = where[0] if where else None
        return error(400, f"{name}: {message}" if name else message, name)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException) -> JSONResponse:
        return error(err.status_code, str(err.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, err: Exception) -> JSONResponse:
        logger.exception("unexpected error answering %s", request.url.path)
        return error(500, "internal error")


def app_from_environment() -> FastAPI:
    """The app of a worker process of ``--workers N`` (settings in ``SETTINGS_VARIABLE``)."""
    import os

    hold_blas_to_one_thread()
    return create_app(settings_from_json(os.environ[SETTINGS_VARIABLE]))


def run(settings: ServeSettings, report: Callable[[str], None] = logger.info) -> None:
    """Serve until interrupted, telling ``report`` the addresses served, when the service
    answers, and when it has stopped."""
    import os

    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from query.serve.listen import bind, urls, when_ready

    app = create_app(settings) if settings.workers == 1 else None
    if app is None:
        open_indexes(settings)  # a missing index is refused before any worker starts
    sock = bind(settings.host, settings.port)
    port = int(sock.getsockname()[1])
    names = ", ".join(settings.indexes)
    for url in urls(settings.host, port):
        report(f"serving {counted(len(settings.indexes), 'index', 'indexes')} ({names}) at {url}")
    common: dict[str, Any] = {
        "host": settings.host,
        "port": port,
        "log_level": "warning",
        "limit_concurrency": 256,
        "timeout_keep_alive": 5,
    }
    workers = f" in {settings.workers} processes" if settings.workers > 1 else ""
    waiting = when_ready(settings.host, port, lambda: report(f"ready{workers}; Ctrl-C stops"))
    try:
        if app is not None:
            hold_blas_to_one_thread()
            uvicorn.Server(uvicorn.Config(app, **common)).run(sockets=[sock])
        else:
            os.environ[SETTINGS_VARIABLE] = settings_to_json(settings)
            config = uvicorn.Config(
                "query.serve.app:app_from_environment",
                factory=True,
                workers=settings.workers,
                **common,
            )
            Multiprocess(config, sockets=[sock]).run()
    except KeyboardInterrupt:
        pass
    finally:
        waiting.set()
        sock.close()
    report("stopped")
