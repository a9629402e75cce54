"""Token to char/word-id mapping of ElmoForManyLangs models (``read_list`` + ``create_one_batch``).

Reproduces the package's quirks exactly, because the published models were trained with them:

- tokens are cut to ``max_chars - 2`` characters (code points), and the cut form is also what is
  looked up in the word vocabulary;
- a character row is ``[id('<eow>'), chars..., id('<bow>'), pad...]``: the batching code swaps the
  begin- and end-of-word ids;
- the sentence boundaries ``<bos>``/``<eos>`` get ``[id('<eow>'), id(token), id('<bow>'), pad...]``,
  and so does a user token that is literally ``<bos>`` or ``<eos>``;
- unknown characters and words map to ``<oov>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from indexer.errors import ModelFormatError

OOV = "<oov>"
PAD = "<pad>"
BOW = "<bow>"
EOW = "<eow>"
BOS = "<bos>"
EOS = "<eos>"
BOUNDARIES = (BOS, EOS)
#: Entries the package asserts (or, for ``<bos>``/``<eos>``, needs) in char.dic.
REQUIRED_CHARS = (OOV, PAD, BOW, EOW, BOS, EOS)
#: Entries the package asserts in word.dic.
REQUIRED_WORDS = (OOV, PAD)
#: The package asserts room for ``<bos>`` framed by begin/end of word.
MIN_MAX_CHARS = len(BOS) + 2


def read_lexicon(path: Path, required: Sequence[str]) -> dict[str, int]:
    """Read a char.dic/word.dic as ElmoForManyLangs does.

    ``token<TAB>id`` per line; lines are split on every Unicode line boundary (as ``codecs.open``
    iteration does) and ``strip()``-ed; a line left with one field is the ideographic space
    ``'\u3000'`` (which ``strip`` removed). A later duplicate overrides an earlier one. The
    package's embedding has one row per distinct token, so ids must lie in ``0..len - 1``.
    Raises ModelFormatError for an unreadable file, bad UTF-8, a malformed line (naming it), an
    id out of range or a missing ``required`` entry.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as err:
        raise ModelFormatError(f"cannot read: {err.strerror or err}", path=path) from err
    except UnicodeDecodeError as err:
        raise ModelFormatError(f"not valid UTF-8: {err}", path=path) from err
    lexicon: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.strip().split("\t")
        if len(fields) == 1:
            fields.insert(0, "\u3000")
        try:
            token, index = fields
            lexicon[token] = int(index)
        except ValueError as err:
            raise ModelFormatError(
                f"expected 'token<TAB>id', got {line!r}", path=path, line=number
            ) from err
    missing = [token for token in required if token not in lexicon]
    if missing:
        raise ModelFormatError(f"missing required entries {missing}", path=path)
    bad = [(token, i) for token, i in lexicon.items() if not 0 <= i < len(lexicon)]
    if bad:
        raise ModelFormatError(
            f"ids out of range for {len(lexicon)} embedding rows: {bad[:5]}", path=path
        )
    return lexicon


class EfmlMapper:
    """Maps tokens to the char ids (and word ids, when the model has words) of an EFML model."""

    def __init__(
        self, char2id: dict[str, int], word2id: dict[str, int] | None, max_chars: int
    ) -> None:
        """Vocabularies as :func:`read_lexicon` returns them (with the required entries)."""
        if max_chars < MIN_MAX_CHARS:
            raise ValueError(f"max_chars must be at least {MIN_MAX_CHARS}, got {max_chars}")
        self.char2id = char2id
        self.word2id = word2id
        self.max_chars = max_chars
        self.has_words = word2id is not None
        self._char_oov = char2id[OOV]
        self._char_pad = char2id[PAD]
        self._word_oov = -1 if word2id is None else word2id[OOV]
        # Swapped on purpose: the package's create_one_batch starts a word with '<eow>'.
        self._first = char2id[EOW]
        self._last = char2id[BOW]

    def truncate(self, token: str) -> str:
        """The token as the model sees it: at most ``max_chars - 2`` characters."""
        return token[: self.max_chars - 2]

    def _fill_row(self, row: npt.NDArray[np.int64], token: str) -> None:
        row[0] = self._first
        if token in BOUNDARIES:
            row[1] = self.char2id[token]
            row[2] = self._last
            return
        get, oov = self.char2id.get, self._char_oov
        row[1 : len(token) + 1] = [get(char, oov) for char in token]
        row[len(token) + 1] = self._last

    def char_ids(self, tokens: Sequence[str]) -> npt.NDArray[np.int64]:
        """(len(tokens), max_chars) int64 character ids."""
        out = np.full((len(tokens), self.max_chars), self._char_pad, dtype=np.int64)
        for row, token in zip(out, tokens, strict=True):
            self._fill_row(row, self.truncate(token))
        return out

    def word_ids(self, tokens: Sequence[str]) -> npt.NDArray[np.int64]:
        """(len(tokens),) int64 word ids of the truncated tokens, ``<oov>`` when unknown."""
        if self.word2id is None:
            raise NotImplementedError("this ElmoForManyLangs model has no word vocabulary")
        get, oov = self.word2id.get, self._word_oov
        return np.fromiter(
            (get(self.truncate(t), oov) for t in tokens), dtype=np.int64, count=len(tokens)
        )

    def boundary_char_ids(self) -> npt.NDArray[np.int64]:
        """(2, max_chars): the ``<bos>`` and ``<eos>`` rows."""
        return self.char_ids(BOUNDARIES)

    def boundary_word_ids(self) -> npt.NDArray[np.int64]:
        """(2,): word ids of ``<bos>`` and ``<eos>`` (``<oov>`` when not in the vocabulary)."""
        return self.word_ids(BOUNDARIES)
