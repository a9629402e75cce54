"""A fake encoder whose vectors are a known function of token, position and carried state."""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from indexer.builder.config import BuildConfig


def token_vector(token: str, dim: int) -> np.ndarray:
    """A fixed random vector per token (seeded by its crc32)."""
    rng = np.random.default_rng(zlib.crc32(token.encode("utf-8")))
    return rng.standard_normal(dim).astype(np.float32)


def expected_vectors(tokens: Sequence[str], dim: int, num_layers: int, carried: int = 0):
    """What :class:`FakeEncoder` returns for one sentence: layer L, position i is
    ``token_vector * (L + 1) + 0.01 * i + carried`` (``carried`` is 0 unless state is carry)."""
    base = np.stack([token_vector(t, dim) for t in tokens]) if tokens else np.zeros((0, dim))
    position = 0.01 * np.arange(len(tokens), dtype=np.float32)[:, None]
    return np.stack(
        [base * (layer + 1) + position + carried for layer in range(num_layers)]
    ).astype(np.float32)


class FakeEncoder:
    """Implements what the build uses of an encoder, with no model.

    Under ``carry`` the state is the number of sentences embedded so far (mod 7), added to
    every vector, so a resume that loses the state gives different vectors. ``delay`` seconds
    are slept per sentence; ``fail_after`` sentences raise RuntimeError (a simulated crash).
    """

    def __init__(
        self,
        dim: int = 8,
        num_layers: int = 3,
        state: str = "warm",
        identity: str = "fake-encoder-v1",
        delay: float = 0.0,
        fail_after: int | None = None,
    ):
        self.dim, self.num_layers, self.state = dim, num_layers, state
        self.identity, self.family = identity, "fake"
        self.delay, self.fail_after = delay, fail_after
        self.embedded = 0
        self.carried = 0

    def describe(self) -> dict[str, Any]:
        return {"identity": self.identity, "family": self.family, "dim": self.dim}

    def embed_sentences(
        self,
        sentences: Iterable[Sequence[str]],
        *,
        batch_tokens: int = 8192,
        carry_batch_size: int = 64,
        dtype: str = "float32",
    ) -> Iterator[np.ndarray]:
        for tokens in sentences:
            if self.fail_after is not None and self.embedded >= self.fail_after:
                raise RuntimeError("simulated crash")
            if self.delay:
                time.sleep(self.delay)
            carried = self.carried if self.state == "carry" else 0
            yield expected_vectors(tokens, self.dim, self.num_layers, carried).astype(dtype)
            self.embedded += 1
            self.carried = (self.carried + 1) % 7

    def export_state(self) -> dict[str, np.ndarray]:
        return {"carried": np.array([self.carried])}

    def import_state(self, state: dict[str, np.ndarray]) -> None:
        self.carried = int(state["carried"][0]) if state else 0


def loader(**kwargs: Any):
    """An encoder loader for ``run_build`` that makes a FakeEncoder with the config's state."""

    def load(config: BuildConfig) -> FakeEncoder:
        return FakeEncoder(state=config.state, **kwargs)

    return load
