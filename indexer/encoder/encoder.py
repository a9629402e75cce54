"""The encoder: tokenized sentences in, per-layer ELMo vectors out, under a state policy."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import torch

from indexer.encoder.batching import plan_batches
from indexer.encoder.cache import TokenCache
from indexer.encoder.mapper import TokenMapper
from indexer.encoder.model import BiLM, LstmState
from indexer.encoder.settings import (
    DEFAULT_BATCH_TOKENS,
    DEFAULT_CARRY_BATCH_SIZE,
    DEFAULT_STATE,
    STATE_POLICIES,
)
from indexer.encoder.weights import BiLMWeights
from indexer.errors import ConfigError, check_choice
from indexer.vectors import VECTOR_DTYPES

logger = logging.getLogger(__name__)

#: Element types :meth:`Encoder.embed_sentences` can give its vectors in.
OUTPUT_DTYPES = {name: getattr(torch, name) for name in VECTOR_DTYPES}

#: Run from zero state, in order, to obtain the fixed initial state of the ``warm`` policy.
WARMUP_TEXT = (
    "The committee met on Tuesday morning to discuss the new proposal .",
    "Several members said that the plan was too expensive , but others supported it .",
    "In the end , they agreed to meet again next week and to ask for more information .",
)


def resolve_device(device: str) -> torch.device:
    """``auto`` is CUDA when available, else the CPU."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as err:
        raise ConfigError(f"unknown device {device!r}; use auto, cpu or cuda") from err
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' was asked for, but no CUDA device is available")
    return resolved


