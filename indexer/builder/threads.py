"""Background threads of a build: shard writing and corpus read-ahead."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from typing import BinaryIO, TypeVar, cast

import numpy as np

from indexer.errors import IndexStateError
from indexer.store.layout import IndexLayout
from indexer.store.manifest import Manifest, write_manifest
from indexer.store.shard_writer import ShardWriter
from indexer.store.shards import DTYPES, ShardMeta

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
    """Writes shards on a thread, in order, while the encoder goes on.

    The encoding side fills chunk buffers (:meth:`buffer`) and hands each shard over as vector
    chunks (:class:`VectorChunk`, :meth:`add`), then its :class:`ShardMeta` (:meth:`commit`).
    The shard is recorded in the manifest (rewritten atomically) only after all of its files
    are on disk; the previous shard's saved encoder state is deleted after that. ``depth + 1``
    buffers of ``chunk_rows`` rows go round between the two sides and are never freed, so
    memory is the same whatever the corpus size. ``close`` writes what was handed over, stops
    the thread and re-raises a write error; ``buffer`` re-raises it as soon as it happened.
    """

    def __init__(
        self, layout: IndexLayout, manifest: Manifest, chunk_rows: int = 8192, depth: int = 2
    ):
        self._layout = layout
        self._manifest = manifest
        self._queue: queue.Queue[VectorChunk | ShardMeta | None] = queue.Queue()
        self._free: queue.Queue[np.ndarray] = queue.Queue()
        shape = (len(manifest.layers), chunk_rows, manifest.dim)
        for _ in range(depth + 1):
            self._free.put(np.empty(shape, DTYPES[manifest.dtype]))
        self._error: BaseException | None = None
        self._shard: ShardWriter | None = None
        self._matrices: dict[int, BinaryIO] = {}
        for layer in manifest.layers:
            path = layout.matrix(layer, manifest.dtype)
            path.parent.mkdir(parents=True, exist_ok=True)
            self._matrices[layer] = path.open("ab")
        self._thread = threading.Thread(target=self._run, name="shard-writer", daemon=True)
        self._thread.start()

    def buffer(self) -> np.ndarray:
        """A free ``(n_layers, chunk_rows, dim)`` buffer to fill; waits for the writer."""
        while True:
            self._raise_error()
            try:
                return self._free.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue

    def add(self, chunk: VectorChunk) -> None:
        """Hand over the next vectors of the current shard (the buffer comes back when written)."""
        self._queue.put(chunk)

    def commit(self, meta: ShardMeta) -> None:
        """Hand over the end of the current shard."""
        self._queue.put(meta)

    def close(self) -> None:
        """Write what was handed over, stop, close the matrices; re-raise a write error."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self._shard is not None:
            self._shard.abort()
        for handle in self._matrices.values():
            handle.close()
        self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        _yield_to_encoder()
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._handle(item)
                except OSError as err:
                    self._error = IndexStateError(
                        f"cannot write shard {item.index}: {err.strerror or err}",
                        path=err.filename or self._layout.root,
                    )
                    self._error.__cause__ = err
                except BaseException as err:  # re-raised on the caller's thread
                    self._error = err
            if isinstance(item, VectorChunk):
                self._free.put(item.buffer)

    def _handle(self, item: VectorChunk | ShardMeta) -> None:
        manifest = self._manifest
        if isinstance(item, VectorChunk):
            if self._shard is None:
                self._shard = ShardWriter(
                    self._layout,
                    item.index,
                    item.first_occurrence,
                    manifest.dim,
                    manifest.dtype,
                    self._matrices,
                )
            layers = self._manifest.layers
            self._shard.add({layer: item.buffer[i, : item.n] for i, layer in enumerate(layers)})
            return
        assert self._shard is not None and self._shard.index == item.index
        record = self._shard.commit(item)
        self._shard = None
        previous = manifest.shards[-1].state if manifest.shards else None
        manifest.shards.append(record)
        write_manifest(self._layout, manifest)
        if previous is not None:
            (self._layout.root / previous).unlink(missing_ok=True)


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
