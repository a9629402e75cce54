"""Durable writes: published files hold their bytes, and dropping cached pages comes after fsync."""

from __future__ import annotations

import os

import pytest

from indexer.store import files


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
