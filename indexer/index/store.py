"""Write and read one layer's FAISS index file, atomically and with named errors."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import faiss

from indexer.errors import IndexStateError
from indexer.files import atomic_path

logger = logging.getLogger(__name__)


def save_index(index: Any, path: str | Path) -> None:
    """Write ``index`` to ``path`` durably (``indexer.files.atomic_path``): a killed or failed
    write leaves the previous file whole. The folder must exist."""
    path = Path(path)
    try:
        with atomic_path(path, parents=False) as tmp:
            faiss.write_index(index, str(tmp))
    except (RuntimeError, OSError) as err:
        raise IndexStateError(f"cannot write the FAISS index: {err}", path=path) from err


def load_index(path: str | Path, *, mmap: bool = False) -> Any:
    """Read an index written by ``save_index``; a missing or corrupt file is an IndexStateError.

    With ``mmap`` the file is memory-mapped read-only where FAISS can (a cold start then need not
    read it whole), and read whole where it cannot. Search parameters are stored in the file;
    ``apply_search_params`` changes them.
    """
    path = Path(path)
    if not path.is_file():
        raise IndexStateError("FAISS index file not found", path=path)
    if mmap:
        flags = getattr(faiss, "IO_FLAG_MMAP", 0) | getattr(faiss, "IO_FLAG_READ_ONLY", 0)
        try:
            return faiss.read_index(str(path), flags)
        except RuntimeError:
            logger.debug("cannot memory-map %s; reading it whole", path)
    try:
        return faiss.read_index(str(path))
    except RuntimeError as err:
        raise IndexStateError(
            f"cannot read the FAISS index, the file is corrupt: {err}", path=path
        ) from err
