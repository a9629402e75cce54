"""Where each file of an index directory lives: names and paths, nothing else.

An index directory (default ``./elmo-index``) holds::

    manifest.json                         settings, counts, shard list, indexes, timings
    occurrences/part-00000.parquet        one row per token occurrence (all layers share it)
    sentences/part-00000.parquet          one row per sentence, with its text (KWIC)
    vectors/layer=2/part-00000.parquet    occ_id + vector, one folder per stored layer
    matrix/layer=2.f16                    the same vectors as one raw row-major matrix
    lexicon/lexicon.parquet               token, count, offset into postings
    lexicon/postings.npy                  int64 occurrence ids grouped by token
    index/layer=2.faiss                   FAISS index over L2-normalized vectors, ids = occ_id
    state/part-00000.npz                  encoder state after a shard (``carry`` policy only)

A file being written has a name starting with ``.`` and ending in ``.tmp`` beside its final
name (``indexer.files.temporary_path``), so that readers that list a folder (pyarrow, pandas,
polars, DuckDB) never see it.
``.lock`` is held by the build writing the directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_INDEX_DIR = "elmo-index"
"""The output directory of ``indexer build`` and the input of ``query`` when none is given."""

FORMAT_NAME = "elmo-sense-index"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
LOCK_NAME = ".lock"
PART_DIGITS = 5

#: Top-level entries an index directory may hold; ``--overwrite`` removes these and no others.
ENTRIES = (
    MANIFEST_NAME,
    "occurrences",
    "sentences",
    "vectors",
    "matrix",
    "lexicon",
    "index",
    "state",
)

MATRIX_SUFFIX = {"float16": "f16", "float32": "f32"}


def part_name(shard: int) -> str:
    """File name of shard ``shard``.

    >>> part_name(7)
    'part-00007.parquet'
    """
    return f"part-{shard:0{PART_DIGITS}d}.parquet"


@dataclass(frozen=True)
class IndexLayout:
    """Paths of one index directory."""

    root: Path

    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST_NAME

    @property
    def occurrences_dir(self) -> Path:
        return self.root / "occurrences"

    @property
    def sentences_dir(self) -> Path:
        return self.root / "sentences"

    @property
    def lexicon_dir(self) -> Path:
        return self.root / "lexicon"

    @property
    def lexicon(self) -> Path:
        return self.lexicon_dir / "lexicon.parquet"

    @property
    def postings(self) -> Path:
        return self.lexicon_dir / "postings.npy"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    def vectors_dir(self, layer: int) -> Path:
        return self.root / "vectors" / f"layer={layer}"

    def matrix(self, layer: int, dtype: str) -> Path:
        return self.root / "matrix" / f"layer={layer}.{MATRIX_SUFFIX[dtype]}"

    def index(self, layer: int) -> Path:
        return self.root / "index" / f"layer={layer}.faiss"

    def occurrences_part(self, shard: int) -> Path:
        return self.occurrences_dir / part_name(shard)

    def sentences_part(self, shard: int) -> Path:
        return self.sentences_dir / part_name(shard)

    def vectors_part(self, layer: int, shard: int) -> Path:
        return self.vectors_dir(layer) / part_name(shard)

    def state_part(self, shard: int) -> Path:
        return self.state_dir / f"part-{shard:0{PART_DIGITS}d}.npz"

    def relative(self, path: Path) -> str:
        """``path`` relative to the root, with ``/`` separators (as the manifest records it)."""
        return path.relative_to(self.root).as_posix()
