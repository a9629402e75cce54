"""The output directory before a build: checked, cleared, or rolled back to its last commit."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

from indexer.errors import IndexStateError
from indexer.files import flush_durably
from indexer.store.files import size_problem
from indexer.store.layout import ENTRIES, LOCK_NAME, MATRIX_SUFFIX, IndexLayout
from indexer.store.manifest import Manifest, read_manifest
from indexer.store.shards import matrix_row_bytes

logger = logging.getLogger(__name__)


def read_existing(layout: IndexLayout) -> Manifest | None:
    """The manifest of an existing output directory, or None where the directory is new/empty.

    A directory that holds other files and no manifest is refused, so that a mistyped ``--out``
    never mixes an index into unrelated files.
    """
    root = layout.root
    if not root.exists():
        return None
    if not root.is_dir():
        raise IndexStateError("exists and is not a directory; choose another --out", path=root)
    if layout.manifest.exists():
        return read_manifest(root)
    if any(not p.name.startswith(".") for p in root.iterdir()):
        raise IndexStateError(
            "exists, is not empty and holds no index (no manifest.json); choose another --out",
            path=root,
        )
    return None


@contextlib.contextmanager
def exclusive(layout: IndexLayout) -> Iterator[None]:
    """Hold ``.lock`` in the directory (created if needed) so that one build writes at a time.

    The lock is an ``flock``: the system releases it when the process ends, even by SIGKILL.
    """
    layout.root.mkdir(parents=True, exist_ok=True)
    with (layout.root / LOCK_NAME).open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise IndexStateError(
                "another build is writing this directory; wait for it or choose another --out",
                path=layout.root,
            ) from err
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def clear_index(layout: IndexLayout) -> None:
    """Delete the entries an index directory consists of (and nothing else in the folder)."""
    root = layout.root
    if root.exists() and not root.is_dir():
        raise IndexStateError("exists and is not a directory; choose another --out", path=root)
    for name in ENTRIES:
        path = root / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def discard_uncommitted(layout: IndexLayout, manifest: Manifest) -> None:
    """Delete what a killed build left that the manifest does not record, and check the rest.

    Temporary files, shard files past the last committed shard, matrix rows past the committed
    row count, and lexicon or index files the manifest does not list are removed. A committed
    file that is missing or has the wrong size is an :class:`IndexStateError`.
    """
    recorded = set(manifest.recorded_files())
    if manifest.shards and manifest.shards[-1].state is not None:
        recorded.add(manifest.shards[-1].state)
    keep_dirs = {layout.root / "matrix"}
    for folder in _data_dirs(layout):
        if folder in keep_dirs:
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and layout.relative(path) not in recorded:
                logger.info("removing uncommitted %s", path)
                path.unlink()
    for shard in manifest.shards:
        for name, record in shard.files.items():
            problem = size_problem(layout.root / name, record)
            if problem is not None:
                raise IndexStateError(
                    f"committed file {name} is {problem}; the directory was changed after the "
                    "build; rebuild with --overwrite",
                    path=layout.root,
                )
    _truncate_matrices(layout, manifest)


def _data_dirs(layout: IndexLayout) -> list[Path]:
    return [layout.root / name for name in ENTRIES[1:] if (layout.root / name).is_dir()]


def _truncate_matrices(layout: IndexLayout, manifest: Manifest) -> None:
    want = manifest.n_occurrences * matrix_row_bytes(manifest)
    for layer in manifest.layers:
        path = layout.matrix(layer, manifest.dtype)
        size = path.stat().st_size if path.is_file() else 0
        if size < want:
            raise IndexStateError(
                f"matrix {layout.relative(path)} has {size} bytes, fewer than the {want} its "
                "committed shards wrote; rebuild with --overwrite",
                path=layout.root,
            )
        if size > want:
            logger.info("truncating %s from %d to %d bytes", path, size, want)
            with path.open("rb+") as handle:
                handle.truncate(want)
                flush_durably(handle)
    expected = {f"layer={layer}.{MATRIX_SUFFIX[manifest.dtype]}" for layer in manifest.layers}
    matrix_dir = layout.root / "matrix"
    if matrix_dir.is_dir():
        for path in matrix_dir.iterdir():
            if path.name not in expected:
                path.unlink()
