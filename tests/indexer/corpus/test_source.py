"""Opening the input: compressions, stdin, missing files, byte counts and fingerprints."""

from __future__ import annotations

import io
import os
import sys

import pytest

from indexer.corpus import ReaderConfig, Sentence, fingerprint, open_corpus
from indexer.corpus.source import detect_compression
from indexer.errors import CorpusError

from .conftest import compress

TEXT = "a b c\nd e\n\nf\n"
EXPECTED = [
    Sentence(("a", "b", "c"), "d0", None, 1),
    Sentence(("d", "e"), "d0", None, 2),
    Sentence(("f",), "d1", None, 4),
]
COMPRESSIONS = ["gzip", "bz2", "xz", "zstd"]


@pytest.mark.parametrize("compression", [None, *COMPRESSIONS])
def test_every_compression_reads_the_same(make_corpus, read_corpus, compression):
    sentences, stats = read_corpus(make_corpus("corpus.txt", TEXT, compression))
    assert sentences == EXPECTED
    assert stats.bytes_read == os.path.getsize(make_corpus("again", TEXT, compression))


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_compression_is_found_by_magic_bytes_not_name(make_corpus, compression):
    jsonl = '{"tokens": ["x", "y"], "id": "k"}\n'
    path = make_corpus("data.jsonl", jsonl, compression)  # no compression suffix at all
    with open_corpus(path) as reader:
        assert reader.format == "jsonl"
        assert list(reader) == [Sentence(("x", "y"), "d0", "k", 1)]


def test_plain_file_named_gz_is_read_as_plain(make_corpus, read_corpus):
    sentences, _ = read_corpus(make_corpus("corpus.txt.gz", TEXT))
    assert sentences == EXPECTED


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_concatenated_streams_are_all_read(make_corpus, read_corpus, compression):
    data = compress(b"a b c\nd e\n", compression) + compress(b"\nf\n", compression)
    sentences, _ = read_corpus(make_corpus("multi.txt", data))
    assert sentences == EXPECTED


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_truncated_compressed_file_raises(make_corpus, read_corpus, compression):
    data = compress(("word " * 2000 + "\n").encode() * 50, compression)
    path = make_corpus("cut.txt", data[: len(data) // 2])
    with pytest.raises(CorpusError, match=f"cannot read {compression} data") as caught:
        read_corpus(path)
    assert caught.value.path == str(path)


def test_zstd_without_the_module_names_the_fix(make_corpus, read_corpus, monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)  # makes `import zstandard` fail
    path = make_corpus("c.txt.zst", b"\x28\xb5\x2f\xfd" + b"\x00" * 20)
    with pytest.raises(CorpusError, match="needs the 'zstandard' package") as caught:
        read_corpus(path)
    assert caught.value.path == str(path)


def test_bz2_magic_needs_the_block_signature():
    assert detect_compression(b"BZh9 words") is None
    assert detect_compression(compress(b"x", "bz2")[:10]) == "bz2"
    assert detect_compression(compress(b"", "bz2")[:10]) == "bz2"


def _fake_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


@pytest.mark.parametrize("compression", [None, "gzip"])
def test_stdin_is_read_as_bytes(monkeypatch, read_corpus, compression):
    _fake_stdin(monkeypatch, compress(TEXT.encode(), compression))
    with open_corpus("-") as reader:
        assert (reader.format, reader.total_bytes) == ("text", None)
        assert list(reader) == EXPECTED


def test_stdin_errors_name_stdin(monkeypatch):
    _fake_stdin(monkeypatch, b"ok\nbad \xff\n")
    with pytest.raises(CorpusError, match=r"^<stdin>:2: invalid UTF-8"):
        list(open_corpus("-"))


def test_missing_file_and_directory(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(CorpusError, match="no such file") as caught:
        open_corpus(missing)
    assert caught.value.path == str(missing)
    with pytest.raises(CorpusError, match="is a directory"):
        open_corpus(tmp_path)
    with pytest.raises(CorpusError, match="no such file"):
        fingerprint(missing)


def test_position_and_total_bytes_track_the_compressed_file(make_corpus):
    lines = "".join(f"w{i} x{i} y{i}\n" for i in range(200_000))
    path = make_corpus("big.txt.gz", lines, "gzip")
    size = os.path.getsize(path)
    with open_corpus(path) as reader:
        assert reader.total_bytes == size
        first = next(iter(reader))
        assert first.tokens == ("w0", "x0", "y0")
        assert 0 < reader.position_bytes() < size
        rest = sum(1 for _ in reader)
        assert rest == 199_999
        assert reader.position_bytes() == reader.stats.bytes_read == size


def test_fingerprint_is_stable_across_copies_and_sees_changes(make_corpus):
    big = os.urandom(3 << 20)
    original = make_corpus("a.bin", big)
    copy = make_corpus("b.bin", big)
    os.utime(copy, (1, 1))
    assert fingerprint(original) == fingerprint(copy)
    assert len(fingerprint(original)) == 64
    assert fingerprint(original) != fingerprint(make_corpus("c.bin", big[:-1] + b"!"))
    assert fingerprint(original) != fingerprint(make_corpus("d.bin", b"!" + big[1:]))
    assert fingerprint(original) != fingerprint(make_corpus("e.bin", big + b"\n"))
    assert fingerprint(make_corpus("f.txt", "")) == fingerprint(make_corpus("g.txt", ""))
    assert fingerprint("-") == "stdin"


def test_reader_closes_its_file(make_corpus):
    path = make_corpus("c.txt", TEXT)
    reader = open_corpus(path, ReaderConfig(format="text"))
    with reader:
        next(iter(reader))
    assert reader._source.stream.closed
