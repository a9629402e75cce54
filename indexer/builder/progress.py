"""Progress of a build: a bar on a terminal, periodic lines otherwise, and the final summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from tqdm import tqdm

from indexer.builder.config import BuildReport
from indexer.sizes import clock_text, counted, format_size
from indexer.store.summary import input_line


class Progress(Protocol):
    """What the runner reports to: input position, tokens encoded, stage changes."""

    bars: bool

    def start(self, total_bytes: int | None, position: int) -> None: ...

    def advance(self, tokens: int, position: int) -> None: ...

    def note(self, message: str) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    """Reports nothing."""

    bars = False

    def start(self, total_bytes: int | None, position: int) -> None:
        pass

    def advance(self, tokens: int, position: int) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass


def eta_seconds(start: int, position: int, total: int | None, elapsed: float) -> float | None:
    """Seconds left at the byte rate seen since ``start``; None when it cannot be told.

    >>> eta_seconds(0, 250, 1000, elapsed=10.0)
    30.0
    """
    if total is None or position <= start or elapsed <= 0:
        return None
    return (total - position) * elapsed / (position - start)


class LogProgress:
    """A plain line every ``interval`` seconds (for logs and pipes)."""

    bars = False

    def __init__(
        self, stream: TextIO, interval: float, clock: Callable[[], float] = time.monotonic
    ):
        self._stream, self._interval, self._clock = stream, interval, clock
        self._total: int | None = None
        self._first = self._position = self._tokens = 0
        self._started = self._last = 0.0

    def start(self, total_bytes: int | None, position: int) -> None:
        self._total, self._first, self._position = total_bytes, position, position
        self._started = self._last = self._clock()

    def advance(self, tokens: int, position: int) -> None:
        self._tokens += tokens
        self._position = position
        now = self._clock()
        if now - self._last >= self._interval:
            self._last = now
            self.note(self.line(now - self._started))

    def line(self, elapsed: float) -> str:
        rate = self._tokens / elapsed if elapsed > 0 else 0.0
        text = f"encoded {self._tokens:,} tokens, {rate:,.0f} tokens/s"
        if self._total:
            text += f", {100 * self._position / self._total:.1f}% of the input"
            eta = eta_seconds(self._first, self._position, self._total, elapsed)
            if eta is not None:
                text += f", ETA {clock_text(eta)}"
        return text

    def note(self, message: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self._stream.write(f"[{stamp}] indexer build: {message}\n")
        self._stream.flush()

    def close(self) -> None:
        pass


class BarProgress:
    """A tqdm bar over the input bytes (so its ETA comes from the input size), with tokens/s."""

    bars = True

    def __init__(self, stream: TextIO):
        self._stream = stream
        self._bar: Any = None
        self._tokens = 0
        self._started = 0.0

    def start(self, total_bytes: int | None, position: int) -> None:
        self._bar = tqdm(
            total=total_bytes,
            initial=position,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc="encode",
            file=self._stream,
            dynamic_ncols=True,
        )
        self._started = time.monotonic()

    def advance(self, tokens: int, position: int) -> None:
        self._tokens += tokens
        bar = self._bar
        if bar is None:
            return
        elapsed = time.monotonic() - self._started
        rate = self._tokens / elapsed if elapsed > 0 else 0.0
        bar.set_postfix_str(f"{self._tokens:,} tokens, {rate:,.0f} tokens/s", refresh=False)
        bar.update(max(0, position - bar.n))

    def note(self, message: str) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        tqdm.write(f"indexer build: {message}", file=self._stream)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def make_progress(enabled: bool, interval: float, stream: TextIO | None = None) -> Progress:
    """A bar when ``stream`` (default stderr) is a terminal, else periodic lines; or nothing."""
    if not enabled:
        return NoProgress()
    stream = stream or sys.stderr
    if stream.isatty():
        return BarProgress(stream)
    return LogProgress(stream, interval)


def format_summary(report: BuildReport) -> str:
    """The lines printed at the end of a build."""
    if report.already_complete:
        head = f"{report.out} is already complete; nothing to do (use --overwrite to rebuild)"
    else:
        resumed = (
            f", resumed after shard {report.resumed_from_shard - 1}"
            if report.resumed_from_shard
            else ""
        )
        head = (
            f"built {report.out} in {clock_text(report.seconds)}{resumed}: "
            f"{counted(report.encoded_tokens, 'token')} encoded, "
            f"{report.tokens_per_second:,.0f} tokens/s"
        )
    lines = [
        head,
        f"corpus: {counted(report.sentences, 'sentence')}, {counted(report.tokens, 'token')}, "
        f"{counted(report.documents, 'document')}, {counted(report.types, 'token type')}",
    ]
    lines.append(input_line(report.skipped))
    for layer, entry in report.indexes.items():
        lines.append(
            f"layer {layer}: {entry['factory']}, recall@{entry['recall_k']} {entry['recall']:.3f}"
        )
    lines.append(
        f"wrote {format_size(report.bytes_written)} in {counted(report.shards, 'shard')} "
        f"({report.dim}-dim {report.dtype} vectors, {_layers_text(report.layers)})"
    )
    return "\n".join(lines)


def _layers_text(layers: tuple[int, ...]) -> str:
    """``layer 2`` or ``layers 0,2``."""
    return ("layer " if len(layers) == 1 else "layers ") + ",".join(map(str, layers))
