"""Token to character-id mapping of allennlp's ELMo (``batch_to_ids``), exactly."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

MAX_WORD_LENGTH = 50
BEGINNING_OF_SENTENCE = 256
END_OF_SENTENCE = 257
BEGINNING_OF_WORD = 258
END_OF_WORD = 259
PADDING = 260
BOS_TOKEN = "<S>"
EOS_TOKEN = "</S>"


def _boundary(char: int) -> list[int]:
    ids = [PADDING] * MAX_WORD_LENGTH
    ids[0], ids[1], ids[2] = BEGINNING_OF_WORD, char, END_OF_WORD
    return [c + 1 for c in ids]


BOS_CHAR_IDS = _boundary(BEGINNING_OF_SENTENCE)
EOS_CHAR_IDS = _boundary(END_OF_SENTENCE)


def word_to_char_ids(word: str) -> list[int]:
    """Character ids of one token, +1 so that 0 is the mask.

    UTF-8 bytes truncated to 48 (undecodable code points such as lone surrogates dropped), framed
    by begin/end-of-word, padded to 50. The tokens ``<S>`` and ``</S>`` are the sentence
    boundaries, as in allennlp.
    """
    if word == BOS_TOKEN:
        return list(BOS_CHAR_IDS)
    if word == EOS_TOKEN:
        return list(EOS_CHAR_IDS)
    encoded = word.encode("utf-8", "ignore")[: MAX_WORD_LENGTH - 2]
    ids = [PADDING] * MAX_WORD_LENGTH
    ids[0] = BEGINNING_OF_WORD
    ids[1 : len(encoded) + 1] = encoded
    ids[len(encoded) + 1] = END_OF_WORD
    return [c + 1 for c in ids]


class AllennlpCharMapper:
    """Maps tokens to allennlp character ids; no word vocabulary."""

    max_chars = MAX_WORD_LENGTH
    has_words = False

    def char_ids(self, tokens: Sequence[str]) -> npt.NDArray[np.int64]:
        """(len(tokens), 50) int64 character ids."""
        out = np.empty((len(tokens), MAX_WORD_LENGTH), dtype=np.int64)
        for row, token in enumerate(tokens):
            out[row] = word_to_char_ids(token)
        return out

    def word_ids(self, tokens: Sequence[str]) -> npt.NDArray[np.int64]:
        raise NotImplementedError("allennlp ELMo models have no word vocabulary")

    def boundary_char_ids(self) -> npt.NDArray[np.int64]:
        """(2, 50): the begin- and end-of-sentence tokens."""
        return np.asarray([BOS_CHAR_IDS, EOS_CHAR_IDS], dtype=np.int64)

    def boundary_word_ids(self) -> npt.NDArray[np.int64]:
        raise NotImplementedError("allennlp ELMo models have no word vocabulary")
