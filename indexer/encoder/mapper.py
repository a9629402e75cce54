"""The token-to-id contract that each model family implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt


class TokenMapper(Protocol):
    """Turns tokens into the ids a model's token embedder reads.

    ``char_ids`` gives a fixed-width row per token; ``word_ids`` is only called when
    ``has_words`` is true. The boundary methods give two rows: begin and end of sentence.
    """

    max_chars: int
    has_words: bool

    def char_ids(self, tokens: Sequence[str]) -> npt.NDArray[np.int64]: ...

    def word_ids(self, tokens: Sequence[str]) -> npt.NDArray[np.int64]: ...

    def boundary_char_ids(self) -> npt.NDArray[np.int64]: ...

    def boundary_word_ids(self) -> npt.NDArray[np.int64]: ...
