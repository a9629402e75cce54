"""Reader policies: encoding errors, long sentences, long tokens, format choice, stats."""

from __future__ import annotations

import doctest
import io
import sys

import pytest

from indexer.corpus import (
    ReaderConfig,
    ReadStats,
    Sentence,
    detect,
    open_corpus,
    reader,
    source,
    windows,
)
from indexer.corpus import lines as lines_module
from indexer.errors import ConfigError, CorpusError

BAD_TEXT = b"a b\nc \xff d\n\ne \xe9t\xe9\nf\n"


def test_invalid_utf8_strict_names_the_exact_line(make_corpus, read_corpus):
    path = make_corpus("c.txt", BAD_TEXT)
    with pytest.raises(CorpusError, match="invalid UTF-8 at byte 3 of the line") as caught:
        read_corpus(path)
    assert (caught.value.path, caught.value.line) == (str(path), 2)


def test_invalid_utf8_replace(make_corpus, read_corpus):
    sentences, stats = read_corpus(make_corpus("c.txt", BAD_TEXT), errors="replace")
    assert sentences == [
        Sentence(("a", "b"), "d0", None, 1),
        Sentence(("c", "\ufffd", "d"), "d0", None, 2),
        Sentence(("e", "\ufffdt\ufffd"), "d1", None, 4),
        Sentence(("f",), "d1", None, 5),
    ]
    assert (stats.replaced_encoding, stats.skipped_encoding) == (2, 0)


def test_invalid_utf8_skip_drops_and_counts_the_sentences(make_corpus, read_corpus):
    sentences, stats = read_corpus(make_corpus("c.txt", BAD_TEXT), errors="skip")
    assert sentences == [Sentence(("a", "b"), "d0", None, 1), Sentence(("f",), "d1", None, 5)]
    assert (stats.sentences, stats.tokens, stats.skipped_encoding) == (2, 3, 2)
    assert stats.replaced_encoding == 0


def test_invalid_utf8_skip_in_conllu_drops_the_whole_block(make_corpus, read_corpus):
    word = "1\t{}\t_\t_\t_\t_\t_\t_\t_\t_\n"
    data = (
        b"# sent_id = a\n"
        + word.format("x").encode()
        + word.replace("1", "2", 1).format("\xff").encode("latin-1")
        + b"\n# newdoc id = D\n# sent_id = b\n"
        + word.format("y").encode()
    )
    path = make_corpus("c.conllu", data)
    with pytest.raises(CorpusError) as caught:
        read_corpus(path)
    assert caught.value.line == 3
    sentences, stats = read_corpus(path, errors="skip")
    assert sentences == [Sentence(("y",), "D", "b", 5, (None,), (None,))]
    assert stats.skipped_encoding == 1


def test_invalid_utf8_skip_in_jsonl_even_when_it_breaks_the_json(make_corpus, read_corpus):
    data = b'{"tokens": ["\xff"]}\n\xff{"tokens": ["a"]}\n{"tokens": ["b"]}\n'
    sentences, stats = read_corpus(make_corpus("c.jsonl", data), errors="skip")
    assert sentences == [Sentence(("b",), "d0", None, 3)]
    assert stats.skipped_encoding == 2


SEVEN = "t0 t1 t2 t3 t4 t5 t6\nu0 u1 u2\n"


def test_long_sentences_split_into_exact_windows(make_corpus, read_corpus):
    sentences, stats = read_corpus(make_corpus("c.txt", SEVEN), max_sentence_tokens=3)
    assert sentences == [
        Sentence(("t0", "t1", "t2"), "d0", None, 1),
        Sentence(("t3", "t4", "t5"), "d0", None, 1),
        Sentence(("t6",), "d0", None, 1),
        Sentence(("u0", "u1", "u2"), "d0", None, 2),
    ]
    assert (stats.sentences, stats.tokens, stats.split_long, stats.skipped_long) == (4, 10, 1, 0)


def test_split_windows_suffix_the_sentence_key(make_corpus, read_corpus):
    text = '{"tokens": ["a", "b", "c", "d", "e"], "id": "s9", "doc_id": "D"}\n'
    sentences, _ = read_corpus(make_corpus("c.jsonl", text), max_sentence_tokens=2)
    assert sentences == [
        Sentence(("a", "b"), "D", "s9#w0", 1),
        Sentence(("c", "d"), "D", "s9#w1", 1),
        Sentence(("e",), "D", "s9#w2", 1),
    ]


