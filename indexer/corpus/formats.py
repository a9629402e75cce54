"""Parsers of the corpus formats: numbered lines in, sentences with their ids out."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import NamedTuple

from indexer.corpus.lines import Line
from indexer.corpus.values import FieldValue, json_value, parse_value
from indexer.errors import CorpusError

_SENT_ID = re.compile(r"#\s*sent_id\s*=\s*(.*?)\s*")
_NEWDOC = re.compile(r"#\s*newdoc(?:\s+id\s*=\s*(.*?))?\s*")
_META = re.compile(r"#\s*meta::(.*)")
_WORD_ID = re.compile(r"[1-9][0-9]*")
_SKIPPED_ID = re.compile(r"[1-9][0-9]*-[1-9][0-9]*|[0-9]+\.[1-9][0-9]*")  # ranges, empty nodes
_CONLLU_COLUMNS = 10
_JSON_RESERVED = frozenset({"tokens", "id", "doc_id"})


class RawSentence(NamedTuple):
    """A sentence as the input has it, before the reader's policies. ``bad``: it holds a line
    with invalid UTF-8 and is to be skipped; ``tokens`` may be empty (except in text).
    ``lemmas``, ``upos`` and ``fields`` are as in :class:`~indexer.corpus.records.Sentence`,
    lists aligned with ``tokens``."""

    tokens: list[str]
    doc_id: str
    sent_key: str | None
    source_line: int
    bad: bool
    lemmas: list[str | None] | None = None
    upos: list[str | None] | None = None
    fields: Mapping[str, FieldValue] | None = None


Parser = Callable[[Iterable[Line], str], Iterator[RawSentence]]


class _Documents:
    """Document ids: a given one as it is, else ``"d{n}"``, ``n`` counting documents from 0.

    A document counts once a sentence was taken from it, so breaks in a row make one break.
    Its metadata fields start empty with each document; those set before the first start
    belong to the first document.
    """

    def __init__(self) -> None:
        self.given: str | None = None
        self._index = 0
        self._used = False
        self._started = False
        self._fields: dict[str, FieldValue] = {}
        self._shared: Mapping[str, FieldValue] | None = None  # a copy the sentences carry

    def start(self, given: str | None = None) -> None:
        if self._started or self._used:
            self._fields, self._shared = {}, None
        self._started = True
        if self._used:
            self._index += 1
            self._used = False
        self.given = given

    def take(self) -> str:
        self._used = True
        return self.given if self.given is not None else f"d{self._index}"

    def set_field(self, key: str, value: FieldValue | None) -> None:
        """Set a field of the current document from here on; None removes it."""
        if value is None:
            self._fields.pop(key, None)
        else:
            self._fields[key] = value
        self._shared = None

    def fields(self) -> Mapping[str, FieldValue] | None:
        """The current document's fields, the same object until one changes; None if none."""
        if self._shared is None and self._fields:
            self._shared = dict(self._fields)
        return self._shared


def parse_text(lines: Iterable[Line], name: str) -> Iterator[RawSentence]:
    """One sentence per line, tokens split on any whitespace; a blank line ends a document."""
    documents = _Documents()
    for line in lines:
        tokens = line.text.split()
        if tokens:
            yield RawSentence(tokens, documents.take(), None, line.number, line.bad)
        else:
            documents.start()


def parse_jsonl(lines: Iterable[Line], name: str) -> Iterator[RawSentence]:
    """One JSON object per line: ``{"tokens": [...], "id": ..., "doc_id": ...}``, the ids
    optional (strings or integers). Records in a row with the same ``doc_id`` (or none) make
    one document. Every other top-level field is a metadata field of the sentence (see
    :func:`~indexer.corpus.values.json_value`). Blank lines are ignored."""
    documents = _Documents()
    for line in lines:
        if not line.text.strip():
            continue
        try:
            record = json.loads(line.text)
        except json.JSONDecodeError as err:
            if line.bad:  # undecodable bytes broke it; skipped like any other bad sentence
                yield RawSentence([], "", None, line.number, True)
                continue
            raise CorpusError(
                f"invalid JSON: {err.msg} at column {err.colno}", path=name, line=line.number
            ) from err
        tokens = _json_tokens(record, name, line.number)
        doc_id = _json_id(record, "doc_id", name, line.number)
        if doc_id != documents.given:
            documents.start(doc_id)
        sent_key = _json_id(record, "id", name, line.number)
        fields = _json_fields(record)
        yield RawSentence(tokens, documents.take(), sent_key, line.number, line.bad, fields=fields)


