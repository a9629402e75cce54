"""Which format a corpus is in, from its file name or its first line (pure functions)."""

from __future__ import annotations

from pathlib import PurePath

COMPRESSION_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".zstd")
_FORMAT_SUFFIXES = {".conllu": "conllu", ".conll": "conllu", ".jsonl": "jsonl", ".json": "jsonl"}


def format_from_name(name: str | PurePath) -> str:
    """The format a file name implies; a compression suffix is looked through.

    >>> format_from_name("ud/en_ewt-train.conllu.gz")
    'conllu'
    >>> format_from_name("corpus.JSONL")
    'jsonl'
    >>> format_from_name("corpus.txt.xz")
    'text'
    """
    path = PurePath(name)
    if path.suffix.lower() in COMPRESSION_SUFFIXES:
        path = path.with_suffix("")
    return _FORMAT_SUFFIXES.get(path.suffix.lower(), "text")


def sniff_format(first_line: str) -> str:
    """The format the first non-empty line of a stream suggests.

    >>> sniff_format('{"tokens": ["a"]}')
    'jsonl'
    >>> sniff_format("# newdoc id = n01")
    'conllu'
    >>> sniff_format("1\\tThe\\tthe\\tDET\\tDT\\t_\\t2\\tdet\\t_\\t_")
    'conllu'
    >>> sniff_format("The cat sat .")
    'text'
    """
    if first_line.lstrip().startswith("{"):
        return "jsonl"
    if first_line.startswith(("# sent_id", "# newdoc")) or first_line.count("\t") == 9:
        return "conllu"
    return "text"
