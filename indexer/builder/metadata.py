"""``indexer metadata``: join a file of document fields to a finished index, without
re-encoding (also the way to give metadata to an index built before metadata was kept)."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from indexer.builder.indexing import document_rows
from indexer.errors import ConfigError
from indexer.sizes import counted
from indexer.store.directory import exclusive
from indexer.store.fields import build_fields
from indexer.store.layout import IndexLayout
from indexer.store.manifest import read_complete_manifest, write_manifest
from indexer.store.records import FieldInfo, MetadataRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MetadataReport:
    """What joining found, per corpus joined: its position, the join's record, its fields."""

    root: Path
    joined: tuple[tuple[int, MetadataRecord, tuple[FieldInfo, ...]], ...]

    def lines(self) -> list[str]:
        out = []
        for position, record, fields in self.joined:
            names = ", ".join(f"{f.name} ({f.type}, {f.level})" for f in fields) or "none"
            out.append(
                f"corpus {position}: joined {counted(record.rows, 'row')} of {record.path}; "
                f"{counted(record.missing_documents, 'document')} without a row, "
                f"{counted(record.unknown_documents, 'row')} naming no document; fields: {names}"
            )
        return out


def join_metadata(
    root: str | Path, path: str | Path, *, corpus: int | None = None
) -> MetadataReport:
    """Join the CSV, TSV or JSONL file ``path`` (a ``doc_id`` column) to the documents of
    corpus ``corpus`` of the index at ``root`` (None: of every corpus); its fields replace
    those of an earlier file. The file is read and checked before anything is written."""
    layout = IndexLayout(Path(root))
    rows = document_rows(path)
    with exclusive(layout):
        manifest = read_complete_manifest(layout.root)
        count = len(manifest.corpora)
        if corpus is not None and not 0 <= corpus < count:
            raise ConfigError(
                f"--corpus {corpus} does not exist; the index has corpora 0 to {count - 1}"
            )
        positions = range(count) if corpus is None else [corpus]
        joined = []
        for position in positions:
            fields, record = build_fields(layout, manifest, position, rows)
            assert record is not None
            manifest.corpora[position] = dataclasses.replace(
                manifest.corpora[position], fields=fields, metadata=record
            )
            joined.append((position, record, fields.fields))
        write_manifest(layout, manifest)
    return MetadataReport(layout.root, tuple(joined))
