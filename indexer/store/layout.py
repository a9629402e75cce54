"""Where each file of an index directory lives: names and paths, nothing else.

An index directory (default ``./elmo-index``) holds::

    manifest.json                         settings, corpora, segments, shards, timings
    occurrences/part-00000.parquet        one row per token occurrence (all layers share it)
    sentences/part-00000.parquet          one row per sentence, with its text (KWIC)
    vectors/layer=2/part-00000.parquet    occ_id + vector, one folder per stored layer: the
                                          only copy of each vector
    lexicon/segment=0/lexicon.parquet     a segment's tokens: token, count, offset into postings
    lexicon/segment=0/postings.npy        its int64 occurrence ids grouped by token
    lexicon/segment=0/annotations.parquet (token, lemma, upos) keys, where the corpus has them,
    lexicon/segment=0/annotation_postings.npy  and their occurrence ids
    fields/corpus=0/documents.parquet     a corpus's documents with their metadata fields
    fields/corpus=0/sentences.parquet     its sentences' own fields (those that vary in a document)
    index/segment=0/layer=2.faiss         its FAISS index of a layer (compact codes of the
                                          L2-normalized vectors), ids = occ_id - segment start
    state/part-00000.npz                  encoder state after a shard (``carry`` policy only)
    senses/layer=2/word=bank/senses=auto/ a word's induced senses (``query senses``), kept for
                                          the next call (``indexer.store.senses``)

Shards are numbered across the whole directory; a segment is a run of consecutive shards
(the shards of one corpus, or after ``indexer optimize`` all of them) with its own lexicon
and indexes. Format version 1 also had ``matrix/layer=L.f16`` (a second copy of the vectors)
and one ``lexicon/`` and ``index/layer=L.faiss`` for the whole directory; ``indexer upgrade``
converts it.

A file being written has a name starting with ``.`` and ending in ``.tmp`` beside its final
name (``indexer.files.temporary_path``), so that readers that list a folder (pyarrow, pandas,
polars, DuckDB) never see it.
``.lock`` is held by the build writing the directory.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

DEFAULT_INDEX_DIR = "elmo-index"
"""The output directory of ``indexer build`` and the input of ``query`` when none is given."""

FORMAT_NAME = "elmo-sense-index"
FORMAT_VERSION = 2
#: Earlier format versions that ``indexer upgrade`` converts (and nothing else reads).
UPGRADABLE_VERSIONS = (1,)
MANIFEST_NAME = "manifest.json"
LOCK_NAME = ".lock"
PART_DIGITS = 5

#: Top-level entries an index directory may hold; ``--overwrite`` removes these and no others.
ENTRIES = (
    MANIFEST_NAME,
    "occurrences",
    "sentences",
    "vectors",
    "lexicon",
    "index",
    "state",
    "senses",
    "fields",
)
#: Entries of earlier format versions, removed with the others by ``--overwrite``.
LEGACY_ENTRIES = ("matrix",)


def part_name(shard: int) -> str:
    """File name of shard ``shard``.

    >>> part_name(7)
    'part-00007.parquet'
    """
    return f"part-{shard:0{PART_DIGITS}d}.parquet"


def word_name(word: str) -> str:
    """``word`` as a file name: percent-encoded, and shortened with a digest when long.

    >>> word_name("bank"), word_name("a/b"), word_name("..")
    ('bank', 'a%2Fb', '..')
    >>> len(word_name("x" * 500))
    137
    """
    name = quote(word, safe="")
    if len(name) <= 120:
        return name
    return f"{name[:120]}~{hashlib.sha256(word.encode()).hexdigest()[:16]}"


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
    def index_dir(self) -> Path:
        return self.root / "index"

    def lexicon(self, segment: int) -> Path:
        return self.lexicon_dir / f"segment={segment}" / "lexicon.parquet"

    def postings(self, segment: int) -> Path:
        return self.lexicon_dir / f"segment={segment}" / "postings.npy"

    def annotations(self, segment: int) -> Path:
        return self.lexicon_dir / f"segment={segment}" / "annotations.parquet"

    def annotation_postings(self, segment: int) -> Path:
        return self.lexicon_dir / f"segment={segment}" / "annotation_postings.npy"

    def documents(self, corpus: int) -> Path:
        """Corpus ``corpus``'s documents table (``corpus``: its position in the manifest)."""
        return self.root / "fields" / f"corpus={corpus}" / "documents.parquet"

    def sentence_fields(self, corpus: int) -> Path:
        return self.root / "fields" / f"corpus={corpus}" / "sentences.parquet"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    def vectors_dir(self, layer: int) -> Path:
        return self.root / "vectors" / f"layer={layer}"

    def index(self, segment: int, layer: int) -> Path:
        return self.index_dir / f"segment={segment}" / f"layer={layer}.faiss"

    def occurrences_part(self, shard: int) -> Path:
        return self.occurrences_dir / part_name(shard)

    def sentences_part(self, shard: int) -> Path:
        return self.sentences_dir / part_name(shard)

    def vectors_part(self, layer: int, shard: int) -> Path:
        return self.vectors_dir(layer) / part_name(shard)

    def state_part(self, shard: int) -> Path:
        return self.state_dir / f"part-{shard:0{PART_DIGITS}d}.npz"

    def senses(self, layer: int, word: str, setting: str) -> Path:
        """Folder of the induced senses of ``word`` on ``layer`` with ``setting``."""
        return (
            self.root
            / "senses"
            / f"layer={layer}"
            / f"word={word_name(word)}"
            / f"senses={setting}"
        )

    def relative(self, path: Path) -> str:
        """``path`` relative to the root, with ``/`` separators (as the manifest records it)."""
        return path.relative_to(self.root).as_posix()
