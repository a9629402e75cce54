"""The output directory before a build: checked, cleared, or rolled back to its last commit."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

from indexer.errors import IndexStateError
from indexer.sizes import counted
from indexer.store.files import size_problem
from indexer.store.layout import ENTRIES, LEGACY_ENTRIES, LOCK_NAME, IndexLayout
from indexer.store.manifest import Manifest, read_manifest

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
    for name in (*ENTRIES, *LEGACY_ENTRIES):
        path = root / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def discard_uncommitted(layout: IndexLayout, manifest: Manifest, *, replaced: bool = False) -> None:
    """Delete what a killed run left that the manifest does not record, and check the rest.

    Temporary files, shard files past the last committed shard, and lexicon or index files the
    manifest does not list are removed (one log line says how many; with ``replaced``, the
    files of segments that a merge has just replaced, only in debug lines). A committed file
    that is missing or has the wrong size is an :class:`IndexStateError`.
    """
    recorded = manifest.recorded_files()
    keep = set(recorded)
    if manifest.shards and manifest.shards[-1].state is not None:
        keep.add(manifest.shards[-1].state)
    removed = 0
    for folder in _data_dirs(layout):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and layout.relative(path) not in keep:
                logger.debug("removing %s", path)
                path.unlink()
                removed += 1
        for path in sorted(folder.rglob("*"), reverse=True):
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    if removed:
        level = logging.DEBUG if replaced else logging.INFO
        what = "replaced by the merge" if replaced else "that a stopped run left uncommitted"
        logger.log(level, "removed %s %s in %s", counted(removed, "file"), what, layout.root)
    for name, record in recorded.items():
        problem = size_problem(layout.root / name, record)
        if problem is not None:
            raise IndexStateError(
                f"committed file {name} is {problem}; the directory was changed after the "
                "build; rebuild with --overwrite",
                path=layout.root,
            )


def _data_dirs(layout: IndexLayout) -> list[Path]:
    return [layout.root / name for name in ENTRIES[1:] if (layout.root / name).is_dir()]
