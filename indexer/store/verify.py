"""Check an index directory's files against the sizes and sha256 digests in its manifest."""

from __future__ import annotations

from pathlib import Path

from indexer.files import sha256_file
from indexer.store.files import size_problem
from indexer.store.layout import IndexLayout
from indexer.store.manifest import read_manifest


def verify_index(root: str | Path) -> list[str]:
    """Every mismatch between the files and the manifest, as readable lines; empty when whole."""
    layout = IndexLayout(Path(root))
    manifest = read_manifest(root)
    problems: list[str] = []
    for name, record in manifest.recorded_files().items():
        path = layout.root / name
        problem = size_problem(path, record)
        if problem is not None:
            problems.append(f"{name}: {problem}")
        elif sha256_file(path) != record["sha256"]:
            problems.append(f"{name}: sha256 differs from the manifest")
    return problems
