"""The streaming stage: read sentences, encode them shard by shard, hand shards to the writer."""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from indexer.builder.committer import ShardCommitter, VectorChunk, read_ahead
from indexer.builder.config import BuildConfig
from indexer.builder.plan import plan_shards
from indexer.builder.progress import Progress, token_total
from indexer.corpus import ReadStats, Sentence
from indexer.errors import CorpusError, ModelFormatError
from indexer.sizes import counted
from indexer.store.manifest import Manifest
from indexer.store.records import CorpusRecord
from indexer.store.shards import ShardMeta
from indexer.store.summary import input_line
from indexer.vectors import encoded_dtype

logger = logging.getLogger(__name__)


class BuildEncoder(Protocol):
    """What the build needs of an encoder (``indexer.encoder.Encoder`` has it)."""

    dim: int
    num_layers: int
    identity: str
    family: str
    state: str

    def describe(self) -> dict[str, Any]: ...

    def embed_sentences(
        self,
        sentences: Iterable[Sequence[str]],
        *,
        batch_tokens: int = ...,
        carry_batch_size: int = ...,
        dtype: str = ...,
    ) -> Iterator[np.ndarray]: ...

    def export_state(self) -> dict[str, np.ndarray]: ...

    def import_state(self, state: dict[str, np.ndarray]) -> None: ...


class SentenceSource(Protocol):
    """A corpus reader: sentences, and how far into the input it has read."""

    def fraction_read(self) -> float | None: ...

    def __iter__(self) -> Iterator[Sentence]: ...


@dataclass(frozen=True)
class StreamPlan:
    """Where the stream starts (after the committed shards) and how it is cut and encoded.

    ``skip_sentences`` are the corpus's sentences already committed (read again, not encoded);
    ``first_sentence`` and ``first_occurrence`` the ids of the next ones in the directory;
    ``max_shards``, where given, stops the stream after that many shards (a part of a
    distributed build).
    """

    layers: tuple[int, ...]
    dtype: str
    shard_rows: int
    batch_tokens: int
    carry_batch_size: int
    carry: bool
    segment_rows: int = 32768
    first_shard: int = 0
    first_sentence: int = 0
    first_occurrence: int = 0
    skip_sentences: int = 0
    max_shards: int | None = None

    @classmethod
    def of(cls, config: BuildConfig, manifest: Manifest, **where: Any) -> StreamPlan:
        """The plan of ``config``'s encoding settings for ``manifest``'s layers and dtype,
        starting ``where`` (``first_shard``, ``skip_sentences``, ...)."""
        return cls(
            layers=manifest.layers,
            dtype=encoded_dtype(manifest.dtype),
            shard_rows=config.shard_rows,
            batch_tokens=config.batch_tokens,
            carry_batch_size=config.carry_batch_size,
            carry=config.state == "carry",
            **where,
        )


class ReadCount:
    """The tokens the reader has given and the part of the input read, updated on the reading
    thread as each shard is cut, from which the corpus's total of tokens is told
    (:func:`token_total`)."""

    def __init__(self, reader: SentenceSource, tokens: int = 0) -> None:
        self._reader = reader
        self._state = (tokens, reader.fraction_read(), False)

    def shards(self, shards: Iterable[list[Sentence]]) -> Iterator[list[Sentence]]:
        """``shards``, counting each one's tokens as it is read, and the end of the input."""
        for shard in shards:
            tokens = self._state[0] + sum(len(s.tokens) for s in shard)
            self._state = (tokens, self._reader.fraction_read(), False)
            yield shard
        self._state = (self._state[0], 1.0, True)

    def total(self) -> tuple[int | None, bool]:
        """The corpus's tokens as known now, and whether that is exact."""
        return token_total(*self._state)


def finished_corpus(corpus: CorpusRecord, stats: ReadStats, counts: StreamCounts) -> CorpusRecord:
    """``corpus`` read to its end: done, with the reader's counts and its documents."""
    return dataclasses.replace(
        corpus,
        done=True,
        sentences=stats.sentences,
        tokens=stats.tokens,
        documents=counts.documents,
        reader_stats=dataclasses.asdict(stats),
    )


def no_sentences(stats: ReadStats, path: str | Path) -> CorpusError:
    """The error of a corpus that gave no sentence to index, saying what its input held."""
    if stats.bytes_read == 0:
        return CorpusError("the corpus is empty; give a file with one sentence per line", path=path)
    skipped = input_line(dataclasses.asdict(stats)).removeprefix("input: ")
    return CorpusError(
        f"no sentence to index in {counted(stats.bytes_read, 'byte')} read "
        f"({skipped}); check format and the corpus",
        path=path,
        setting="format",
    )


@dataclass
class StreamCounts:
    """What the stage saw: documents over the whole input, tokens encoded in this run."""

    documents: int = 0
    encoded_tokens: int = 0
    _last_doc: str | None = None

    def see(self, sentences: Iterable[Sentence]) -> Iterator[Sentence]:
        for sentence in sentences:
            if sentence.doc_id != self._last_doc:
                self.documents += 1
                self._last_doc = sentence.doc_id
            yield sentence