class Encoder:
    """Embeds sentences with a biLM; output per sentence: (1 + num_lstm_layers, n_tokens, dim).

    Layer 0 is the context-free token representation written twice (``[x; x]``), as allennlp
    gives it; the other layers are the biLSTM layers (forward and backward halves concatenated).

    State policies: ``zero`` starts every sentence from zero state; ``warm`` (default) starts every
    sentence from one fixed state, obtained by running :data:`WARMUP_TEXT` from zero state; under
    both, a sentence's vectors never depend on batching. ``carry`` is the reference behaviour:
    each batch row starts from the final state of the same row of the previous batch.
    """

    def __init__(
        self,
        model: BiLM,
        mapper: TokenMapper,
        *,
        identity: str,
        family: str,
        state: str = DEFAULT_STATE,
        device: str | torch.device = "cpu",
        options: dict[str, Any] | None = None,
        cache_bytes: int = 128 * 1024**2,
    ) -> None:
        check_choice("state policy", state, STATE_POLICIES)
        self.device = resolve_device(device) if isinstance(device, str) else device
        self.model = model.to(self.device).eval()
        self.mapper = mapper
        self.identity = identity
        self.family = family
        self.state = state
        self.options = options or {}
        self.dim = model.output_dim
        self.num_layers = 1 + model.lstm.num_layers
        width = model.token_embedder.output_dim
        self.cache = TokenCache(max_entries=max(1024, cache_bytes // (4 * width)))
        with torch.inference_mode():
            self._boundary = self._embed_ids(
                mapper.boundary_char_ids(),
                mapper.boundary_word_ids() if mapper.has_words else None,
            )
        self._carried: LstmState | None = None
        self._warm: LstmState | None = None
        self._start: LstmState | None = None
        if state == "warm":
            self._warm = self._warm_state()
        if state != "carry":
            self._start = self._start_state(state)

    @classmethod
    def from_parts(
        cls,
        weights: BiLMWeights,
        mapper: TokenMapper,
        identity: str,
        family: str,
        state: str = DEFAULT_STATE,
        device: str = "cpu",
        options: dict[str, Any] | None = None,
    ) -> Encoder:
        return cls(
            BiLM.from_weights(weights),
            mapper,
            identity=identity,
            family=family,
            state=state,
            device=device,
            options=options,
        )

    def describe(self) -> dict[str, Any]:
        """JSON-able description for manifests."""
        return {
            "identity": self.identity,
            "family": self.family,
            "state": self.state,
            "dim": self.dim,
            "num_layers": self.num_layers,
            "options": self.options,
        }

    # -- public embedding API -------------------------------------------------------------

    def embed_sentence(self, tokens: Sequence[str]) -> np.ndarray:
        """(num_layers, len(tokens), dim) float32 vectors of one sentence."""
        return self.embed_batch([tokens])[0]

    def embed_batch(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Encode exactly this batch (under ``carry``, row i continues row i of the last batch)."""
        batch = [list(s) for s in sentences]
        if not batch:
            return []
        with torch.inference_mode():
            return self._run_batch(batch)

    def embed_sentences(
        self,
        sentences: Iterable[Sequence[str]],
        *,
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
        window_sentences: int = 4096,
        carry_batch_size: int = DEFAULT_CARRY_BATCH_SIZE,
        dtype: str = "float32",
    ) -> Iterator[np.ndarray]:
        """Stream vectors for each sentence, in input order, with bounded memory.

        Under ``zero`` and ``warm``, a window of sentences is read ahead, sorted by length and cut
        into batches of at most ``batch_tokens`` padded tokens. Under ``carry``, batches are
        ``carry_batch_size`` consecutive sentences, as the reference embedder formed them.
        With ``dtype="float16"`` the float32 vectors are rounded to float16 on the device, before
        they are copied out (the same values as numpy's ``astype``, in a fraction of the time).
        """
        out_dtype = OUTPUT_DTYPES[check_choice("dtype", dtype, OUTPUT_DTYPES)]
        iterator = iter(sentences)
        if self.state == "carry":
            while chunk := [list(s) for s in itertools.islice(iterator, carry_batch_size)]:
                with torch.inference_mode():
                    outputs = self._run_batch(chunk, out_dtype=out_dtype)
                yield from outputs
            return
        while window := [list(s) for s in itertools.islice(iterator, window_sentences)]:
            results: list[np.ndarray | None] = [None] * len(window)
            lengths = [len(s) + 2 for s in window]
            with torch.inference_mode():
                for batch in plan_batches(lengths, batch_tokens):
                    outputs = self._run_batch([window[i] for i in batch], out_dtype=out_dtype)
                    for i, out in zip(batch, outputs, strict=True):
                        results[i] = out
            for result in results:
                assert result is not None
                yield result

    # -- state ------------------------------------------------------------------------------

    def reset_state(self) -> None:
        """Forget the carried state (``carry`` policy)."""
        self._carried = None

    def export_state(self) -> dict[str, np.ndarray]:
        """The carried state as arrays (empty when there is none), for resuming a build."""
        if self._carried is None:
            return {}
        return {"h": self._carried.h.cpu().numpy(), "c": self._carried.c.cpu().numpy()}

    def import_state(self, state: dict[str, np.ndarray]) -> None:
        """Restore a state saved by :meth:`export_state`."""
        if not state:
            self._carried = None
            return
        self._carried = LstmState(
            torch.from_numpy(state["h"]).to(self.device),
            torch.from_numpy(state["c"]).to(self.device),
        )

    def _warm_state(self) -> LstmState:
        saved, self._carried = self._carried, None
        with torch.inference_mode():
            for sentence in WARMUP_TEXT:
                self._run_batch([sentence.split()], policy="carry")
        warm, self._carried = self._carried, saved
        assert warm is not None
        return warm

    def _start_state(self, policy: str) -> LstmState:
        """The state after each direction's first step under ``policy`` (``warm`` or ``zero``).

        That step reads a sentence boundary (``<S>`` forward, ``</S>`` backward) from the
        policy's initial state, so it is the same for every sentence: it is run once here, on
        one row, and batches start after it. A row's products do not depend on the other rows
        they run with, so the vectors are those of running the step in every batch.
        """
        frames = torch.stack([self._boundary[0:1], self._boundary[1:2]]).unsqueeze(1)
        with torch.inference_mode():
            _, state = self.model.lstm.forward_frames(frames, [1], self._initial_state(1, policy))
        return state

    def _initial_state(self, batch: int, policy: str) -> LstmState | None:
        if policy == "zero":
            return None
        if policy == "warm":
            assert self._warm is not None
            return self._warm.repeat(batch)
        zeros = self.model.lstm.zero_state(batch, self._boundary)
        if self._carried is not None:
            rows = min(batch, self._carried.batch_size)
            zeros.h[:, :, :rows] = self._carried.h[:, :, :rows]
            zeros.c[:, :, :rows] = self._carried.c[:, :, :rows]
        return zeros

    def _remember(self, final: LstmState) -> None:
        if self._carried is None or self._carried.batch_size <= final.batch_size:
            self._carried = LstmState(final.h.clone(), final.c.clone())
            return
        rows = final.batch_size
        self._carried.h[:, :, :rows] = final.h
        self._carried.c[:, :, :rows] = final.c

    # -- computation ------------------------------------------------------------------------

    def _embed_ids(self, char_ids: np.ndarray, word_ids: np.ndarray | None) -> torch.Tensor:
        chars = torch.from_numpy(char_ids).to(self.device)
        words = None if word_ids is None else torch.from_numpy(word_ids).to(self.device)
        return self.model.token_embedder(chars, words)

    def _token_vectors(self, vocab: list[str]) -> torch.Tensor:
        """(len(vocab), width) token representations, through the cache."""
        return self.cache.lookup(vocab, self._compute_tokens)

    def _compute_tokens(self, tokens: list[str]) -> torch.Tensor:
        """(len(tokens), width) token representations, computed 4,096 at a time (no tokens give
        a (0, width) tensor)."""
        parts = []
        for start in range(0, max(len(tokens), 1), 4096):
            chunk = tokens[start : start + 4096]
            words = self.mapper.word_ids(chunk) if self.mapper.has_words else None
            parts.append(self._embed_ids(self.mapper.char_ids(chunk), words))
        return torch.cat(parts)

    def _run_batch(
        self,
        sentences: list[list[str]],
        policy: str | None = None,
        out_dtype: torch.dtype = torch.float32,
    ) -> list[np.ndarray]:
        policy = policy or self.state
        width = self.model.token_embedder.output_dim
        if policy != "carry" and all(not s for s in sentences):
            shape = (self.num_layers, 0, self.dim)
            return [torch.zeros(shape, dtype=out_dtype).numpy() for _ in sentences]
        order = sorted(range(len(sentences)), key=lambda i: -len(sentences[i]))
        lengths = [len(sentences[i]) + 2 for i in order]
        total = lengths[0]
        vocab_index: dict[str, int] = {}
        rows = []
        for i in order:
            ids = [vocab_index.setdefault(tok, len(vocab_index)) for tok in sentences[i]]
            rows.append(ids)
        vocab = list(vocab_index)
        n_vocab = len(vocab)
        table = torch.cat(
            [
                self._token_vectors(vocab),
                self._boundary,
                torch.zeros(1, width, device=self.device),
            ]
        )
        bos, eos, pad = n_vocab, n_vocab + 1, n_vocab + 2
        index = np.full((len(order), total), pad, dtype=np.int64)
        for r, ids in enumerate(rows):
            index[r, 0] = bos
            index[r, 1 : len(ids) + 1] = ids
            index[r, len(ids) + 1] = eos
        x = table[torch.from_numpy(index).to(self.device)]
        sort_index = torch.as_tensor(order, device=self.device)
        if policy == "carry" or self._start is None:
            init = self._initial_state(len(order), policy)
            if init is not None and policy == "carry":
                init = init.rows(sort_index)
            layers, final = self.model.lstm(x, lengths, init, skip_final_step=policy != "carry")
        else:
            # boundary positions are dropped from the output, and the state after the first
            # step is known (``_start_state``): each direction runs one step per token
            start = self._start.repeat(len(order))
            layers, final = self.model.lstm(
                x, lengths, start, skip_final_step=True, first_step_done=True
            )
        if policy == "carry":
            unsort = torch.empty_like(sort_index)
            unsort[sort_index] = torch.arange(len(order), device=self.device)
            self._remember(final.rows(unsort))
        token_layer = torch.cat([x, x], dim=-1).unsqueeze(0)
        stacked = torch.cat([token_layer, layers]).to(out_dtype).cpu().numpy()
        out: list[np.ndarray] = [np.empty(0, stacked.dtype)] * len(sentences)
        for r, i in enumerate(order):
            out[i] = np.ascontiguousarray(stacked[:, r, 1 : lengths[r] - 1])
        return out
