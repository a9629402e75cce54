"""Context sentences: tokenize, find the word, embed with the index's own model and state policy.

The model is loaded on the first context query only (this is where torch is imported). Vectors
are rounded to the index's stored dtype, so that a sentence of the corpus finds its own stored
occurrence at distance 0 (up to batching noise of the encoder).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import ElmoIndexError, QueryError
from indexer.store.manifest import Manifest
from indexer.vectors import VECTOR_DTYPES

logger = logging.getLogger(__name__)


def tokenize(context: str | Sequence[str]) -> list[str]:
    """A context sentence as tokens: a string is split on whitespace (the corpus is tokenized).

    >>> tokenize("The bank  is closed .")
    ['The', 'bank', 'is', 'closed', '.']
    """
    tokens = context.split() if isinstance(context, str) else [str(t) for t in context]
    if not tokens:
        raise QueryError("the context sentence is empty")
    return tokens


def locate(tokens: Sequence[str], word: str, position: int | None = None) -> int:
    """The position of ``word`` in ``tokens``: ``position`` if given (checked), else the first.

    >>> tokens = "the bank of the bank".split()
    >>> locate(tokens, "bank"), locate(tokens, "bank", 4)
    (1, 4)
    """
    text = " ".join(tokens)
    if position is not None:
        if not 0 <= position < len(tokens):
            raise QueryError(
                f"position {position} is outside the context sentence ({len(tokens)} tokens, "
                f"positions 0 to {len(tokens) - 1}): {text!r}"
            )
        if tokens[position] != word:
            raise QueryError(
                f"token {position} of the context sentence is {tokens[position]!r}, "
                f"not {word!r}: {text!r}"
            )
        return position
    where = [i for i, token in enumerate(tokens) if token == word]
    if not where:
        similar = [t for t in tokens if t.lower() == word.lower()]
        hint = f" (it has {similar[0]!r}; matching is case-sensitive)" if similar else ""
        raise QueryError(f"the context sentence does not contain {word!r}{hint}: {text!r}")
    if len(where) > 1:
        logger.info("%r occurs at positions %s of the context; using %d", word, where, where[0])
    return where[0]


def parse_marked(
    sentence: str | Sequence[str], word: str | None = None
) -> tuple[list[str], str, int | None]:
    """Tokens of ``sentence``, the word and its position: ``[[word]]`` marks it in the text.

    With no mark the word must be given (its position is then None: the first occurrence).

    >>> parse_marked("the [[bank]] of the bank")
    (['the', 'bank', 'of', 'the', 'bank'], 'bank', 1)
    >>> parse_marked("the bank of", "bank")
    (['the', 'bank', 'of'], 'bank', None)
    """
    tokens = sentence.split() if isinstance(sentence, str) else [str(t) for t in sentence]
    marked = [i for i, t in enumerate(tokens) if len(t) > 4 and t[:2] == "[[" and t[-2:] == "]]"]
    if len(marked) > 1:
        raise QueryError(f"mark one word with [[...]], not {len(marked)}: {sentence!r}")
    if not marked:
        if word is None:
            raise QueryError(f"give --word, or mark the word as [[word]] in {sentence!r}")
        return tokens, word, None
    at = marked[0]
    tokens[at] = tokens[at][2:-2]
    if word is not None and word != tokens[at]:
        raise QueryError(f"--word is {word!r} but the sentence marks {tokens[at]!r}")
    return tokens, tokens[at], at


def context_query(
    context: str | Sequence[str], word: str | None = None, position: int | None = None
) -> tuple[list[str], str, int]:
    """A context sentence's tokens, the word and its position: marked as ``[[word]]``, else at
    ``position`` (checked), else the word's first occurrence.

    >>> context_query("the bank of the [[bank]]")
    (['the', 'bank', 'of', 'the', 'bank'], 'bank', 4)
    >>> context_query("the bank of the bank", "bank", 4)[2]
    4
    """
    tokens, word, marked = parse_marked(context, word)
    if marked is not None and position not in (None, marked):
        raise QueryError(f"--position {position} disagrees with the [[...]] mark")
    at = locate(tokenize(tokens), word, marked if marked is not None else position)
    return tokens, word, at


def model_reference(manifest: Manifest, override: str | Path | None) -> str:
    """What to load for context queries: the override, else the model the build recorded (the
    name or path it was given, or the registry's default model that it used)."""
    if override is not None:
        return str(override)
    name = manifest.model.get("name")
    if not name:
        raise QueryError(
            "manifest.json records no model; pass the model directory with model=... "
            "(CLI: --model PATH)"
        )
    return str(name)


class ContextEmbedder:
    """Embeds context sentences with the model an index was built with.

    One encoder call runs at a time (calls from several threads wait their turn).
    :meth:`prepare` embeds many sentences in one batch and keeps their vectors for the
    :meth:`embed` calls that follow (the service's micro-batching); under the ``warm`` and
    ``zero`` state policies a sentence's vectors do not depend on its batch, so this changes
    nothing but the speed.
    """

    #: Sentences whose prepared vectors are kept, at most.
    PREPARED = 512

    def __init__(
        self, manifest: Manifest, model: str | Path | None = None, device: str = "cpu"
    ) -> None:
        self._manifest = manifest
        self._override = model
        self._device = device
        self._encoder: Any = None
        self._lock = threading.Lock()
        self._prepared: OrderedDict[tuple[str, ...], np.ndarray] = OrderedDict()

    @property
    def num_layers(self) -> int:
        return int(self.encoder.num_layers)

    @property
    def encoder(self) -> Any:
        """The loaded encoder, checked to be the index's model."""
        if self._encoder is None:
            self._encoder = self._load()
        return self._encoder

    def _load(self) -> Any:
        from indexer.encoder.loader import load_encoder

        reference = model_reference(self._manifest, self._override)
        state = self._manifest.settings.state
        try:
            encoder = load_encoder(reference, state=state, device=self._device)
        except ElmoIndexError as err:
            raise QueryError(
                f"cannot load the index's model {reference!r} to embed the context sentence "
                f"({err}); pass the model directory with model=... (CLI: --model PATH)"
            ) from err
        want = self._manifest.settings.model.identity
        if encoder.identity != want:
            raise QueryError(
                f"model {reference!r} (identity {encoder.identity[:12]}) is not the model this "
                f"index was built with (identity {want[:12]}); pass that one with model=... "
                "(CLI: --model PATH)"
            )
        logger.info("loaded model %s for context queries (state %s)", reference, state)
        return encoder

    def embed(self, tokens: Sequence[str]) -> np.ndarray:
        """(num_layers, len(tokens), dim) float32 vectors, rounded to the stored dtype."""
        key = tuple(tokens)
        with self._lock:
            ready = self._prepared.get(key)
            if ready is not None:
                self._prepared.move_to_end(key)
                return ready
            return self._embed([list(tokens)])[0]

    def prepare(self, sentences: Sequence[Sequence[str]]) -> None:
        """Embed ``sentences`` in one batch (one at a time under ``carry``) and keep their
        vectors for the next :meth:`embed` of each."""
        wanted = list(dict.fromkeys(tuple(s) for s in sentences))
        with self._lock:
            wanted = [key for key in wanted if key not in self._prepared]
            if not wanted:
                return
            for key, vectors in zip(wanted, self._embed([list(k) for k in wanted]), strict=True):
                self._prepared[key] = vectors
            while len(self._prepared) > self.PREPARED:
                self._prepared.popitem(last=False)

    def _embed(self, batch: list[list[str]]) -> list[np.ndarray]:
        encoder = self.encoder
        stored = VECTOR_DTYPES[self._manifest.dtype]
        if encoder.state == "carry":
            # A context is embedded alone: from the start state, not after earlier queries.
            out = []
            for tokens in batch:
                encoder.reset_state()
                out.append(np.asarray(encoder.embed_sentence(tokens)))
        else:
            out = [np.asarray(v) for v in encoder.embed_batch(batch)]
        return [vectors.astype(stored).astype(np.float32) for vectors in out]