def _json_tokens(record: object, name: str, number: int) -> list[str]:
    if not isinstance(record, dict):
        found = type(record).__name__
        raise CorpusError(
            f'expected an object like {{"tokens": [...]}}, found {found}', path=name, line=number
        )
    if "tokens" not in record:
        raise CorpusError('the record has no "tokens"', path=name, line=number)
    tokens = record["tokens"]
    if not isinstance(tokens, list):
        found = type(tokens).__name__
        raise CorpusError(
            f'"tokens" must be a list of strings, found {found}', path=name, line=number
        )
    if not all(isinstance(token, str) for token in tokens):
        index, token = next((i, t) for i, t in enumerate(tokens) if not isinstance(t, str))
        raise CorpusError(
            f'"tokens"[{index}] must be a string, found {json.dumps(token)}', path=name, line=number
        )
    return tokens


def _json_id(record: dict[str, object], key: str, name: str, number: int) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise CorpusError(
        f'"{key}" must be a string or an integer, found {json.dumps(value)}', path=name, line=number
    )


def _json_fields(record: dict[str, object]) -> dict[str, FieldValue] | None:
    fields: dict[str, FieldValue] = {}
    for key, value in record.items():
        if key not in _JSON_RESERVED and (field := json_value(value)) is not None:
            fields[key] = field
    return fields or None


def _meta_field(text: str, name: str, number: int) -> tuple[str, FieldValue | None]:
    """The key and value of a ``# meta::key = value`` line, given what follows ``meta::``; the
    value None where it is empty."""
    key, equals, value = text.partition("=")
    key = key.strip()
    if not equals:
        raise CorpusError(
            f"meta line without ' = ' between key and value: {text!r}", path=name, line=number
        )
    if not key:
        raise CorpusError(f"meta line with an empty key: {text!r}", path=name, line=number)
    return key, parse_value(value) if value.strip() else None


class _Block:
    """The lines of one CoNLL-U sentence seen so far."""

    def __init__(self, start: int):
        self.start = start
        self.sent_key: str | None = None
        self.forms: list[str] = []
        self.lemmas: list[str | None] = []
        self.upos: list[str | None] = []
        self.bad = False
        self.in_words = False

    def sentence(self, documents: _Documents) -> RawSentence:
        doc_id = documents.take()
        return RawSentence(
            self.forms,
            doc_id,
            self.sent_key,
            self.start,
            self.bad,
            self.lemmas,
            self.upos,
            documents.fields(),
        )


def parse_conllu(lines: Iterable[Line], name: str) -> Iterator[RawSentence]:
    """CoNLL-U: the FORM, LEMMA and UPOS of each word line (``_`` read as no value);
    multiword-token ranges (``3-4``) and empty nodes (``5.1``) are skipped. ``# sent_id = X``
    gives the sentence key, ``# newdoc [id = X]`` starts a document, ``# meta::key = value``
    (GUM style) sets field ``key`` of the document, from that sentence on (an empty value
    removes it). A sentence starts at its first line, comments included."""
    documents = _Documents()
    block: _Block | None = None
    for line in lines:
        text = line.text
        if not text.strip():
            if block is not None:
                yield block.sentence(documents)
                block = None
            continue
        if block is None:
            block = _Block(line.number)
        block.bad = block.bad or line.bad
        if text.startswith("#"):
            if block.in_words:
                raise CorpusError(
                    "comment inside a sentence; is a blank line missing?",
                    path=name,
                    line=line.number,
                )
            if match := _NEWDOC.fullmatch(text):
                documents.start(match.group(1) or None)
            elif match := _SENT_ID.fullmatch(text):
                block.sent_key = match.group(1)
            elif match := _META.fullmatch(text):
                documents.set_field(*_meta_field(match.group(1), name, line.number))
            continue
        block.in_words = True
        columns = text.split("\t")
        if len(columns) != _CONLLU_COLUMNS:
            raise CorpusError(
                f"expected {_CONLLU_COLUMNS} tab-separated columns, found {len(columns)}",
                path=name,
                line=line.number,
            )
        word_id, form = columns[0], columns[1]
        if _SKIPPED_ID.fullmatch(word_id):
            continue
        if not _WORD_ID.fullmatch(word_id):
            raise CorpusError(f"bad word ID {word_id!r}", path=name, line=line.number)
        if int(word_id) != len(block.forms) + 1:
            raise CorpusError(
                f"word ID {word_id} where {len(block.forms) + 1} was due; is a blank line missing?",
                path=name,
                line=line.number,
            )
        if not form:
            raise CorpusError("empty FORM column", path=name, line=line.number)
        block.forms.append(form)
        block.lemmas.append(_column(columns[2]))
        block.upos.append(_column(columns[3]))
    if block is not None:
        yield block.sentence(documents)


def _column(value: str) -> str | None:
    return None if value == "_" else value


PARSERS: dict[str, Parser] = {"text": parse_text, "jsonl": parse_jsonl, "conllu": parse_conllu}
