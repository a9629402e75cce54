"""What an index directory records of its files (size and sha256), the check of a file's size
against that record, and the directory's size on disk.

Writing them durably is :mod:`indexer.files`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from indexer.files import sha256_file


def file_record(path: Path) -> dict[str, int | str]:
    """What the manifest records of a file: its size and sha256."""
    return {"bytes": path.stat().st_size, "sha256": sha256_file(path)}


def size_problem(path: Path, record: Mapping[str, Any]) -> str | None:
    """How the file at ``path`` differs in size from its ``record``: ``"missing"`` or
    ``"N bytes, expected M"``; None where it has the recorded size (no hashing)."""
    if not path.is_file():
        return "missing"
    size = path.stat().st_size
    return None if size == record.get("bytes") else f"{size} bytes, expected {record.get('bytes')}"


def tree_bytes(root: Path) -> int:
    """Total size of the regular files under ``root``."""
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
