"""The index directory on disk: layout, manifest and its records, shard files, lexicon, reader,
summary."""

from indexer.store.layout import DEFAULT_INDEX_DIR, FORMAT_VERSION, IndexLayout
from indexer.store.lexicon import Lexicon, Lexicons
from indexer.store.manifest import Manifest, read_complete_manifest, read_manifest
from indexer.store.reader import IndexReader
from indexer.store.records import SegmentRecord, ShardRecord

__all__ = [
    "DEFAULT_INDEX_DIR",
    "FORMAT_VERSION",
    "IndexLayout",
    "IndexReader",
    "Lexicon",
    "Lexicons",
    "Manifest",
    "SegmentRecord",
    "ShardRecord",
    "read_complete_manifest",
    "read_manifest",
]