def test_long_sentences_skip(make_corpus, read_corpus):
    sentences, stats = read_corpus(
        make_corpus("c.txt", SEVEN), max_sentence_tokens=3, long_sentences="skip"
    )
    assert sentences == [Sentence(("u0", "u1", "u2"), "d0", None, 2)]
    assert (stats.sentences, stats.tokens, stats.skipped_long, stats.split_long) == (1, 3, 1, 0)


def test_windows_cover_every_token_once():
    tokens = [str(i) for i in range(10)]
    for size in range(1, 12):
        cut = windows(tokens, size)
        assert [t for window in cut for t in window] == tokens
        assert all(1 <= len(window) <= size for window in cut)


def test_long_tokens_are_cut(make_corpus, read_corpus):
    sentences, stats = read_corpus(make_corpus("c.txt", "abcdef ab abcde\n"), max_token_chars=4)
    assert sentences[0].tokens == ("abcd", "ab", "abcd")
    assert stats.truncated_tokens == 2


def test_a_line_longer_than_the_bound_raises(make_corpus, read_corpus, monkeypatch):
    monkeypatch.setattr(lines_module, "MAX_LINE_BYTES", 8)
    path = make_corpus("c.txt", "12345678\n123456789\n")
    with pytest.raises(CorpusError, match="longer than 8 bytes") as caught:
        read_corpus(path)
    assert caught.value.line == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("c.conllu", "conllu"),
        ("c.conll.gz", "conllu"),
        ("c.jsonl.bz2", "jsonl"),
        ("c.JSON", "jsonl"),
        ("c.txt.zst", "text"),
        ("c.tok", "text"),
    ],
)
def test_auto_format_by_extension(name, expected):
    assert detect.format_from_name(name) == expected


@pytest.mark.parametrize(
    ("data", "expected", "n_sentences"),
    [
        (b'\n\n  {"tokens": ["a"]}\n', "jsonl", 1),
        (b"# sent_id = 1\n1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n", "conllu", 1),
        (b"# newdoc id = x\n# sent_id = 1\n1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n", "conllu", 1),
        (b"1\ta\t_\t_\t_\t_\t_\t_\t_\t_\n", "conllu", 1),
        (b"# a hashtag line\n\nnext doc\n", "text", 2),
        (b"a\tb\n", "text", 1),
        (b"\n \n", "text", 0),
        (b"", "text", 0),
    ],
)
def test_auto_format_sniffs_stdin(monkeypatch, data, expected, n_sentences):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    with open_corpus("-") as corpus:
        assert corpus.format == expected
        assert len(list(corpus)) == n_sentences


def test_explicit_format_overrides_the_extension(make_corpus):
    path = make_corpus("c.txt", '{"tokens": ["a b"]}\n')
    with open_corpus(path, ReaderConfig(format="jsonl")) as corpus:
        assert corpus.format == "jsonl"
        assert [s.tokens for s in corpus] == [("a b",)]


def test_stats_are_updated_while_streaming(make_corpus):
    path = make_corpus("c.txt", "a b\nc\n")
    with open_corpus(path) as corpus:
        stream = iter(corpus)
        next(stream)
        assert (corpus.stats.sentences, corpus.stats.tokens) == (1, 2)
        next(stream)
        assert corpus.stats == ReadStats(sentences=2, tokens=3, bytes_read=6, text_bytes=6)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"format": "csv"}, "format must be one of"),
        ({"errors": "ignore"}, "errors must be one of"),
        ({"long_sentences": "truncate"}, "long_sentences must be one of"),
        ({"max_sentence_tokens": 0}, "max_sentence_tokens must be at least 1"),
        ({"max_token_chars": 0}, "max_token_chars must be at least 1"),
    ],
)
def test_config_is_validated(options, message):
    with pytest.raises(ConfigError, match=message):
        ReaderConfig(**options)


@pytest.mark.parametrize("module", [detect, reader, source])
def test_doctests(module):
    result = doctest.testmod(module)
    assert (result.failed, result.attempted > 0) == (0, True)


def test_the_part_read_follows_the_lines_given_not_the_bytes_read_ahead(make_corpus):
    path = make_corpus("c.txt", "a b\n" * 1000)
    with open_corpus(path) as corpus:
        stream = iter(corpus)
        next(stream)
        assert corpus.stats.bytes_read >= corpus.stats.text_bytes == 4
        assert corpus.fraction_read() == 4 / 4000
        for _ in range(249):
            next(stream)
        assert corpus.fraction_read() == 0.25
