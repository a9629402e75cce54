"""A training run killed with SIGKILL resumes from its last checkpoint with --resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from indexer.train import train
from indexer.train.checkpoint import latest_checkpoint, list_checkpoints
from tests.indexer.train.conftest import micro

ROOT = Path(__file__).resolve().parents[3]


def start(corpus: Path, out: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.indexer.train.killable", str(corpus), str(out), *extra],
        cwd=ROOT,
        stderr=subprocess.PIPE,
    )


def kill_at_checkpoint(proc: subprocess.Popen[bytes], out: Path, step: int) -> int:
    """SIGKILL ``proc`` once a checkpoint of at least ``step`` exists; return its step."""
    deadline = time.monotonic() + 120
    while True:
        latest = latest_checkpoint(out)
        if latest is not None and int(latest.stem.split("-")[1]) >= step:
            break
        if proc.poll() is not None:
            pytest.fail(f"training ended early: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("no checkpoint was written in time")
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    latest = latest_checkpoint(out)
    assert latest is not None
    return int(latest.stem.split("-")[1])


def test_sigkill_then_resume_continues_from_the_last_checkpoint(corpus, tmp_path):
    out = tmp_path / "killed"
    killed_at = kill_at_checkpoint(start(corpus, out), out, step=4)
    assert not (out / "weights.hdf5").exists()

    target = killed_at + 4
    result = train(corpus, out, micro(max_steps=target, checkpoint_every=2), resume=True)
    assert result.resumed_from == killed_at and result.steps == target
    assert (out / "weights.hdf5").is_file()
    assert not list((out / "checkpoints").glob("*.tmp"))
    assert len(list_checkpoints(out)) == 2

    whole = train(corpus, tmp_path / "whole", micro(max_steps=target, checkpoint_every=2))
    for (name, a), (_, b) in zip(
        whole.model.state_dict().items(), result.model.state_dict().items(), strict=True
    ):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-6, msg=name)
