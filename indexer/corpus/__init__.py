"""Read a tokenized corpus as a stream of sentences (text, CoNLL-U or JSONL, compressed or not)."""

from indexer.corpus.reader import CorpusReader, open_corpus, windows
from indexer.corpus.records import ReaderConfig, ReadStats, Sentence
from indexer.corpus.source import fingerprint

__all__ = [
    "CorpusReader",
    "ReadStats",
    "ReaderConfig",
    "Sentence",
    "fingerprint",
    "open_corpus",
    "windows",
]
