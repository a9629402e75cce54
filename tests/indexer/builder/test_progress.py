"""Progress lines off a terminal, the ETA, and the end-of-build summary."""

from __future__ import annotations

import io
from pathlib import Path

from indexer.builder.config import BuildReport
from indexer.builder.progress import (
    BarProgress,
    LogProgress,
    NoProgress,
    format_summary,
    make_progress,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_log_progress_writes_a_line_per_interval():
    stream, clock = io.StringIO(), Clock()
    progress = LogProgress(stream, interval=10, clock=clock)
    progress.start(total_bytes=1000, position=0)
    clock.now += 4
    progress.advance(400, position=100)
    assert stream.getvalue() == ""
    clock.now += 6
    progress.advance(600, position=250)
    (line,) = stream.getvalue().splitlines()
    assert line.endswith(
        "indexer build: encoded 1,000 tokens, 100 tokens/s, 25.0% of the input, ETA 30.0 s"
    )


def test_log_progress_without_input_size_has_no_eta():
    stream, clock = io.StringIO(), Clock()
    progress = LogProgress(stream, interval=1, clock=clock)
    progress.start(total_bytes=None, position=0)
    clock.now += 2
    progress.advance(50, position=10)
    assert stream.getvalue().rstrip().endswith("encoded 50 tokens, 25 tokens/s")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_make_progress_picks_by_terminal():
    assert isinstance(make_progress(False, 30), NoProgress)
    assert isinstance(make_progress(True, 30, io.StringIO()), LogProgress)
    bar = make_progress(True, 30, Tty())
    assert isinstance(bar, BarProgress)
    bar.start(1000, 0)
    bar.advance(10, 500)
    bar.close()


def report(**changes) -> BuildReport:
    values = dict(
        out=Path("elmo-index"),
        sentences=1200,
        tokens=25000,
        documents=3,
        types=900,
        skipped={"skipped_long": 2, "split_long": 0, "empty": 5},
        shards=2,
        layers=(0, 2),
        dim=256,
        dtype="float16",
        indexes={
            0: {"factory": "Flat", "recall_k": 10, "recall": 1.0},
            2: {"factory": "HNSW32,Flat", "recall_k": 10, "recall": 0.9712},
        },
        seconds=125.0,
        encoded_tokens=25000,
        tokens_per_second=200.0,
        bytes_written=3 << 20,
    )
    values.update(changes)
    return BuildReport(**values)  # type: ignore[arg-type]


def test_summary():
    assert format_summary(report()).splitlines() == [
        "built elmo-index in 0:02:05: 25,000 tokens encoded, 200 tokens/s",
        "corpus: 1,200 sentences, 25,000 tokens, 3 documents, 900 token types",
        "input: 2 long sentences skipped; 5 empty sentences skipped",
        "layer 0: Flat, recall@10 1.000",
        "layer 2: HNSW32,Flat, recall@10 0.971",
        "wrote 3.0 MiB in 2 shards (256-dim float16 vectors, layers 0,2)",
    ]
    resumed = format_summary(report(resumed_from_shard=3)).splitlines()[0]
    assert resumed.startswith("built elmo-index in 0:02:05, resumed after shard 2:")
    done = format_summary(report(already_complete=True, skipped={})).splitlines()
    assert done[0] == "elmo-index is already complete; nothing to do (use --overwrite to rebuild)"
    assert done[2] == "input: nothing skipped"
