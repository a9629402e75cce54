"""The corpus as a stream of sentences: ``open_corpus`` and the reader it returns."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

from indexer.corpus.detect import format_from_name, sniff_format
from indexer.corpus.formats import PARSERS, RawSentence
from indexer.corpus.lines import Line, read_lines
from indexer.corpus.records import ReaderConfig, ReadStats, Sentence
from indexer.corpus.source import STDIN, Source, open_source

logger = logging.getLogger(__name__)

DEFAULT_CONFIG = ReaderConfig()


def windows(tokens: Sequence[str], size: int) -> list[tuple[str, ...]]:
    """Cut ``tokens`` into consecutive windows of at most ``size`` tokens.

    The windows do not overlap, so every token occurrence is in exactly one of them.

    >>> windows(["a", "b", "c", "d", "e"], 2)
    [('a', 'b'), ('c', 'd'), ('e',)]
    """
    return [tuple(tokens[start : start + size]) for start in range(0, len(tokens), size)]


class CorpusReader:
    """A single pass over the sentences of one corpus input, like a file: iterate it once,
    close it (or use it as a context manager). ``stats`` is kept up to date while it streams;
    ``fraction_read()`` is the part of the input read."""

    def __init__(
        self,
        source: Source,
        format: str,
        lines: Iterator[Line],
        config: ReaderConfig,
        stats: ReadStats,
    ):
        self.format = format
        self.stats = stats
        self._source = source
        self._config = config
        self._sentences = self._stream(PARSERS[format](lines, source.name))

    @property
    def total_bytes(self) -> int | None:
        """Size of the input as stored (compressed where it is); None for a pipe or stdin."""
        return self._source.total_bytes

    def position_bytes(self) -> int:
        """Bytes taken from the input as stored so far (read ahead of the sentences given)."""
        return self.stats.bytes_read

    def fraction_read(self) -> float | None:
        """The fraction of the input read: of its text up to the last line given where it is
        not compressed, else of its bytes as stored (read ahead); None for a pipe or stdin."""
        total = self._source.total_bytes
        if not total:
            return None
        if self._source.compression is None:
            return min(self.stats.text_bytes / total, 1.0)
        return min(self.stats.bytes_read / total, 1.0)

    def __iter__(self) -> Iterator[Sentence]:
        return self._sentences

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> CorpusReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _stream(self, raw_sentences: Iterator[RawSentence]) -> Iterator[Sentence]:
        stats, config = self.stats, self._config
        limit = config.max_sentence_tokens
        for raw in raw_sentences:
            if raw.bad:
                stats.skipped_encoding += 1
                continue
            if not raw.tokens:
                stats.empty += 1
                continue
            if len(raw.tokens) <= limit:
                yield self._count(raw, tuple(self._cut_tokens(raw.tokens)), raw.sent_key, 0)
            elif config.long_sentences == "skip":
                stats.skipped_long += 1
            else:
                stats.split_long += 1
                for index, window in enumerate(windows(self._cut_tokens(raw.tokens), limit)):
                    key = None if raw.sent_key is None else f"{raw.sent_key}#w{index}"
                    yield self._count(raw, window, key, index * limit)
        self.close()
        logger.debug("read %s: %s", self._source.name, stats)

    def _cut_tokens(self, tokens: list[str]) -> list[str]:
        limit = self._config.max_token_chars
        if max(map(len, tokens)) <= limit:
            return tokens
        self.stats.truncated_tokens += sum(len(token) > limit for token in tokens)
        return [token[:limit] for token in tokens]

    def _count(
        self, raw: RawSentence, tokens: tuple[str, ...], key: str | None, start: int
    ) -> Sentence:
        """The sentence of ``tokens``, the window of ``raw`` from token ``start`` on; lemmas
        and UPOS sliced alike, truncation of long tokens applied to the forms only."""
        self.stats.sentences += 1
        self.stats.tokens += len(tokens)
        end = start + len(tokens)
        return Sentence(
            tokens,
            raw.doc_id,
            key,
            raw.source_line,
            None if raw.lemmas is None else tuple(raw.lemmas[start:end]),
            None if raw.upos is None else tuple(raw.upos[start:end]),
            raw.fields,
        )


def open_corpus(path: str | Path, config: ReaderConfig = DEFAULT_CONFIG) -> CorpusReader:
    """Open a corpus file (``"-"`` for stdin; gzip, bz2, xz or zstd found by magic bytes) and
    return a reader of its sentences. Raises CorpusError naming the file and line for input
    that cannot be read as the chosen format."""
    stats = ReadStats()
    source = open_source(path, stats)
    try:
        lines = read_lines(source, config.errors, stats)
        fmt = config.format
        if fmt == "auto" and str(path) == STDIN:
            fmt, lines = _sniff(lines)
        elif fmt == "auto":
            fmt = format_from_name(path)
        return CorpusReader(source, fmt, lines, config, stats)
    except BaseException:
        source.close()
        raise


def _sniff(lines: Iterator[Line]) -> tuple[str, Iterator[Line]]:
    """The format of the first non-empty line, and all lines again."""
    head = []
    for line in lines:
        head.append(line)
        if line.text.strip():
            return sniff_format(line.text), itertools.chain(head, lines)
    return "text", iter(head)
