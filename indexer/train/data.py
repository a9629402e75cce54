"""The corpus as token streams cut into windows: pure planning, no model.

Sentence boundaries follow bilm-tf. Sentence ``w1 .. wn`` gives the forward model the inputs
``<S> w1 .. wn`` and the targets ``w1 .. wn </S>``; the sentences of an epoch, in a seeded random
order, are joined into one stream. The stream is cut into ``batch_size`` equal contiguous
segments, one per batch row, and each row is read in windows of ``window`` tokens with the LSTM
state carried from one window to the next (and across epochs). The backward model reads the same
row reversed: inputs ``</S> wn .. w1``, targets ``wn .. w1 <S>`` for every sentence. So neither
direction ever reads the boundary it must predict, exactly as the encoder later reads
``<S> w1 .. wn </S>``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from indexer.encoder.chars import BOS_TOKEN, EOS_TOKEN, AllennlpCharMapper
from indexer.errors import ConfigError
from indexer.train.vocab import Vocabulary, build_vocabulary

IntArray = npt.NDArray[np.int64]
BOS_TYPE, EOS_TYPE = 0, 1


class TokenTypes:
    """Each distinct token string seen, numbered in order of appearance (0 ``<S>``, 1 ``</S>``)."""

    def __init__(self) -> None:
        self.strings: list[str] = [BOS_TOKEN, EOS_TOKEN]
        self._index: dict[str, int] = {BOS_TOKEN: BOS_TYPE, EOS_TOKEN: EOS_TYPE}

    def __len__(self) -> int:
        return len(self.strings)

    def add(self, tokens: Sequence[str]) -> list[int]:
        index, strings = self._index, self.strings
        out = []
        for token in tokens:
            type_id = index.get(token)
            if type_id is None:
                type_id = index[token] = len(strings)
                strings.append(token)
            out.append(type_id)
        return out

    def char_table(self) -> npt.NDArray[np.int16]:
        """(n_types, 50) allennlp character ids of every type."""
        mapper = AllennlpCharMapper()
        table = np.empty((len(self.strings), mapper.max_chars), dtype=np.int16)
        for start in range(0, len(self.strings), 65536):
            chunk = self.strings[start : start + 65536]
            table[start : start + len(chunk)] = mapper.char_ids(chunk)
        return table

    def classes(self, vocab: Vocabulary) -> IntArray:
        """(n_types,) softmax class of every type."""
        return np.fromiter((vocab.id(s) for s in self.strings), np.int64, len(self.strings))


@dataclass(frozen=True)
class EncodedCorpus:
    """Sentences as type ids, flattened: sentence ``k`` has the inputs
    ``inputs[offsets[k]:offsets[k + 1]]`` (``<S> w1 .. wn``) and the targets of the same slice
    (``w1 .. wn </S>``)."""

    inputs: IntArray
    targets: IntArray
    offsets: IntArray

    @property
    def n_sentences(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_positions(self) -> int:
        return len(self.inputs)

    def subset(self, sentences: IntArray) -> EncodedCorpus:
        """The given sentences, in the given order."""
        starts = self.offsets[sentences]
        lengths = self.offsets[sentences + 1] - starts
        ends = np.cumsum(lengths)
        total = int(ends[-1]) if len(ends) else 0
        positions = np.repeat(starts - ends + lengths, lengths) + np.arange(total)
        offsets = np.concatenate([[0], ends]).astype(np.int64)
        return EncodedCorpus(self.inputs[positions], self.targets[positions], offsets)

    def word_counts(self, types: TokenTypes) -> dict[str, int]:
        """How often each word is a target (boundaries excluded)."""
        counts = np.bincount(self.targets, minlength=len(types))
        return {types.strings[t]: int(c) for t, c in enumerate(counts) if c and t > EOS_TYPE}


def encode_sentences(sentences: Iterable[Sequence[str]], types: TokenTypes) -> EncodedCorpus:
    """Number the tokens of ``sentences`` (empty ones are skipped), adding new types."""
    inputs: list[int] = []
    targets: list[int] = []
    offsets = [0]
    for tokens in sentences:
        if not tokens:
            continue
        ids = types.add(tokens)
        inputs.append(BOS_TYPE)
        inputs.extend(ids)
        targets.extend(ids)
        targets.append(EOS_TYPE)
        offsets.append(len(inputs))
    return EncodedCorpus(
        np.asarray(inputs, np.int64), np.asarray(targets, np.int64), np.asarray(offsets, np.int64)
    )


def make_vocabulary(corpus: EncodedCorpus, types: TokenTypes, max_words: int) -> Vocabulary:
    """The softmax vocabulary of the training sentences."""
    return build_vocabulary(corpus.word_counts(types), corpus.n_sentences, max_words)


def split_heldout(n_sentences: int, n_heldout: int, seed: int) -> tuple[IntArray, IntArray]:
    """(training, held-out) sentence indices, each sorted; at most a tenth is held out."""
    n_heldout = min(n_heldout, n_sentences // 10)
    order = np.random.default_rng([seed, 7919]).permutation(n_sentences)
    return np.sort(order[n_heldout:]), np.sort(order[:n_heldout])


def epoch_order(n_sentences: int, seed: int, epoch: int) -> IntArray:
    """The seeded sentence order of one epoch."""
    return np.random.default_rng([seed, epoch]).permutation(n_sentences).astype(np.int64)


def stream_rows(corpus: EncodedCorpus, batch_size: int) -> tuple[IntArray, IntArray]:
    """(inputs, targets), each (batch_size, L): the stream cut into equal rows; the rest is
    dropped (fewer than ``batch_size`` positions)."""
    length = corpus.n_positions // batch_size
    if length == 0:
        raise ConfigError(
            f"{corpus.n_positions} token positions cannot fill {batch_size} batch rows; "
            f"use a smaller batch size or a larger corpus"
        )
    used = batch_size * length
    return (
        corpus.inputs[:used].reshape(batch_size, length),
        corpus.targets[:used].reshape(batch_size, length),
    )


def rows_per_epoch(n_positions: int, batch_size: int, window: int) -> tuple[int, int]:
    """(row length, windows per epoch)."""
    length = n_positions // batch_size
    return length, math.ceil(length / window)


def window_bounds(length: int, window: int, index: int) -> tuple[int, int]:
    """Start and end (exclusive) of window ``index`` of a row of ``length`` positions."""
    start = index * window
    if not 0 <= start < length:
        raise IndexError(f"window {index} is outside a row of {length} positions")
    return start, min(start + window, length)


def window_frames(
    rows_in: IntArray, rows_target: IntArray, start: int, end: int
) -> tuple[IntArray, IntArray]:
    """(inputs, targets), each (2, B, end - start): forward frame 0 reads positions
    ``start:end`` of each row, backward frame 1 the same positions of the reversed row."""
    length = rows_in.shape[1]
    back = slice(length - end, length - start)
    inputs = np.stack([rows_in[:, start:end], rows_target[:, back][:, ::-1]])
    targets = np.stack([rows_target[:, start:end], rows_in[:, back][:, ::-1]])
    return inputs, targets
