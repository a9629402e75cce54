"""Read the training corpus (and held-out text) into encoded streams with their vocabulary."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from indexer.corpus import ReaderConfig, fingerprint, open_corpus
from indexer.errors import CorpusError
from indexer.train.config import TrainConfig
from indexer.train.data import (
    EncodedCorpus,
    TokenTypes,
    encode_sentences,
    make_vocabulary,
    split_heldout,
)
from indexer.train.vocab import Vocabulary

logger = logging.getLogger(__name__)


@dataclass
class TrainingData:
    """Training and held-out streams (type ids), the character ids and softmax class of every
    type, the vocabulary, and an identity of the input files (checked on resume)."""

    train: EncodedCorpus
    heldout: EncodedCorpus | None
    char_table: npt.NDArray[np.int16]
    classes: npt.NDArray[np.int64]
    vocab: Vocabulary
    source_id: str


def _tokens(path: Path, reader_config: ReaderConfig) -> Iterator[tuple[str, ...]]:
    with open_corpus(path, reader_config) as reader:
        for sentence in reader:
            yield sentence.tokens


def prepare_data(
    corpus: Path,
    heldout: Path | None,
    config: TrainConfig,
    reader_config: ReaderConfig | None = None,
) -> TrainingData:
    """Read ``corpus``; hold out ``heldout`` (a file) or ``config.heldout_sentences`` of it."""
    reader_config = reader_config or ReaderConfig()
    types = TokenTypes()
    encoded = encode_sentences(_tokens(corpus, reader_config), types)
    if encoded.n_sentences == 0:
        raise CorpusError("the corpus holds no sentence", path=corpus)
    source_id = fingerprint(corpus)
    held: EncodedCorpus | None
    if heldout is not None:
        train = encoded
        held = encode_sentences(_tokens(heldout, reader_config), types)
        source_id += "+" + fingerprint(heldout)
    else:
        train_idx, held_idx = split_heldout(
            encoded.n_sentences, config.heldout_sentences, config.seed
        )
        train = encoded.subset(train_idx)
        held = encoded.subset(held_idx) if len(held_idx) else None
    if held is not None and held.n_sentences == 0:
        held = None
    vocab = make_vocabulary(train, types, config.vocab_size)
    logger.info(
        "corpus %s: %d training sentences (%d positions), %d held out, %d token types, "
        "vocabulary %d",
        corpus,
        train.n_sentences,
        train.n_positions,
        0 if held is None else held.n_sentences,
        len(types),
        len(vocab),
    )
    return TrainingData(train, held, types.char_table(), types.classes(vocab), vocab, source_id)
