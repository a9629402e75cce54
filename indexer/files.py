"""Durable file writing: write to a temporary name, flush, fsync, rename, fsync the folder.

Every writer of a file that is read back (index files, training checkpoints, exported models,
downloads) goes through :func:`atomic_path` or :func:`publish`, so that a reader, or a run
resumed after a kill, sees the old file or the new one, whole, never a half-written one. A file
being written is named by :func:`temporary_path`: ``.NAME.tmp`` beside ``NAME``, which readers
that list a folder skip and which a resume deletes.

A build writes gigabytes it does not read again (vector files, Flat indexes). Once such bytes
are on disk, :func:`forget_cached` drops them from the page cache: the next writes then reuse
those pages instead of taking memory that has not been used yet, which is slow on virtual
machines whose memory the host provides on first use, and a build does not push the other
programs' files out of the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

if TYPE_CHECKING:
    from hashlib import _Hash

_BLOCK = 1 << 20


def temporary_path(path: Path) -> Path:
    """The name ``path`` is written under before it is renamed into place.

    >>> temporary_path(Path("occurrences/part-00001.parquet")).name
    '.part-00001.parquet.tmp'
    """
    return path.with_name(f".{path.name}.tmp")


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


def flush_durably(handle: BinaryIO, *, forget: bool = False) -> None:
    """Force what was written to an open file to disk; with ``forget``, then drop its pages
    from the cache."""
    handle.flush()
    os.fsync(handle.fileno())
    if forget:
        forget_cached(handle.fileno())


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


def _make_folders(folder: Path) -> None:
    """Create ``folder`` and its missing parents, each new entry made durable in its parent."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        new.mkdir(exist_ok=True)
        fsync_dir(new.parent)


@contextlib.contextmanager
def atomic_path(final: Path, *, parents: bool = True) -> Iterator[Path]:
    """Yield the temporary path to write ``final`` under; when the block ends normally, publish
    it as ``final``, else (an exception, an interrupt) delete it and leave ``final`` as it was.

    With ``parents`` the missing folders of ``final`` are created first; without, writing into a
    missing folder fails as ``open`` does.
    """
    if parents:
        _make_folders(final.parent)
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


def write_text_atomic(final: Path, text: str) -> None:
    """Replace ``final`` with ``text`` in UTF-8, as :func:`write_bytes_atomic` does."""
    write_bytes_atomic(final, text.encode("utf-8"))


def sha256_file(path: Path, hasher: _Hash | None = None) -> str:
    """The hex sha256 of a file's bytes (fed into ``hasher``, to go on from what it has seen,
    when one is given)."""
    digest = hasher if hasher is not None else hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def release_mapped(array: np.ndarray) -> None:
    """Drop the pages of a memory-mapped ``array`` (a view of an ``mmap``, as ``np.memmap``
    and ``np.load(..., mmap_mode="r")`` give) from this process's resident memory; they stay in
    the page cache. Other arrays: nothing to do."""
    base: object = array
    while isinstance(base, np.ndarray):
        base = base.base
    advice = getattr(mmap, "MADV_DONTNEED", None)
    if isinstance(base, mmap.mmap) and advice is not None:
        base.madvise(advice)
