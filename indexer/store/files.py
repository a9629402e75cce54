"""What an index directory records of its files: their size and sha256, and its size on disk.

Writing them durably is :mod:`indexer.files`'s job.
"""

from __future__ import annotations

from pathlib import Path

from indexer.files import sha256_file


def file_record(path: Path) -> dict[str, int | str]:
    """What the manifest records of a file: its size and sha256."""
    return {"bytes": path.stat().st_size, "sha256": sha256_file(path)}


def tree_bytes(root: Path) -> int:
    """Total size of the regular files under ``root``."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
