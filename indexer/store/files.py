"""Durable file writing: write to a temporary name, flush, fsync, then rename into place.

A build writes gigabytes it does not read again (vector files, Flat indexes). Once such bytes
are on disk, :func:`forget_cached` drops them from the page cache: the next writes then reuse
those pages instead of taking memory that has not been used yet, which is slow on virtual
machines whose memory the host provides on first use, and a build does not push the other
programs' files out of the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from indexer.store.layout import temporary_path

_BLOCK = 1 << 20


def fsync_dir(path: Path) -> None:
    """Make a rename inside ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse
        pass
    finally:
        os.close(fd)


def fsync_file(path: Path, *, forget: bool = False) -> None:
    """Force a written file's bytes to disk; with ``forget``, then drop them from the cache."""
    with path.open("rb+") as handle:
        flush_durably(handle, forget=forget)


def forget_cached(fd: int) -> None:
    """Drop a file's clean pages from the page cache (Linux; elsewhere nothing). Pages not yet
    written to disk stay: call it after an fsync."""
    advise = getattr(os, "posix_fadvise", None)
    if advise is not None:
        with contextlib.suppress(OSError):
            advise(fd, 0, 0, os.POSIX_FADV_DONTNEED)


def publish(tmp: Path, final: Path, *, forget: bool = False) -> None:
    """fsync ``tmp``, rename it to ``final`` (replacing it), and fsync the folder; with
    ``forget``, the file's pages are dropped from the cache once on disk."""
    fsync_file(tmp, forget=forget)
    os.replace(tmp, final)
    fsync_dir(final.parent)


@contextlib.contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success publish it as ``final``, else delete it."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(final)
    try:
        yield tmp
        publish(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(final: Path, data: bytes | memoryview) -> None:
    """Replace ``final`` with ``data`` so that a reader sees the old or the new file, whole."""
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def file_record(path: Path) -> dict[str, int | str]:
    """What the manifest records of a file: its size and sha256."""
    return {"bytes": path.stat().st_size, "sha256": sha256_file(path)}


def flush_durably(handle: BinaryIO, *, forget: bool = False) -> None:
    """Force what was written to an open file to disk; with ``forget``, then drop its pages
    from the cache."""
    handle.flush()
    os.fsync(handle.fileno())
    if forget:
        forget_cached(handle.fileno())


def tree_bytes(root: Path) -> int:
    """Total size of the regular files under ``root``."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
