"""Encoding a shard into fixed-size chunk buffers, sentences crossing buffer boundaries."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from indexer.builder.committer import VectorChunk
from indexer.builder.runner import StreamPlan, encode_shard
from indexer.corpus import Sentence
from tests.indexer.builder.fakes import FakeEncoder, expected_vectors


class Sink:
    def __init__(self, rows: int, layers: int = 2) -> None:
        self.rows, self.layers = rows, layers
        self.chunks: list[tuple[int, int, np.ndarray]] = []

    def buffer(self) -> np.ndarray:
        return np.full((self.layers, self.rows, 8), np.nan, np.float32)

    def add(self, chunk: VectorChunk) -> None:
        self.chunks.append((chunk.first_occurrence, chunk.n, chunk.buffer[:, : chunk.n].copy()))


def test_sentences_cross_chunk_boundaries():
    tokens = [("a", "b", "c"), ("d", "e", "f", "g", "h"), ("i", "j"), ("k", "l", "m")]
    sentences = [Sentence(t, "d0", None, i + 1) for i, t in enumerate(tokens)]
    plan = StreamPlan(
        layers=(0, 2),
        dtype="float32",
        shard_rows=100,
        batch_tokens=64,
        carry_batch_size=4,
        carry=False,
    )
    sink, seen = Sink(rows=4), list[int]()
    encode_shard(FakeEncoder(), sentences, plan, 7, 100, sink, seen.append)
    assert seen == [13]  # one segment: the tokens told once its vectors are in the buffers
    assert [(first, n) for first, n, _ in sink.chunks] == [(100, 4), (104, 4), (108, 4), (112, 1)]
    got = np.concatenate([rows for _, _, rows in sink.chunks], axis=1)
    want = np.concatenate([expected_vectors(t, 8, 3) for t in tokens], axis=1)[[0, 2]]
    assert np.array_equal(got, want)


def test_the_tokens_encoded_are_told_per_segment_once_in_the_buffers():
    tokens = [("a", "b", "c"), ("d", "e", "f", "g", "h"), ("i", "j"), ("k", "l", "m")]
    sentences = [Sentence(t, "d0", None, i + 1) for i, t in enumerate(tokens)]
    plan = StreamPlan(
        layers=(0,),
        dtype="float32",
        shard_rows=100,
        batch_tokens=64,
        carry_batch_size=4,
        carry=False,
        segment_rows=8,
    )
    sink = Sink(rows=4, layers=1)
    filled: list[tuple[int, int]] = []

    def told(n: int) -> None:  # the rows handed over (and in the open buffer) by then
        filled.append((n, sum(rows for _, rows, _ in sink.chunks)))

    encode_shard(FakeEncoder(), sentences, plan, 0, 0, sink, told)
    assert [n for n, _ in filled] == [8, 5]  # segments end at the first sentence past 8 tokens
    assert filled[0][1] == 8 and filled[1][1] == 12  # 13th row still in the open buffer


class CountingEncoder(FakeEncoder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[int] = []

    def embed_sentences(self, sentences, **options):
        sentences = list(sentences)
        self.calls.append(sum(map(len, sentences)))
        return super().embed_sentences(sentences, **options)


def test_the_encoder_gets_the_shard_in_segments():
    tokens = [("a",) * 3, ("b",) * 5, ("c",) * 4, ("d",) * 3, ("e",) * 1]
    sentences = [Sentence(t, "d0", None, i + 1) for i, t in enumerate(tokens)]
    plan = StreamPlan(
        layers=(1,),
        dtype="float16",
        shard_rows=100,
        batch_tokens=64,
        carry_batch_size=3,
        carry=False,
        segment_rows=6,
    )
    encoder, sink = CountingEncoder(), Sink(rows=100, layers=1)
    encode_shard(encoder, sentences, plan, 0, 0, sink, lambda k: None)
    assert encoder.calls == [8, 7, 1]
    carry = replace(plan, carry=True)
    encoder = CountingEncoder()
    encode_shard(encoder, sentences, carry, 0, 0, Sink(rows=100, layers=1), lambda k: None)
    assert encoder.calls == [12, 4]  # cut only after a multiple of 3 sentences
