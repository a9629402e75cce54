"""Background threads of a build: shard writing and corpus read-ahead."""

from __future__ import annotations

import collections
import contextlib
import os
import queue
import threading
from collections.abc import Callable, Generator, Iterable
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, cast

import numpy as np

from indexer.builder.memory import release_free_memory
from indexer.errors import IndexStateError
from indexer.store.layout import IndexLayout
from indexer.store.manifest import Manifest, write_manifest
from indexer.store.shard_writer import ShardWriter
from indexer.store.shards import ShardMeta
from indexer.vectors import VECTOR_DTYPES, encoded_dtype

if TYPE_CHECKING:
    from indexer.store.quantize import Int8Scale

T = TypeVar("T")
_POLL_SECONDS = 0.1
_DONE = object()


@dataclass(frozen=True, eq=False)
class VectorChunk:
    """The next ``n`` rows of shard ``index``, held in ``buffer`` (from :meth:`ShardCommitter.
    buffer`): ``buffer[i, :n]`` are the vectors of the ``i``-th stored layer."""

    index: int
    first_occurrence: int
    n: int
    buffer: np.ndarray


class ShardCommitter:
    """Writes shards while the encoder goes on.

    The encoding side fills chunk buffers (:meth:`buffer`) and hands each shard over as vector
    chunks (:class:`VectorChunk`, :meth:`add`), then its :class:`ShardMeta` (:meth:`commit`).
    Each stored layer has a writer thread; a chunk's layers are written side by side (Parquet
    encoding, hashing and file writes run outside the GIL). At most ``pending`` chunks are in
    flight: with 0, :meth:`add` returns once the chunk is written. On the CPU that is faster
    than writing in the background: writing then has all the cores for a moment, instead of
    taking turns with the encoder's threads, each of which then holds the others up. A GPU
    encoder gains from ``pending`` > 0. ``pending + 1`` buffers of ``chunk_rows`` rows go
    round and are never freed, so memory is the same whatever the corpus size.

    A shard is committed on a thread of its own: the shard is recorded in the manifest
    (rewritten atomically) only after all of its files are on disk, and the previous shard's
    saved encoder state is deleted after that (with ``publish`` False the shard is only added to
    ``manifest.shards`` in memory: the driver of a distributed build records it). ``close``
    waits for what was handed over, stops the threads and re-raises a write error; the other
    methods re-raise one as soon as it is known.
    """

    def __init__(
        self,
        layout: IndexLayout,
        manifest: Manifest,
        chunk_rows: int = 8192,
        pending: int = 0,
        *,
        publish: bool = True,
    ):
        self._layout = layout
        self._manifest = manifest
        self._publish = publish
        self._pending = pending
        shape = (len(manifest.layers), chunk_rows, manifest.dim)
        floats = VECTOR_DTYPES[encoded_dtype(manifest.dtype)]
        self._free = [np.empty(shape, floats) for _ in range(pending + 1)]
        self._in_flight: collections.deque[tuple[int, np.ndarray, list[Future[None]]]] = (
            collections.deque()
        )
        self._writers = [
            ThreadPoolExecutor(1, thread_name_prefix=f"layer-{layer}-writer")
            for layer in manifest.layers
        ]
        self._error: BaseException | None = None
        self._shard: ShardWriter | None = None
        self._shard_jobs: list[Future[None]] = []
        self._commits: queue.Queue[tuple[ShardWriter, ShardMeta, list[Future[None]]] | None] = (
            queue.Queue()
        )
        self._thread = threading.Thread(target=self._run, name="shard-commit", daemon=True)
        self._thread.start()

    def buffer(self) -> np.ndarray:
        """A free ``(n_layers, chunk_rows, dim)`` buffer to fill; waits for the writers."""
        self._raise_error()
        while not self._free:
            self._settle_oldest()
        return self._free.pop()

    def add(self, chunk: VectorChunk) -> None:
        """Hand over the next vectors of the current shard (the buffer comes back when written)."""
        self._raise_error()
        if self._shard is None:
            self._shard = self._guard(chunk.index, self._new_shard, chunk)
        shard = self._shard
        first = shard.advance(chunk.n)
        jobs = [
            writer.submit(shard.add_layer, layer, first, chunk.buffer[i, : chunk.n])
            for i, (layer, writer) in enumerate(
                zip(self._manifest.layers, self._writers, strict=True)
            )
        ]
        self._shard_jobs.extend(jobs)
        self._in_flight.append((chunk.index, chunk.buffer, jobs))
        while len(self._in_flight) > self._pending:
            self._settle_oldest()

    def commit(self, meta: ShardMeta) -> None:
        """Hand over the end of the current shard."""
        self._raise_error()
        if self._shard is None or self._shard.index != meta.index:
            raise ValueError(f"shard {meta.index} is committed without any vectors")
        self._commits.put((self._shard, meta, self._shard_jobs))
        self._shard, self._shard_jobs = None, []

    def close(self) -> None:
        """Write what was handed over, stop; re-raise a write error."""
        try:
            while self._in_flight:
                self._settle_oldest()
        except BaseException as err:
            self._error = self._error or err
        if self._thread.is_alive():
            self._commits.put(None)
            self._thread.join()
        for writer in self._writers:
            writer.shutdown(wait=True)
        if self._shard is not None:
            self._shard.abort()
        self._raise_error()

    def _new_shard(self, chunk: VectorChunk) -> ShardWriter:
        manifest = self._manifest
        return ShardWriter(
            self._layout,
            chunk.index,
            chunk.first_occurrence,
            manifest.dim,
            manifest.dtype,
            manifest.layers,
            self._int8_scales(chunk),
        )

    def _int8_scales(self, chunk: VectorChunk) -> dict[int, Int8Scale] | None:
        """Each layer's int8 quantization (None unless the dtype is int8), fitted on the first
        chunk of the first shard: the same on a rerun, and recorded with that shard's commit."""
        manifest = self._manifest
        if manifest.dtype != "int8":
            return None
        from indexer.store.quantize import Int8Scale

        if manifest.int8 is None:
            manifest.int8 = {
                layer: Int8Scale.fit(chunk.buffer[i, : chunk.n]).to_dict()
                for i, layer in enumerate(manifest.layers)
            }
        return {layer: Int8Scale.from_dict(manifest.int8[layer]) for layer in manifest.layers}

    def _settle_oldest(self) -> None:
        index, buffer, jobs = self._in_flight.popleft()
        self._free.append(buffer)
        for job in jobs:
            self._guard(index, job.result)

    def _guard(self, index: int, call: Callable[..., T], *args: object) -> T:
        """``call(*args)``, an OSError turned into the IndexStateError of shard ``index``."""
        try:
            return call(*args)
        except OSError as err:
            error = IndexStateError(
                f"cannot write shard {index}: {err.strerror or err}",
                path=err.filename or self._layout.root,
            )
            self._error = self._error or error
            raise error from err

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        _yield_to_encoder()
        while (item := self._commits.get()) is not None:
            shard, meta, jobs = item
            futures.wait(jobs)
            if self._error is None:
                try:
                    self._guard(meta.index, self._commit, shard, meta, jobs)
                    continue
                except BaseException as err:  # re-raised on the caller's thread
                    self._error = self._error or err
            shard.abort()

    def _commit(self, shard: ShardWriter, meta: ShardMeta, jobs: list[Future[None]]) -> None:
        for job in jobs:
            job.result()
        manifest = self._manifest
        record = shard.commit(meta)
        previous = manifest.shards[-1].state if manifest.shards else None
        manifest.shards.append(record)
        if not self._publish:  # a part of a distributed build: its driver records the shards
            return
        write_manifest(self._layout, manifest)
        if previous is not None:
            (self._layout.root / previous).unlink(missing_ok=True)
        release_free_memory()


def read_ahead(items: Iterable[T], depth: int = 1) -> Generator[T, None, None]:
    """Iterate ``items`` on a thread, up to ``depth`` items ahead; errors reach the caller."""
    channel: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        _yield_to_encoder()
        try:
            for item in items:
                if not _put(channel, item, stop):
                    return
            _put(channel, _DONE, stop)
        except BaseException as err:  # handed to the consumer
            _put(channel, _Failure(err), stop)

    thread = threading.Thread(target=produce, name="corpus-reader", daemon=True)
    thread.start()
    try:
        while (item := channel.get()) is not _DONE:
            if isinstance(item, _Failure):
                raise item.error
            yield cast(T, item)
    finally:
        stop.set()
        thread.join()


def _yield_to_encoder() -> None:
    """Lower the calling thread's scheduling priority (Linux), so that on a machine whose cores
    the encoder keeps busy, writing and reading take the slack instead of slowing it down."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


def _put(channel: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            channel.put(item, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False
