"""The biLM modules: character spans, inference and general LSTM paths, skipped final steps."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
import torch

from indexer.encoder import kernels
from indexer.encoder.chars import AllennlpCharMapper
from indexer.encoder.model import BiLM, TokenEmbedder
from tests.indexer.encoder.fixtures import TINY, random_weights

WIDE = replace(TINY, filters=((1, 4), (3, 8), (7, 16)), activation="tanh")


def words(n: int, seed: int) -> list[str]:
    """Tokens of 1 to 60 characters, some of them with multi-byte characters."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzéűß-.,0123456789"
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(n)]


@pytest.fixture(params=["relu", "tanh"])
def embedder(request: pytest.FixtureRequest) -> TokenEmbedder:
    spec = replace(WIDE, activation=request.param)
    return BiLM.from_weights(random_weights(spec, seed=3)).token_embedder


def test_char_spans_give_the_full_convolution(embedder: TokenEmbedder) -> None:
    ids = torch.from_numpy(AllennlpCharMapper().char_ids([*words(200, seed=1), "", "a", "x" * 48]))
    with torch.inference_mode():
        trimmed = embedder._char_features(ids)
        full = embedder._convolve(ids)
    torch.testing.assert_close(trimmed, full, atol=1e-6, rtol=1e-6)


def test_token_vectors_do_not_depend_on_the_other_tokens(embedder: TokenEmbedder) -> None:
    tokens = words(120, seed=2)
    ids = torch.from_numpy(AllennlpCharMapper().char_ids(tokens))
    with torch.inference_mode():
        together = embedder(ids)
        for start, size in [(0, 1), (7, 5), (30, 90)]:
            alone = embedder(ids[start : start + size])
            assert torch.equal(alone, together[start : start + size])


def sorted_batch(seed: int) -> tuple[torch.Tensor, list[int]]:
    gen = torch.Generator().manual_seed(seed)
    lengths = sorted([11, 9, 9, 5, 3, 2, 2, 12, 1, 7], reverse=True)
    x = torch.randn(len(lengths), max(lengths), TINY.projection_dim, generator=gen)
    for row, n in enumerate(lengths):
        x[row, n:] = 0.0
    return x, lengths


def test_inference_path_matches_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    lstm = BiLM.from_weights(random_weights(seed=4)).lstm
    x, lengths = sorted_batch(0)
    state = lstm.zero_state(len(lengths), x)
    state.h.normal_(0.0, 0.5, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        fast, fast_final = lstm(x, lengths, state)
    with torch.enable_grad():
        general, general_final = lstm(x, lengths, state)
    torch.testing.assert_close(fast, general.detach(), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(fast_final.h, general_final.h.detach(), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(fast_final.c, general_final.c.detach(), atol=1e-5, rtol=1e-5)
    # the general path without autograd (as on a GPU) computes in place
    monkeypatch.setattr(kernels, "_ONEDNN_LINEAR", None)
    with torch.inference_mode():
        in_place, in_place_final = lstm(x, lengths, state)
    torch.testing.assert_close(in_place, general.detach(), atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(in_place_final.c, general_final.c.detach(), atol=1e-6, rtol=1e-6)
    assert float(fast[:, 0, lengths[0] - 1].abs().sum()) > 0.0


@pytest.mark.parametrize("inference", [True, False])
def test_skipping_the_final_step_keeps_the_inner_positions(inference: bool) -> None:
    lstm = BiLM.from_weights(random_weights(seed=5)).lstm
    x, lengths = sorted_batch(1)
    context = torch.inference_mode() if inference else torch.enable_grad()
    with context:
        full, _ = lstm(x, lengths)
        skipped, _ = lstm(x, lengths, skip_final_step=True)
    full, skipped = full.detach(), skipped.detach()
    for row, n in enumerate(lengths):
        if n > 2:
            assert torch.equal(skipped[:, row, 1 : n - 1], full[:, row, 1 : n - 1])
        half = lstm.hidden_dim
        # the forward stack never reads the last position, the backward stack never the first
        assert float(skipped[:, row, n - 1, :half].abs().sum()) == 0.0
        assert float(skipped[:, row, 0, half:].abs().sum()) == 0.0


def test_first_step_done_continues_from_the_given_state() -> None:
    lstm = BiLM.from_weights(random_weights(seed=6)).lstm
    x, lengths = sorted_batch(2)
    x[:, 0] = x[0, 0]  # every row starts with the same token, as sentences start with <S>
    for row, n in enumerate(lengths):
        x[row, n - 1] = x[0, lengths[0] - 1]  # ... and ends with the same one
    with torch.inference_mode():
        full, _ = lstm(x, lengths)
        frames = torch.stack([x[:1, :1], x[:1, lengths[0] - 1 :]])
        _, after_first = lstm.forward_frames(frames, [1])
        start = after_first.rows(torch.zeros(len(lengths), dtype=torch.long))
        resumed, _ = lstm(x, lengths, start, first_step_done=True)
    half = lstm.hidden_dim
    for row, n in enumerate(lengths):
        if n > 2:
            assert torch.equal(resumed[:, row, 1 : n - 1], full[:, row, 1 : n - 1])
        assert float(resumed[:, row, 0, :half].abs().sum()) == 0.0
        assert float(resumed[:, row, n - 1, half:].abs().sum()) == 0.0