class ChunkSink(Protocol):
    """Where encoded vectors go: reusable buffers to fill, and filled chunks to hand over."""

    def buffer(self) -> np.ndarray: ...

    def add(self, chunk: VectorChunk) -> None: ...


def encode_shard(
    encoder: BuildEncoder,
    sentences: Sequence[Sentence],
    plan: StreamPlan,
    index: int,
    first_occurrence: int,
    sink: ChunkSink,
    on_encoded: Callable[[int], None],
) -> None:
    """Encode shard ``index``'s sentences into ``sink``'s buffers, handing each over when full
    (the last one when the shard ends); a sentence may continue into the next buffer.

    The encoder gets the shard in segments of about ``plan.segment_rows`` tokens (cut like
    shards, so the same on a resumed run), which bounds what it holds in memory at a time;
    ``on_encoded`` is told the tokens of each segment once its vectors are in the buffers.
    """
    multiple = plan.carry_batch_size if plan.carry else 1
    buffer: np.ndarray | None = None
    filled, start = 0, first_occurrence
    for segment in plan_shards(sentences, lambda s: len(s.tokens), plan.segment_rows, multiple):
        outputs = encoder.embed_sentences(
            [s.tokens for s in segment],
            batch_tokens=plan.batch_tokens,
            carry_batch_size=plan.carry_batch_size,
            dtype=plan.dtype,
        )
        tokens = 0
        for sentence, vectors in zip(segment, outputs, strict=True):
            k = len(sentence.tokens)
            if vectors.shape != (encoder.num_layers, k, encoder.dim):
                raise ModelFormatError(
                    f"the encoder returned vectors of shape {vectors.shape} for a sentence of "
                    f"{k} tokens; expected {(encoder.num_layers, k, encoder.dim)}"
                )
            done = 0
            while done < k:
                if buffer is None:
                    buffer = sink.buffer()
                take = min(k - done, buffer.shape[1] - filled)
                for i, layer in enumerate(plan.layers):
                    buffer[i, filled : filled + take] = vectors[layer, done : done + take]
                filled, done = filled + take, done + take
                if filled == buffer.shape[1]:
                    sink.add(VectorChunk(index, start, filled, buffer))
                    buffer, filled, start = None, 0, start + filled
            tokens += k
        on_encoded(tokens)
    if buffer is not None:
        sink.add(VectorChunk(index, start, filled, buffer))


def stream_corpus(
    reader: SentenceSource,
    encoder: BuildEncoder,
    committer: ShardCommitter,
    plan: StreamPlan,
    progress: Progress,
) -> StreamCounts:
    """Encode every sentence after the committed ones and submit the shards to ``committer``.

    The committed sentences are read again (not encoded) to reach the resume point and to
    count documents. Shards are cut by :func:`plan_shards` on a read-ahead thread.
    """
    counts = StreamCounts()
    sentences = counts.see(reader)
    done = 0
    if plan.skip_sentences:
        progress.note(f"resuming: skipping the {plan.skip_sentences:,} committed sentences")
        skipped = 0
        for sentence in itertools.islice(sentences, plan.skip_sentences):
            skipped, done = skipped + 1, done + len(sentence.tokens)
        if skipped < plan.skip_sentences:
            raise CorpusError(
                f"the corpus has {counted(skipped, 'sentence')}, fewer than the "
                f"{plan.skip_sentences:,} "
                "already committed; it changed since the build started (use --overwrite)"
            )
    read = ReadCount(reader, done)
    progress.start(done, *read.total())
    multiple = plan.carry_batch_size if plan.carry else 1
    shards: Iterator[list[Sentence]] = read.shards(
        plan_shards(sentences, lambda s: len(s.tokens), plan.shard_rows, multiple)
    )
    index, first_sentence, first_occ = plan.first_shard, plan.first_sentence, plan.first_occurrence
    if plan.max_shards is not None:
        shards = itertools.islice(shards, plan.max_shards)

    def advance(tokens: int) -> None:
        progress.advance(tokens, *read.total())

    for shard in read_ahead(shards):
        n_tokens = sum(len(s.tokens) for s in shard)
        encode_shard(encoder, shard, plan, index, first_occ, committer, advance)
        meta = ShardMeta(
            index=index,
            first_sentence=first_sentence,
            first_occurrence=first_occ,
            sentences=[s.tokens for s in shard],
            doc_ids=[s.doc_id for s in shard],
            sent_keys=[s.sent_key for s in shard],
            source_lines=[s.source_line for s in shard],
            state=encoder.export_state() if plan.carry else None,
            lemmas=[s.lemmas for s in shard],
            upos=[s.upos for s in shard],
            fields=[s.fields for s in shard],
        )
        committer.commit(meta)
        logger.debug("shard %d: %d sentences, %d occurrences", index, len(shard), n_tokens)
        index, first_sentence, first_occ = (
            index + 1,
            first_sentence + len(shard),
            first_occ + n_tokens,
        )
        counts.encoded_tokens += n_tokens
    return counts
