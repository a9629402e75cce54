"""Durable writes: published files hold their bytes, a failed write leaves the old file and no
temporary, folders are fsynced after a rename, and dropping cached pages comes after fsync."""

from __future__ import annotations

import os

import pytest

from indexer import files
from tests.indexer.durable import assert_published, record_fsyncs


@pytest.fixture
def calls(monkeypatch):
    """The order of fsync and fadvise calls, by name."""
    seen: list[tuple[str, int]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        real_fsync(fd)
        seen.append(("fsync", 0))

    def fadvise(fd: int, offset: int, length: int, advice: int) -> None:
        assert (offset, length) == (0, 0)
        seen.append(("fadvise", advice))

    monkeypatch.setattr(files.os, "fsync", fsync)
    monkeypatch.setattr(files.os, "posix_fadvise", fadvise, raising=False)
    monkeypatch.setattr(files.os, "POSIX_FADV_DONTNEED", 4, raising=False)
    return seen


def test_publish_forgets_the_pages_after_fsync(tmp_path, calls):
    tmp, final = tmp_path / ".a.tmp", tmp_path / "a.bin"
    tmp.write_bytes(b"vectors")
    files.publish(tmp, final, forget=True)
    assert final.read_bytes() == b"vectors" and not tmp.exists()
    assert calls[:2] == [("fsync", 0), ("fadvise", 4)]


def test_publish_keeps_the_pages_unless_asked(tmp_path, calls):
    tmp, final = tmp_path / ".a.tmp", tmp_path / "a.bin"
    tmp.write_bytes(b"matrix")
    files.publish(tmp, final)
    assert final.read_bytes() == b"matrix"
    assert all(name == "fsync" for name, _ in calls)


def test_flush_durably_forgets_what_an_open_file_wrote(tmp_path, calls):
    path = tmp_path / "m.bin"
    with path.open("wb") as handle:
        handle.write(b"abc")
        files.flush_durably(handle, forget=True)
        handle.write(b"def")
    assert path.read_bytes() == b"abcdef"
    assert calls == [("fsync", 0), ("fadvise", 4)]


def test_forget_cached_without_fadvise(tmp_path, monkeypatch):
    monkeypatch.delattr(files.os, "posix_fadvise", raising=False)
    path = tmp_path / "x.bin"
    path.write_bytes(b"x")
    with path.open("rb") as handle:
        files.forget_cached(handle.fileno())  # nothing to do, no error
    assert path.read_bytes() == b"x"


def test_atomic_path_publishes_under_the_temporary_name_and_syncs_the_folder(tmp_path, monkeypatch):
    synced = record_fsyncs(monkeypatch)
    final = tmp_path / "part-00001.parquet"
    with files.atomic_path(final) as tmp:
        assert tmp == tmp_path / ".part-00001.parquet.tmp" == files.temporary_path(final)
        tmp.write_bytes(b"rows")
        assert not final.exists()
    assert final.read_bytes() == b"rows"
    assert_published(synced, final)
    assert [p.name for p in tmp_path.iterdir()] == [final.name]


@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()])
def test_a_write_that_raises_leaves_the_previous_file_and_no_temporary(tmp_path, failure):
    final = tmp_path / "manifest.json"
    files.write_text_atomic(final, "old\n")
    with pytest.raises(type(failure)), files.atomic_path(final) as tmp:
        tmp.write_bytes(b"half of the n")
        raise failure
    assert final.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == [final.name]


def test_a_failed_rename_leaves_the_previous_file_and_no_temporary(tmp_path):
    final = tmp_path / "taken"
    final.mkdir()  # a folder where the file should go: the rename fails
    with pytest.raises(OSError):
        files.write_bytes_atomic(final, b"new")
    assert final.is_dir() and [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_missing_folders_are_created_and_synced_unless_refused(tmp_path, monkeypatch):
    synced = record_fsyncs(monkeypatch)
    final = tmp_path / "index" / "deep" / "layer=2.faiss"
    with pytest.raises(FileNotFoundError), files.atomic_path(final, parents=False) as tmp:
        tmp.write_bytes(b"x")
    assert not (tmp_path / "index").exists()
    files.write_bytes_atomic(final, b"index")
    assert final.read_bytes() == b"index"
    root = tmp_path.resolve()
    assert synced[:2] == [root, root / "index"]  # each new folder's entry, before the file
    assert_published(synced, final)


def test_write_text_atomic_writes_utf8_as_given(tmp_path):
    path = tmp_path / "vocab.txt"
    files.write_text_atomic(path, "café\t3\r\n")
    assert path.read_bytes() == "café\t3\r\n".encode()
