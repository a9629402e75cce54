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
    """What a build reports to: tokens encoded against the (estimated) total, then the steps of
    the stages after the stream, and notes."""

    bars: bool

    def start(self, done: int, total: int | None, exact: bool) -> None:
        """Encoding starts with ``done`` tokens already encoded (by a run that was
        interrupted); ``total`` tokens in all (None: not known yet; ``exact`` or estimated)."""

    def advance(self, tokens: int, total: int | None, exact: bool) -> None:
        """``tokens`` more were encoded; the total as it is known now."""

    def stage(self, name: str, steps: int) -> None:
        """The encoding is over (if there was any); a stage of ``steps`` steps begins."""

    def step(self, message: str) -> None:
        """One step of the stage is done, as ``message`` says."""

    def note(self, message: str) -> None:
        """A line to show beside the progress."""

    def close(self) -> None:
        """The work is over."""


class NoProgress:
    """Reports nothing."""

    bars = False

    def start(self, done: int, total: int | None, exact: bool) -> None:
        pass

    def advance(self, tokens: int, total: int | None, exact: bool) -> None:
        pass

    def stage(self, name: str, steps: int) -> None:
        pass

    def step(self, message: str) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass


def token_total(
    tokens_read: int, fraction: float | None, finished: bool
) -> tuple[int | None, bool]:
    """The corpus's tokens, and whether that is exact: counted once the reader has read it all,
    else estimated from the tokens in the ``fraction`` of the input read so far (never fewer
    than those read).

    >>> token_total(1000, 0.25, finished=False)
    (4000, False)
    >>> token_total(3990, 1.0, finished=True)
    (3990, True)
    >>> token_total(1000, None, finished=False)
    (None, False)
    """
    if finished:
        return tokens_read, True
    if not fraction:
        return None, False
    return max(tokens_read, round(tokens_read / fraction)), False


def eta_seconds(done: int, total: int | None, rate: float) -> float | None:
    """Seconds left for ``total - done`` tokens at ``rate`` tokens/s; None when it cannot be
    told.

    >>> eta_seconds(250, 1000, rate=25.0)
    30.0
    """
    if total is None or rate <= 0:
        return None
    return max(total - done, 0) / rate


class LogProgress:
    """A plain line every ``interval`` seconds (for logs and pipes), and one per step."""

    bars = False

    def __init__(
        self,
        stream: TextIO,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        label: str = "indexer build",
    ):
        self._stream, self._interval, self._clock, self._label = stream, interval, clock, label
        self._total: int | None = None
        self._exact = False
        self._first = self._done = self._shown = 0
        self._started = self._last = 0.0
        self._stage, self._steps, self._step = "", 0, 0

    def start(self, done: int, total: int | None, exact: bool) -> None:
        self._first = self._done = self._shown = done
        self._total, self._exact = total, exact
        self._started = self._last = self._clock()

    def advance(self, tokens: int, total: int | None, exact: bool) -> None:
        self._done += tokens
        self._total, self._exact = total, exact
        now = self._clock()
        if now - self._last >= self._interval:
            self._show(now)

    def _show(self, now: float) -> None:
        self._last, self._shown = now, self._done
        self.note(self.line(now - self._started))

    def line(self, elapsed: float) -> str:
        """The tokens encoded, of how many, at what rate, and the time left at that rate (once
        this run has encoded 1% of them)."""
        rate = (self._done - self._first) / elapsed if elapsed > 0 else 0.0
        text = f"encoded {self._done:,}"
        if self._total:
            about = "" if self._exact else "about "
            text += f" of {about}{self._total:,} tokens ({100 * self._done / self._total:.1f}%)"
        else:
            text += " tokens"
        text += f", {rate:,.0f} tokens/s"
        eta = eta_seconds(self._done, self._total, rate)
        started = self._done - self._first >= (self._total or 0) / 100
        if eta is not None and started and self._done < (self._total or 0):
            text += f", ETA {clock_text(eta)}"
        return text

    def stage(self, name: str, steps: int) -> None:
        if self._done != self._shown:  # the encoding's last figures, once it is over
            self._show(self._clock())
        self._stage, self._steps, self._step = name, steps, 0

    def step(self, message: str) -> None:
        self._step += 1
        self.note(f"{self._stage} {self._step}/{self._steps}: {message}")

    def note(self, message: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self._stream.write(f"[{stamp}] {self._label}: {message}\n")
        self._stream.flush()

    def close(self) -> None:
        pass


class BarProgress:
    """A tqdm bar of the tokens encoded (so that its ETA comes from the token rate), then one of
    each stage's steps."""

    bars = True

    def __init__(self, stream: TextIO, label: str = "indexer build"):
        self._stream, self._label = stream, label
        self.bar: Any = None
        self._exact = False

    def start(self, done: int, total: int | None, exact: bool) -> None:
        self._open("encode", total, done, "tokens")
        self._describe(exact)

    def advance(self, tokens: int, total: int | None, exact: bool) -> None:
        bar = self.bar
        if bar is None:
            return
        if total != bar.total or exact != self._exact:
            bar.total = total
            self._describe(exact)
        bar.update(tokens)

    def stage(self, name: str, steps: int) -> None:
        if steps:
            self._open(name, steps, 0, "steps")
        else:
            self.close()

    def step(self, message: str) -> None:
        self.note(message)
        if self.bar is not None:
            self.bar.update(1)

    def note(self, message: str) -> None:
        tqdm.write(f"{self._label}: {message}", file=self._stream)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _open(self, name: str, total: int | None, initial: int, unit: str) -> None:
        self.close()
        self.bar = tqdm(
            total=total,
            initial=initial,
            unit=" " + unit,
            unit_scale=unit == "tokens",
            desc=name,
            file=self._stream,
            dynamic_ncols=True,
        )

    def _describe(self, exact: bool) -> None:
        self._exact = exact
        if self.bar is not None and self.bar.total:
            self.bar.set_postfix_str("" if exact else "total estimated", refresh=False)


def make_progress(
    enabled: bool, interval: float, stream: TextIO | None = None, label: str = "indexer build"
) -> Progress:
    """A bar when ``stream`` (default stderr) is a terminal, else periodic lines; or nothing.
    ``label`` (the command) starts each line."""
    if not enabled:
        return NoProgress()
    stream = stream or sys.stderr
    if stream.isatty():
        return BarProgress(stream, label)
    return LogProgress(stream, interval, label=label)


def format_summary(report: BuildReport) -> str:
    """The lines printed at the end of a build."""
    if report.already_complete:
        head = f"{report.out} is already complete; nothing to do (use --overwrite to rebuild)"
    elif report.appended:
        head = (
            f"appended the corpus to {report.out} in {clock_text(report.seconds)}: "
            f"{counted(report.encoded_tokens, 'token')} encoded, "
            f"{report.tokens_per_second:,.0f} tokens/s"
        )
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
