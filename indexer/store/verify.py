"""Check an index directory's files against the sizes and sha256 digests in its manifest."""

from __future__ import annotations

import hashlib
from pathlib import Path

from indexer.files import sha256_file
from indexer.store.files import size_problem
from indexer.store.layout import IndexLayout
from indexer.store.manifest import Manifest, read_manifest
from indexer.store.shards import matrix_row_bytes


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
    problems.extend(_verify_matrices(layout, manifest))
    return problems


def _verify_matrices(layout: IndexLayout, manifest: Manifest) -> list[str]:
    row_bytes = matrix_row_bytes(manifest)
    problems = []
    for layer in manifest.layers:
        path = layout.matrix(layer, manifest.dtype)
        name = layout.relative(path)
        want = manifest.n_occurrences * row_bytes
        size = path.stat().st_size if path.is_file() else None
        if size is None or size < want or (manifest.complete and size != want):
            problems.append(f"{name}: {size} bytes, expected {want}")
            continue
        with path.open("rb") as handle:
            for shard in manifest.shards:
                data = handle.read(shard.n_occurrences * row_bytes)
                if hashlib.sha256(data).hexdigest() != shard.matrix[str(layer)]:
                    problems.append(f"{name}: rows of shard {shard.index} differ from the manifest")
    return problems
