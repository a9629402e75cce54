"""Which files and folders a writer forced to disk, seen through ``/proc/self/fd`` (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.files import temporary_path


def record_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """From now on, the path of every file or folder passed to ``os.fsync``, in call order."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc/self/fd to name what was fsynced")
    synced: list[Path] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def assert_published(synced: list[Path], final: Path, written_as: Path | None = None) -> None:
    """``final`` was fsynced under the name it was written as (by default its temporary
    name), then renamed, then its folder was fsynced."""
    final = final.parent.resolve() / final.name
    source = temporary_path(final) if written_as is None else written_as.resolve()
    assert source in synced, f"{source.name} was not fsynced: {[p.name for p in synced]}"
    after = synced[synced.index(source) + 1 :]
    assert final.parent in after, f"{final.parent} was not fsynced after {source.name}"
    assert final.is_file() and not source.exists()
