"""Model identity: a digest over a model's files, recorded in manifests."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_identity(paths: list[Path]) -> str:
    """sha256 over the names and contents of ``paths``, in order."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode("utf-8") + b"\0")
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()
