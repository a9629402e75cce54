"""Planning a distributed build: the corpus files, their shards and the parts workers encode.

Everything here depends on the input alone. The inputs (files, folders, globs) are expanded
in a fixed order; each file is read once without the model to find where its shards end
(:func:`indexer.builder.plan.plan_shards`, as a single-process build cuts them); consecutive
shards of a file form a part. A worker encodes one part: it reads its file from the start
(the sentences before its part are read, not encoded) and writes exactly the shard files a
single-process build writes, under the same numbers and ids.
"""

from __future__ import annotations

import dataclasses
import glob
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.builder.config import BuildConfig
from indexer.builder.plan import plan_shards
from indexer.builder.runner import StreamCounts, finished_corpus, no_sentences
from indexer.corpus import ReaderConfig, fingerprint, open_corpus
from indexer.errors import ConfigError, CorpusError
from indexer.store.records import CorpusRecord

#: Shards in one part when none is given: about 500,000 tokens of work for a worker.
PART_SHARDS = BuildConfig.part_shards


def expand_inputs(inputs: Sequence[str | Path]) -> list[Path]:
    """The corpus files of ``inputs`` in order: a file as given, a folder's files sorted by
    name (hidden ones left out), a glob's matches sorted; each file once."""
    out: list[Path] = []
    for item in inputs:
        text = str(item)
        if text == "-":
            raise ConfigError("a distributed or several-file build reads files, not stdin")
        path = Path(text)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        elif any(ch in text for ch in "*?["):
            found = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
        else:
            found = [path]
        if not found:
            raise CorpusError("matches no corpus file", path=path)
        for file in found:
            if file not in out:
                out.append(file)
    return out


@dataclass(frozen=True)
class CorpusScan:
    """One corpus file as read without the model: its record (done, with its counts), and per
    shard its numbers of sentences and occurrences."""

    record: CorpusRecord
    shards: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Part:
    """Shards ``first_shard`` .. ``first_shard + n_shards - 1`` of corpus ``corpus`` (its
    position in the plan); ``skip_sentences`` of that file come before them."""

    corpus: int
    path: str
    first_shard: int
    n_shards: int
    first_sentence: int
    first_occurrence: int
    skip_sentences: int

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


def scan_corpus(path: Path, reader: ReaderConfig, shard_rows: int) -> CorpusScan:
    """Read ``path`` once (no model) and cut it into shards as the build does."""
    with open_corpus(path, reader) as sentences:
        counts = StreamCounts()
        shards = tuple(
            (len(shard), sum(len(s.tokens) for s in shard))
            for shard in plan_shards(counts.see(sentences), lambda s: len(s.tokens), shard_rows)
        )
        stats = sentences.stats
        opened = CorpusRecord(
            path=str(path),
            format=sentences.format,
            bytes=sentences.total_bytes,
            fingerprint=fingerprint(path),
            first_shard=0,
        )
        record = finished_corpus(opened, stats, counts)
    if not shards:
        raise no_sentences(stats, path)
    return CorpusScan(record, shards)


def plan_parts(scans: Sequence[CorpusScan], part_shards: int = PART_SHARDS) -> list[Part]:
    """The parts of the corpora, in corpus order, with their global shard and id numbers.

    >>> from indexer.store.records import CorpusRecord
    >>> a = CorpusScan(CorpusRecord("a", "text", 1, "f", 0), ((2, 10), (2, 12), (1, 3)))
    >>> b = CorpusScan(CorpusRecord("b", "text", 1, "g", 0), ((4, 20),))
    >>> [(p.corpus, p.first_shard, p.n_shards, p.first_sentence, p.first_occurrence,
    ...   p.skip_sentences) for p in plan_parts([a, b], part_shards=2)]
    [(0, 0, 2, 0, 0, 0), (0, 2, 1, 4, 22, 4), (1, 3, 1, 5, 25, 0)]
    """
    if part_shards < 1:
        raise ConfigError(f"part_shards must be at least 1, got {part_shards}")
    parts = []
    shard = sentence = occurrence = 0
    for position, scan in enumerate(scans):
        skipped = 0
        for start in range(0, len(scan.shards), part_shards):
            chunk = scan.shards[start : start + part_shards]
            parts.append(
                Part(
                    corpus=position,
                    path=scan.record.path,
                    first_shard=shard,
                    n_shards=len(chunk),
                    first_sentence=sentence,
                    first_occurrence=occurrence,
                    skip_sentences=skipped,
                )
            )
            shard += len(chunk)
            sentence += sum(n for n, _ in chunk)
            occurrence += sum(t for _, t in chunk)
            skipped += sum(n for n, _ in chunk)
    return parts
