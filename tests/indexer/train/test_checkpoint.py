"""Checkpoints are written durably: a write killed or failed halfway leaves the previous
checkpoints whole, nothing that passes for a checkpoint, and temporaries a later save removes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from indexer.files import temporary_path
from indexer.train.checkpoint import (
    checkpoint_path,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)
from tests.indexer.durable import assert_published, record_fsyncs

ROOT = Path(__file__).resolve().parents[3]


class Unpicklable:
    """A payload value whose pickling fails after the checkpoint's first bytes are written."""

    def __reduce__(self) -> tuple[object, ...]:
        raise RuntimeError("cannot pickle this")


def test_save_is_durable_and_leaves_only_checkpoints(tmp_path, monkeypatch):
    synced = record_fsyncs(monkeypatch)
    path = save_checkpoint(tmp_path, 3, {"step": 3, "w": torch.arange(4.0)}, keep=2)
    assert path == checkpoint_path(tmp_path, 3)
    assert_published(synced, path)
    assert [p.name for p in path.parent.iterdir()] == ["step-000000003.pt"]
    assert load_checkpoint(path)["step"] == 3


def test_a_failed_save_keeps_the_previous_checkpoint_and_no_temporary(tmp_path):
    path = save_checkpoint(tmp_path, 2, {"step": 2, "w": torch.ones(8)}, keep=2)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="cannot pickle"):
        save_checkpoint(tmp_path, 2, {"step": 2, "w": torch.zeros(8), "x": Unpicklable()}, keep=2)
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_temporaries_of_killed_writes_are_ignored_then_removed(tmp_path):
    kept = save_checkpoint(tmp_path, 1, {"step": 1}, keep=3)
    stale = [
        temporary_path(checkpoint_path(tmp_path, 2)),  # the shared temporary name
        kept.with_name("step-000000002.pt.tmp"),  # the name before the shared helper
    ]
    for path in stale:
        path.write_bytes(b"PK\x03\x04 cut short")
    assert list_checkpoints(tmp_path) == [kept]
    save_checkpoint(tmp_path, 3, {"step": 3}, keep=3)
    assert [p.name for p in list_checkpoints(tmp_path)] == [
        "step-000000001.pt",
        "step-000000003.pt",
    ]
    assert not any(path.exists() for path in stale)


_KILLED_WRITER = """
import sys, time
from pathlib import Path
from indexer.train.checkpoint import save_checkpoint

class Slow:
    def __reduce__(self):
        Path(sys.argv[2]).touch()
        time.sleep(60)
        return (int, ())

save_checkpoint(Path(sys.argv[1]), 2, {"step": 2, "slow": Slow()}, keep=2)
"""


def test_a_save_killed_by_sigkill_leaves_the_last_checkpoint_the_latest(tmp_path):
    first = save_checkpoint(tmp_path, 1, {"step": 1}, keep=2)
    started = tmp_path / "writing"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(tmp_path), str(started)], cwd=ROOT
    )
    deadline = time.monotonic() + 60
    while not started.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the writer did not start writing")
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    leftover = temporary_path(checkpoint_path(tmp_path, 2))
    assert leftover.exists()  # what the kill left, under the temporary name only
    assert latest_checkpoint(tmp_path) == first
    assert load_checkpoint(first)["step"] == 1
    save_checkpoint(tmp_path, 3, {"step": 3}, keep=2)
    assert not leftover.exists()
    assert sorted(p.name for p in first.parent.iterdir()) == [
        "step-000000001.pt",
        "step-000000003.pt",
    ]
