"""The sense files of an index directory: a word's induced senses, kept for the next query.

``senses/layer=L/word=W/senses=S/`` (``IndexLayout.senses``; S is ``auto`` or the number of
senses asked for) holds three Parquet files that pandas, polars and DuckDB read:

- ``assignments.parquet``: ``occurrence`` (int64, ascending), ``sense`` (int32), ``distance``
  (float32, cosine distance to the sense's centre): every occurrence of the word.
- ``examples.parquet``: per sense its occurrences nearest to the centre, ``rank`` 1 first, with
  their sentence (``sense, rank, occurrence, distance, token, doc_id, sent_id, position,
  sentence``).
- ``senses.parquet``: one row per sense: ``sense, size, share, label`` (list of words),
  ``spread`` (mean distance to the centre) and ``centre`` (list of float32). Its metadata
  (key ``elmo_sense_index.senses``) records the word, layer, settings, the silhouettes of the
  numbers of senses considered, the separation of those tried, and ``source``: what the index
  held when the senses were computed.

The senses file is written last, each file atomically: a reader that finds it finds the others
whole. A result whose ``source`` is not the index's now (an append added a corpus) is stale and
is computed again; so is one whose files do not match their record.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from indexer.files import atomic_path
from indexer.store.layout import IndexLayout
from indexer.store.manifest import Manifest

logger = logging.getLogger(__name__)

META_KEY = b"elmo_sense_index.senses"
#: Version of these files' layout; a file of another version is computed again.
SENSE_FILES_VERSION = 1

ASSIGNMENTS_SCHEMA = pa.schema(
    [("occurrence", pa.int64()), ("sense", pa.int32()), ("distance", pa.float32())]
)
EXAMPLES_SCHEMA = pa.schema(
    [
        ("sense", pa.int32()),
        ("rank", pa.int32()),
        ("occurrence", pa.int64()),
        ("distance", pa.float32()),
        ("token", pa.string()),
        ("doc_id", pa.string()),
        ("sent_id", pa.int64()),
        ("position", pa.int32()),
        ("sentence", pa.string()),
    ]
)
SENSES_SCHEMA = pa.schema(
    [
        ("sense", pa.int32()),
        ("size", pa.int64()),
        ("share", pa.float64()),
        ("label", pa.list_(pa.string())),
        ("spread", pa.float32()),
        ("centre", pa.list_(pa.float32())),
    ]
)
FILE_NAMES = ("assignments.parquet", "examples.parquet", "senses.parquet")


def index_source(manifest: Manifest) -> str:
    """What the index holds, as far as a word's senses depend on it: its corpora and size."""
    corpora = [corpus.fingerprint for corpus in manifest.corpora]
    text = json.dumps([manifest.n_occurrences, corpora, list(manifest.layers)])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class SenseMeta:
    """The record of one stored result."""

    word: str
    layer: int
    setting: str
    source: str
    occurrences: int
    clustered: int
    scores: dict[int, float]
    separations: dict[int, float]
    version: int = SENSE_FILES_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "word": self.word,
            "layer": self.layer,
            "setting": self.setting,
            "source": self.source,
            "occurrences": self.occurrences,
            "clustered": self.clustered,
            "scores": {str(k): v for k, v in self.scores.items()},
            "separations": {str(k): v for k, v in self.separations.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SenseMeta:
        return cls(
            word=str(data["word"]),
            layer=int(data["layer"]),
            setting=str(data["setting"]),
            source=str(data["source"]),
            occurrences=int(data["occurrences"]),
            clustered=int(data["clustered"]),
            scores={int(k): float(v) for k, v in data["scores"].items()},
            separations={int(k): float(v) for k, v in data["separations"].items()},
            version=int(data["version"]),
        )


@dataclass(frozen=True, eq=False)
class SenseFiles:
    """The three tables of one result (schemas above) and its record."""

    meta: SenseMeta
    senses: pa.Table
    assignments: pa.Table
    examples: pa.Table


def write_sense_files(layout: IndexLayout, files: SenseFiles) -> Path:
    """Write one result under its folder (the senses file last); return the folder."""
    meta = files.meta
    folder = layout.senses(meta.layer, meta.word, meta.setting)
    tables = (
        files.assignments.cast(ASSIGNMENTS_SCHEMA),
        files.examples.cast(EXAMPLES_SCHEMA),
        files.senses.cast(SENSES_SCHEMA).replace_schema_metadata(
            {META_KEY: json.dumps(meta.to_dict())}
        ),
    )
    for name, table in zip(FILE_NAMES, tables, strict=True):
        with atomic_path(folder / name) as tmp:
            pq.write_table(table, tmp)
    logger.info("kept the senses of %r on layer %d in %s", meta.word, meta.layer, folder)
    return folder


def read_sense_files(
    layout: IndexLayout, layer: int, word: str, setting: str, source: str
) -> SenseFiles | None:
    """The stored result, or None where there is none, or it is stale or incomplete."""
    folder = layout.senses(layer, word, setting)
    path = folder / FILE_NAMES[-1]
    if not path.is_file():
        return None
    try:
        senses = _read(path)
        raw = (senses.schema.metadata or {}).get(META_KEY)
        meta = SenseMeta.from_dict(json.loads(raw)) if raw else None
        if meta is None or meta.version != SENSE_FILES_VERSION or meta.source != source:
            logger.info("the stored senses in %s are of an earlier index; computing again", folder)
            return None
        if meta.word != word or meta.layer != layer:
            return None
        assignments = _read(folder / FILE_NAMES[0])
        examples = _read(folder / FILE_NAMES[1])
    except (OSError, ValueError, KeyError, pa.ArrowException) as err:
        logger.warning("cannot read the stored senses in %s (%s); computing again", folder, err)
        return None
    if len(assignments) != meta.occurrences:
        return None
    return SenseFiles(meta, senses, assignments, examples)


def _read(path: Path) -> pa.Table:
    """One whole file (``ParquetFile``: ``read_table`` would import pyarrow.dataset, and pandas
    with it, a quarter of a second)."""
    with pq.ParquetFile(path) as handle:
        return handle.read()
