"""The corpus's bytes: a file or stdin, decompressed by magic bytes, with bytes read counted."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import hashlib
import importlib
import io
import lzma
import os
import stat
import sys
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO, Any, cast

from indexer.corpus.records import ReadStats
from indexer.errors import CorpusError

STDIN = "-"
_BUFFER_BYTES = 1 << 20
_FINGERPRINT_SPAN = 1 << 20
_HEAD_BYTES = 10
_BZ2_BLOCK_MAGIC = (b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90")


@dataclass
class Source:
    """An open corpus input: ``stream`` gives its decompressed bytes and supports ``readline``."""

    name: str
    stream: IO[bytes]
    compression: str | None
    total_bytes: int | None
    read_errors: tuple[type[Exception], ...]
    closer: contextlib.ExitStack

    def close(self) -> None:
        self.closer.close()


def detect_compression(head: bytes) -> str | None:
    """The compression the first bytes of a file show, or None for plain bytes.

    >>> detect_compression(gzip.compress(b"x")[:10])
    'gzip'
    >>> detect_compression(b"BZh9 is not bzip2")
    """
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    if head[:3] == b"BZh" and head[3:4].isdigit() and head[4:10] in _BZ2_BLOCK_MAGIC:
        return "bz2"
    return None


def open_source(path: str | Path, stats: ReadStats) -> Source:
    """Open ``path`` (``"-"`` for stdin) and undo its compression; ``stats.bytes_read`` counts
    the bytes taken from the file as stored."""
    closer = contextlib.ExitStack()
    try:
        if str(path) == STDIN:
            name, raw = "<stdin>", _stdin_bytes()
        else:
            name, raw = str(path), closer.enter_context(_open_file(path))
        total = _regular_size(raw)
        head = _read_head(raw, stats)
        counted = _CountingReader(raw, head, stats)
        buffered = closer.enter_context(io.BufferedReader(counted, _BUFFER_BYTES))
        compression = detect_compression(head)
        stream, errors = _decompressor(compression, buffered, name)
        if stream is not buffered:
            closer.enter_context(stream)
        return Source(name, stream, compression, total, errors, closer)
    except BaseException:
        closer.close()
        raise


def fingerprint(path: str | Path) -> str:
    """A cheap identity of a corpus file for the build manifest: sha256 of its size and its first
    and last MiB (as stored), so it is the same for every copy whatever the file's time stamps.
    It misses an edit that keeps the size and touches only the middle. ``"stdin"`` for ``"-"``,
    ``"stream"`` for a pipe or device, which cannot be read twice."""
    if str(path) == STDIN:
        return "stdin"
    with _open_file(path) as raw:
        size = _regular_size(raw)
        if size is None:
            return "stream"
        digest = hashlib.sha256(f"size={size}\n".encode())
        digest.update(raw.read(_FINGERPRINT_SPAN))
        raw.seek(max(size - _FINGERPRINT_SPAN, 0))
        digest.update(raw.read(_FINGERPRINT_SPAN))
    return digest.hexdigest()


def _open_file(path: str | Path) -> IO[bytes]:
    if os.path.isdir(path):
        raise CorpusError("is a directory, not a corpus file", path=path)
    try:
        return open(path, "rb", buffering=0)
    except FileNotFoundError as err:
        raise CorpusError("no such file", path=path) from err
    except OSError as err:
        raise CorpusError(f"cannot open: {err.strerror or err}", path=path) from err


def _stdin_bytes() -> IO[bytes]:
    stdin = sys.stdin
    if stdin is None or not hasattr(stdin, "buffer"):
        raise CorpusError("no standard input to read", path="<stdin>")
    return cast(IO[bytes], stdin.buffer)


def _regular_size(raw: IO[bytes]) -> int | None:
    try:
        info = os.fstat(raw.fileno())
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _read_head(raw: IO[bytes], stats: ReadStats) -> bytes:
    head = b""
    while len(head) < _HEAD_BYTES:
        chunk = raw.read(_HEAD_BYTES - len(head))
        if not chunk:
            break
        head += chunk
    stats.bytes_read += len(head)
    return head


class _CountingReader(io.RawIOBase):
    """The raw input after its first bytes were peeked at; adds what it reads to the stats."""

    def __init__(self, inner: IO[bytes], head: bytes, stats: ReadStats):
        self._inner = inner
        self._head = head
        self._stats = stats
        read_some = getattr(inner, "readinto1", None) or getattr(inner, "readinto", None)
        self._read_some = cast(Callable[[memoryview], int | None], read_some)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n], self._head = self._head[:n], self._head[n:]
            return n
        n = self._read_some(view) or 0
        self._stats.bytes_read += n
        return n


def _decompressor(
    compression: str | None, buffered: io.BufferedReader[Any], name: str
) -> tuple[IO[bytes], tuple[type[Exception], ...]]:
    basic: tuple[type[Exception], ...] = (OSError, EOFError)
    if compression is None:
        return buffered, (OSError,)
    if compression == "gzip":
        return cast(IO[bytes], gzip.GzipFile(fileobj=buffered, mode="rb")), (*basic, zlib.error)
    if compression == "bz2":
        return cast(IO[bytes], bz2.BZ2File(buffered)), basic
    if compression == "xz":
        return cast(IO[bytes], lzma.LZMAFile(buffered)), (*basic, lzma.LZMAError)
    zstandard = _zstandard(name)
    stream = io.BufferedReader(_ZstdReader(buffered, zstandard), _BUFFER_BYTES)
    return cast(IO[bytes], stream), (*basic, zstandard.ZstdError)


def _zstandard(name: str) -> ModuleType:
    try:
        return importlib.import_module("zstandard")
    except ImportError as err:
        raise CorpusError(
            "is zstd-compressed, and reading zstd needs the 'zstandard' package "
            "(pip install zstandard); or decompress it first (zstd -d)",
            path=name,
        ) from err


class _ZstdReader(io.RawIOBase):
    """zstd frames decoded one after another; a cut-off frame raises EOFError, as gzip does
    (zstandard's own ``stream_reader`` ends silently there)."""

    def __init__(self, compressed: io.BufferedReader[Any], zstandard: ModuleType):
        self._compressed = compressed
        self._zstandard = zstandard
        self._frame: Any = None  # the zstandard.ZstdDecompressionObj of an unfinished frame
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = self._compressed.read1(_BUFFER_BYTES)
            if not chunk:
                if self._frame is not None:
                    raise EOFError("zstd data ends inside a frame; the file is cut off")
                return 0
            self._pending = memoryview(self._decode(chunk))
        view = memoryview(buffer).cast("B")
        n = min(len(view), len(self._pending))
        view[:n], self._pending = self._pending[:n], self._pending[n:]
        return n

    def _decode(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            frame = self._frame or self._zstandard.ZstdDecompressor().decompressobj()
            out.append(frame.decompress(chunk))
            self._frame, chunk = (None, frame.unused_data) if frame.eof else (frame, b"")
        return b"".join(out)
