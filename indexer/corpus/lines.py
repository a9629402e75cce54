"""Numbered, decoded lines of a corpus input, one at a time, with its encoding-error policy."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import NamedTuple

from indexer.corpus.records import ReadStats
from indexer.corpus.source import Source
from indexer.errors import CorpusError

MAX_LINE_BYTES = 64 * 1024 * 1024


class Line(NamedTuple):
    """One input line without its line end. ``bad``: it held invalid UTF-8, shown as U+FFFD,
    and the sentence it belongs to is to be skipped (``errors="skip"``)."""

    number: int
    text: str
    bad: bool = False


def read_lines(source: Source, errors: str, stats: ReadStats) -> Iterator[Line]:
    """Decode ``source`` line by line, so that an encoding error names its exact line.

    ``errors`` is ``"strict"`` (raise), ``"replace"`` or ``"skip"`` (see ``ReaderConfig``). A
    UTF-8 byte order mark at the start is dropped. A line longer than ``MAX_LINE_BYTES`` raises:
    a tokenized corpus has one sentence per line, and such a line would be held whole.
    """
    readline = source.stream.readline
    number = 0
    while True:
        try:
            raw = readline(MAX_LINE_BYTES + 1)
        except source.read_errors as err:
            what = f"{source.compression} data" if source.compression else "the input"
            raise CorpusError(
                f"cannot read {what}: {err}", path=source.name, line=number + 1
            ) from err
        if not raw:
            return
        stats.text_bytes += len(raw)
        number += 1
        if raw.endswith(b"\n"):
            raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
        elif len(raw) > MAX_LINE_BYTES:
            raise CorpusError(
                f"line is longer than {MAX_LINE_BYTES} bytes; a corpus needs one sentence per line",
                path=source.name,
                line=number,
            )
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            text, bad = raw.decode("utf-8"), False
        except UnicodeDecodeError as err:
            if errors == "strict":
                raise CorpusError(
                    f"invalid UTF-8 at byte {err.start + 1} of the line (read it with errors "
                    "replace or skip to go on)",
                    path=source.name,
                    line=number,
                    setting="errors",
                ) from err
            text, bad = raw.decode("utf-8", "replace"), errors == "skip"
            if errors == "replace":
                stats.replaced_encoding += 1
        yield Line(number, text, bad)
