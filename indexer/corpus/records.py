"""What the corpus reader takes and hands out: ReaderConfig, Sentence and ReadStats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from indexer.corpus.values import FieldValue
from indexer.errors import at_least, check_choice

FORMATS = ("auto", "text", "conllu", "jsonl")
ERROR_POLICIES = ("strict", "replace", "skip")
LONG_SENTENCE_POLICIES = ("split", "skip")


@dataclass(frozen=True)
class Sentence:
    """One sentence of the corpus, as the encoder reads it.

    ``doc_id`` is the document's identifier (``# newdoc id`` in CoNLL-U, ``doc_id`` in JSONL,
    else ``"d{n}"`` with ``n`` counting the documents of the input from 0); ``sent_key`` is
    ``# sent_id`` or JSONL ``id`` (with ``#w{i}`` appended to a window of a split sentence), or
    None; ``source_line`` is the 1-based input line where the sentence starts.

    ``lemmas`` and ``upos`` are the CoNLL-U LEMMA and UPOS of each token (None where the column
    is ``_``), or None for an input without such columns (text, JSONL). ``fields`` is the
    metadata of the sentence, or None where it has none: for JSONL every top-level field of the
    record but ``tokens``, ``id`` and ``doc_id`` (nulls left out, lists and objects as compact
    JSON text); for CoNLL-U the ``# meta::key = value`` lines of its document, one mapping
    shared by the document's sentences. Sentences never change it.
    """

    tokens: tuple[str, ...]
    doc_id: str
    sent_key: str | None
    source_line: int
    lemmas: tuple[str | None, ...] | None = None
    upos: tuple[str | None, ...] | None = None
    fields: Mapping[str, FieldValue] | None = field(default=None, hash=False)


@dataclass(frozen=True)
class ReaderConfig:
    """How to read a corpus.

    - ``format``: ``"text"``, ``"conllu"``, ``"jsonl"`` or ``"auto"`` (by file extension, or for
      stdin by the first non-empty line).
    - ``errors``: invalid UTF-8 raises (``"strict"``), becomes U+FFFD (``"replace"``), or drops
      the sentence holding it (``"skip"``, counted in ``ReadStats.skipped_encoding``).
    - ``max_sentence_tokens`` and ``long_sentences``: a longer sentence is either cut into
      consecutive windows of at most ``max_sentence_tokens`` tokens (``"split"``), each its own
      :class:`Sentence` with ``#w0``, ``#w1``, ... appended to its ``sent_key`` and the same
      ``doc_id`` and ``source_line``, or dropped (``"skip"``). Windows do not overlap, so every
      token occurrence appears exactly once; a token near a cut sees less context than it
      would in the whole sentence.
    - ``max_token_chars``: a longer token is cut to this many characters (counted in
      ``ReadStats.truncated_tokens``). The character CNN reads only the first 48 UTF-8 bytes of
      a token, so a cut at 48 characters or more never changes a vector; it bounds the text
      stored for junk such as base64 blobs.
    """

    format: str = "auto"
    errors: str = "strict"
    max_sentence_tokens: int = 256
    long_sentences: str = "split"
    max_token_chars: int = 1000

    def __post_init__(self) -> None:
        check_choice("format", self.format, FORMATS)
        check_choice("errors", self.errors, ERROR_POLICIES)
        check_choice("long_sentences", self.long_sentences, LONG_SENTENCE_POLICIES)
        at_least("max_sentence_tokens", self.max_sentence_tokens)
        at_least("max_token_chars", self.max_token_chars)


@dataclass
class ReadStats:
    """Counts kept up to date while the reader streams.

    ``sentences`` and ``tokens`` count what was handed out (each window of a split sentence is a
    sentence); ``skipped_encoding``, ``skipped_long``, ``split_long`` and ``empty`` count input
    sentences; ``replaced_encoding`` counts lines whose invalid UTF-8 became U+FFFD;
    ``bytes_read`` counts bytes of the input file as stored (compressed where it is), read
    ahead of the lines given; ``text_bytes`` the bytes of the lines given (uncompressed).
    """

    sentences: int = 0
    tokens: int = 0
    skipped_encoding: int = 0
    skipped_long: int = 0
    split_long: int = 0
    empty: int = 0
    truncated_tokens: int = 0
    replaced_encoding: int = 0
    bytes_read: int = 0
    text_bytes: int = 0
