"""Rolling an interrupted directory back to its last commit; refusing and clearing folders."""

from __future__ import annotations

import pytest

from indexer.builder import BuildConfig, run_build
from indexer.errors import IndexStateError
from indexer.store.directory import clear_index, discard_uncommitted, read_existing
from indexer.store.layout import IndexLayout
from indexer.store.manifest import read_manifest
from indexer.store.verify import verify_index
from tests.indexer.builder.conftest import make_sentences, write_corpus
from tests.indexer.builder.fakes import loader


@pytest.fixture
def partial(tmp_path):
    """An index directory whose build crashed after its first shards."""
    corpus = write_corpus(tmp_path / "c.txt", make_sentences(120, seed=2))
    out = tmp_path / "idx"
    with pytest.raises(RuntimeError):
        run_build(corpus, BuildConfig(out=out, shard_rows=200), load_encoder=loader(fail_after=80))
    return IndexLayout(out)


def test_discard_uncommitted(partial):
    manifest = read_manifest(partial.root)
    n = len(manifest.shards)
    assert n >= 1
    orphan = partial.vectors_part(1, n)
    orphan.write_bytes(b"half a shard")
    tmp = partial.occurrences_dir / f".part-{n:05d}.parquet.tmp"
    tmp.write_bytes(b"x")
    stray_index = partial.index(0, 0)
    stray_index.parent.mkdir(parents=True)
    stray_index.write_bytes(b"not recorded")
    stray_lexicon = partial.postings(3)
    stray_lexicon.parent.mkdir(parents=True)
    stray_lexicon.write_bytes(b"an optimize that was killed")

    discard_uncommitted(partial, manifest)
    assert not orphan.exists() and not tmp.exists() and not stray_index.exists()
    assert not stray_lexicon.exists() and not stray_lexicon.parent.exists()
    assert verify_index(partial.root) == []


def test_missing_committed_file_is_reported(partial):
    manifest = read_manifest(partial.root)
    partial.sentences_part(0).unlink()
    with pytest.raises(IndexStateError, match=r"sentences/part-00000\.parquet is missing"):
        discard_uncommitted(partial, manifest)


def test_short_vector_file_is_reported(partial):
    manifest = read_manifest(partial.root)
    with partial.vectors_part(0, 0).open("rb+") as handle:
        handle.truncate(10)
    with pytest.raises(IndexStateError, match=r"vectors/layer=0/part-00000\.parquet is 10 bytes"):
        discard_uncommitted(partial, manifest)


def test_verify_finds_a_changed_byte(partial):
    path = partial.occurrences_part(0)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    path.write_bytes(bytes(data))
    vectors = partial.vectors_part(1, 0)
    with vectors.open("rb+") as handle:
        handle.seek(vectors.stat().st_size // 2)
        handle.write(b"\x01\x02")
    problems = verify_index(partial.root)
    assert problems == [
        "occurrences/part-00000.parquet: sha256 differs from the manifest",
        "vectors/layer=1/part-00000.parquet: sha256 differs from the manifest",
    ]


def test_read_existing_and_clear(tmp_path, partial):
    assert read_existing(IndexLayout(tmp_path / "new")) is None
    (tmp_path / "empty").mkdir()
    assert read_existing(IndexLayout(tmp_path / "empty")) is None
    assert read_existing(partial) is not None
    (partial.root / "mine.txt").write_text("keep")
    clear_index(partial)
    assert sorted(p.name for p in partial.root.iterdir()) == [".lock", "mine.txt"]
    with pytest.raises(IndexStateError, match="holds no index"):
        read_existing(partial)
    (tmp_path / "file").write_text("x")
    with pytest.raises(IndexStateError, match="not a directory"):
        read_existing(IndexLayout(tmp_path / "file"))
