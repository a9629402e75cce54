"""allennlp character ids."""

from __future__ import annotations

import numpy as np

from indexer.encoder.chars import (
    BOS_CHAR_IDS,
    EOS_CHAR_IDS,
    AllennlpCharMapper,
    word_to_char_ids,
)


def test_ascii_word() -> None:
    ids = word_to_char_ids("ab")
    assert ids[:4] == [259, ord("a") + 1, ord("b") + 1, 260]
    assert ids[4:] == [261] * 46
    assert len(ids) == 50


def test_utf8_bytes_and_truncation() -> None:
    ids = word_to_char_ids("é")
    assert ids[:4] == [259, 0xC3 + 1, 0xA9 + 1, 260]
    long = word_to_char_ids("x" * 5000)
    assert long[0] == 259 and long[1:49] == [ord("x") + 1] * 48 and long[49] == 260


def test_boundaries_and_special_tokens() -> None:
    assert BOS_CHAR_IDS[:4] == [259, 257, 260, 261]
    assert EOS_CHAR_IDS[:4] == [259, 258, 260, 261]
    assert word_to_char_ids("<S>") == BOS_CHAR_IDS
    assert word_to_char_ids("</S>") == EOS_CHAR_IDS


def test_unencodable_code_points_are_dropped() -> None:
    assert word_to_char_ids("a\ud800b") == word_to_char_ids("ab")
    assert word_to_char_ids("\x00\x07")[:4] == [259, 1, 8, 260]


def test_mapper_matrix() -> None:
    mapper = AllennlpCharMapper()
    ids = mapper.char_ids(["a", "bc"])
    assert ids.shape == (2, 50) and ids.dtype == np.int64
    assert ids[1, 2] == ord("c") + 1
    assert mapper.boundary_char_ids().tolist() == [BOS_CHAR_IDS, EOS_CHAR_IDS]
