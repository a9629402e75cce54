"""The index directory on disk: layout, manifest and its records, shard files, lexicon, reader,
summary."""

from indexer.store.layout import DEFAULT_INDEX_DIR, FORMAT_VERSION, IndexLayout
from indexer.store.lexicon import Lexicon
from indexer.store.manifest import Manifest, read_complete_manifest, read_manifest
from indexer.store.records import ShardRecord

__all__ = [
    "DEFAULT_INDEX_DIR",
    "FORMAT_VERSION",
    "IndexLayout",
    "Lexicon",
    "Manifest",
    "ShardRecord",
    "read_complete_manifest",
    "read_manifest",
]
