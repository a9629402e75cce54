"""The index directory on disk: layout, manifest, shard files, lexicon."""

from indexer.store.layout import DEFAULT_INDEX_DIR, FORMAT_VERSION, IndexLayout
from indexer.store.lexicon import Lexicon
from indexer.store.manifest import Manifest, ShardRecord, read_complete_manifest, read_manifest

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
