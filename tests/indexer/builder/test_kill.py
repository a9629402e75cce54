"""A build killed with SIGKILL resumes, when run again, to the same index as an unbroken one."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer.builder import BuildConfig, run_build
from indexer.store import read_manifest
from tests.indexer.builder.fakes import loader
from tests.indexer.builder.test_build import assert_same_index

ROOT = Path(__file__).resolve().parents[3]
SHARD_ROWS = 400


def committed_shards(out: Path) -> int:
    try:
        return len(json.loads((out / "manifest.json").read_text())["shards"])
    except FileNotFoundError:
        return 0


def start(
    corpus: Path, out: Path, state: str, delay: float, append: bool = False
) -> subprocess.Popen[bytes]:
    args = [str(corpus), str(out), str(SHARD_ROWS), state, str(delay)]
    if append:
        args.append("append")
    return subprocess.Popen(
        [sys.executable, "-m", "tests.indexer.builder.killable", *args],
        cwd=ROOT,
        stderr=subprocess.PIPE,
    )


def kill_after(proc: subprocess.Popen[bytes], out: Path, shards: int, timeout: float = 60) -> None:
    """SIGKILL ``proc`` as soon as the manifest records ``shards`` committed shards."""
    deadline = time.monotonic() + timeout
    while committed_shards(out) < shards:
        if proc.poll() is not None:
            pytest.fail(f"the build ended early: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("no shard was committed in time")
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL


@pytest.mark.parametrize("state", ["warm", "carry"])
def test_sigkill_then_rerun_gives_the_uninterrupted_index(tmp_path, corpus, state):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    run_build(
        corpus,
        BuildConfig(out=whole, shard_rows=SHARD_ROWS, state=state, carry_batch_size=4),
        load_encoder=loader(),
    )
    total = len(read_manifest(whole).shards)

    kill_after(start(corpus, killed, state, delay=0.01), killed, shards=1)
    first = read_manifest(killed)
    assert not first.complete and 1 <= len(first.shards) < total

    # Killed again while resuming: the second run must pick up after the first's last shard.
    kill_after(start(corpus, killed, state, delay=0.01), killed, shards=len(first.shards) + 1)
    second = read_manifest(killed)
    assert len(second.shards) > len(first.shards) and not second.complete

    report = run_build(
        corpus,
        BuildConfig(out=killed, shard_rows=SHARD_ROWS, state=state, carry_batch_size=4),
        load_encoder=loader(),
    )
    assert report.resumed_from_shard == len(second.shards)
    assert not list(killed.rglob("*.tmp"))
    assert_same_index(whole, killed)
