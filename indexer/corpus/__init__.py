"""Read a tokenized corpus as a stream of sentences (text, CoNLL-U or JSONL, compressed or not)."""

from indexer.corpus.metadata import DocumentMetadata, read_metadata
from indexer.corpus.reader import CorpusReader, open_corpus, windows
from indexer.corpus.records import ReaderConfig, ReadStats, Sentence
from indexer.corpus.source import fingerprint
from indexer.corpus.values import FieldValue, json_value, parse_value

__all__ = [
    "CorpusReader",
    "DocumentMetadata",
    "FieldValue",
    "ReadStats",
    "ReaderConfig",
    "Sentence",
    "fingerprint",
    "json_value",
    "open_corpus",
    "parse_value",
    "read_metadata",
    "windows",
]
