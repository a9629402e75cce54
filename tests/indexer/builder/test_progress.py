"""Progress of the tokens encoded (lines off a terminal, a bar on one), the ETA from the token
rate, the stages' steps, and the end-of-build summary."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

from indexer.builder import BuildConfig, run_build
from indexer.builder.config import BuildReport
from indexer.builder.progress import (
    BarProgress,
    LogProgress,
    NoProgress,
    eta_seconds,
    format_summary,
    make_progress,
    token_total,
)
from indexer.store.manifest import read_manifest
from tests.indexer.builder.conftest import make_sentences, write_corpus
from tests.indexer.builder.fakes import loader
from tests.indexer.builder.test_build import Recorder


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_log_progress_writes_a_line_per_interval_from_the_tokens_encoded():
    stream, clock = io.StringIO(), Clock()
    progress = LogProgress(stream, interval=10, clock=clock)
    progress.start(done=0, total=4000, exact=False)
    clock.now += 4
    progress.advance(400, total=4000, exact=False)
    assert stream.getvalue() == ""
    clock.now += 6
    progress.advance(600, total=3990, exact=True)
    (line,) = stream.getvalue().splitlines()
    assert line.endswith(
        "indexer build: encoded 1,000 of 3,990 tokens (25.1%), 100 tokens/s, ETA 29.9 s"
    )


def test_log_progress_shows_the_encodings_last_figures_when_the_next_stage_starts():
    stream, clock = io.StringIO(), Clock()
    progress = LogProgress(stream, interval=10, clock=clock)
    progress.start(done=0, total=None, exact=False)
    clock.now += 10
    progress.advance(100, total=400, exact=False)  # a line: the interval is over
    clock.now += 2
    progress.advance(300, total=400, exact=True)  # none: 2 s since the last line
    progress.stage("index", 1)
    progress.stage("index", 1)  # nothing new encoded: no second line
    lines = [line.split("] ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines == [
        "indexer build: encoded 100 of about 400 tokens (25.0%), 10 tokens/s, ETA 30.0 s",
        "indexer build: encoded 400 of 400 tokens (100.0%), 33 tokens/s",
    ]


def test_log_progress_counts_a_resumed_builds_tokens_as_done_but_not_in_the_rate():
    stream, clock = io.StringIO(), Clock()
    progress = LogProgress(stream, interval=1, clock=clock, label="indexer optimize")
    progress.start(done=3000, total=4000, exact=False)
    clock.now += 10
    progress.advance(500, total=4000, exact=False)
    assert (
        stream.getvalue()
        .rstrip()
        .endswith(
            "indexer optimize: encoded 3,500 of about 4,000 tokens (87.5%), 50 tokens/s, ETA 10.0 s"
        )
    )


def test_log_progress_without_a_total_has_no_eta_nor_share():
    stream, clock = io.StringIO(), Clock()
    progress = LogProgress(stream, interval=1, clock=clock)
    progress.start(done=0, total=None, exact=False)
    clock.now += 2
    progress.advance(50, total=None, exact=False)
    assert stream.getvalue().rstrip().endswith("encoded 50 tokens, 25 tokens/s")


def test_log_progress_numbers_the_steps_of_a_stage():
    stream = io.StringIO()
    progress = LogProgress(stream, interval=30)
    progress.stage("index", 2)
    progress.step("built the lexicon")
    progress.step("layer 2: Flat")
    lines = [line.split("] ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines == [
        "indexer build: index 1/2: built the lexicon",
        "indexer build: index 2/2: layer 2: Flat",
    ]


def test_the_total_is_estimated_from_the_part_read_then_counted():
    assert token_total(1000, 0.25, finished=False) == (4000, False)
    assert token_total(1000, 0.0, finished=False) == (None, False)
    assert token_total(900, 1.0, finished=False) == (900, False)
    assert token_total(3990, 1.0, finished=True) == (3990, True)
    assert eta_seconds(250, 1000, rate=25.0) == 30.0
    assert eta_seconds(250, None, rate=25.0) is None


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_make_progress_picks_by_terminal():
    assert isinstance(make_progress(False, 30), NoProgress)
    assert isinstance(make_progress(True, 30, io.StringIO()), LogProgress)
    assert isinstance(make_progress(True, 30, Tty()), BarProgress)


def test_the_bar_counts_tokens_encoded_against_the_total_then_the_steps():
    stream = Tty()
    bar = BarProgress(stream)
    bar.start(done=100, total=4000, exact=False)
    assert (bar.bar.n, bar.bar.total) == (100, 4000)
    bar.advance(400, total=3600, exact=False)
    assert (bar.bar.n, bar.bar.total) == (500, 3600)
    assert bar.bar.postfix == "total estimated"
    bar.advance(3100, total=3600, exact=True)
    assert (bar.bar.n, bar.bar.total, bar.bar.postfix) == (3600, 3600, "")
    bar.note("a line beside the bar")
    assert bar.bar is not None  # a note keeps the bar
    bar.stage("index", 3)
    assert (bar.bar.desc, bar.bar.n, bar.bar.total) == ("index", 0, 3)
    bar.step("built the lexicon")
    assert bar.bar.n == 1
    bar.close()
    assert bar.bar is None
    text = stream.getvalue()
    assert "indexer build: a line beside the bar" in text
    assert "indexer build: built the lexicon" in text


def test_a_real_stream_never_runs_ahead_of_the_tokens_encoded(tmp_path):
    """A build whose input is read shard by shard: every figure the progress is given is the
    count of tokens encoded (told per encoder segment, here one per shard, once its vectors
    are in the buffers), the total is never below it, and it is exact at the end."""
    sentences = make_sentences(3000, seed=4)
    corpus = write_corpus(tmp_path / "corpus.txt", sentences)
    recorder = Recorder()
    config = BuildConfig(out=tmp_path / "idx", shard_rows=2000, layers=(2,))
    report = run_build(corpus, config, load_encoder=loader(), progress=recorder)
    tokens = sum(map(len, sentences))
    assert recorder.started is not None and recorder.started[::2] == (0, False)
    counts = [n for n, _, _ in recorder.seen]
    assert counts == shard_ends(config.out)
    assert len(counts) > 1
    assert all(total is not None and n <= total for n, total, _ in recorder.seen)
    assert recorder.seen[-1] == (tokens, tokens, True) and report.encoded_tokens == tokens
    estimated = [total for _, total, exact in recorder.seen if not exact]
    assert estimated  # the first shards were encoded while the input was still being read
    assert all(total is not None and abs(total - tokens) <= 0.1 * tokens for total in estimated)
    assert recorder.stages == [("index", 3)]


def shard_ends(out: str | Path) -> list[int]:
    """The occurrences encoded by the end of each shard of the index in ``out``."""
    shards = read_manifest(out).shards
    return list(itertools.accumulate(shard.n_occurrences for shard in shards))


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
    appended = format_summary(report(appended=True, resumed_from_shard=3)).splitlines()[0]
    assert (
        appended
        == "appended the corpus to elmo-index in 0:02:05: 25,000 tokens encoded, 200 tokens/s"
    )
    done = format_summary(report(already_complete=True, skipped={})).splitlines()
    assert done[0] == "elmo-index is already complete; nothing to do (use --overwrite to rebuild)"
    assert done[2] == "input: nothing skipped"


class WatchedBar(BarProgress):
    """The terminal bar, with its count and total noted after each advance."""

    def __init__(self, stream: io.StringIO) -> None:
        super().__init__(stream)
        self.seen: list[tuple[int, int | None]] = []

    def advance(self, tokens: int, total: int | None, exact: bool) -> None:
        super().advance(tokens, total, exact)
        self.seen.append((self.bar.n, self.bar.total))


def test_the_bar_of_a_real_build_stands_at_the_tokens_encoded(tmp_path):
    sentences = make_sentences(2000, seed=7)
    corpus = write_corpus(tmp_path / "corpus.txt", sentences)
    bar = WatchedBar(Tty())
    config = BuildConfig(out=tmp_path / "idx", shard_rows=1500, layers=(0,))
    run_build(corpus, config, load_encoder=loader(), progress=bar)
    counts = [n for n, _ in bar.seen]
    assert counts == shard_ends(config.out) and len(counts) > 1
    assert all(total is not None and n <= total for n, total in bar.seen)
    assert bar.seen[-1] == (sum(map(len, sentences)),) * 2
