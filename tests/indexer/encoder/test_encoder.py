"""Encoder behaviour: state policies, batching independence, streaming, odd input."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from indexer.encoder.loader import load_encoder
from indexer.errors import ConfigError

WORDS = "the a bank river money swan closed open on at of Sunday water flows deep".split()


def corpus(n: int, seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    return [[rng.choice(WORDS) for _ in range(rng.randint(0, 25))] for _ in range(n)]


@pytest.mark.parametrize("state", ["zero", "warm"])
def test_vectors_do_not_depend_on_batching(tiny_model: Path, state: str) -> None:
    encoder = load_encoder(tiny_model, state=state, device="cpu")
    sentences = corpus(60)
    alone = [encoder.embed_sentence(s) for s in sentences]
    for batch_tokens in (8, 100, 5000):
        streamed = list(encoder.embed_sentences(sentences, batch_tokens=batch_tokens))
        for a, b in zip(alone, streamed, strict=True):
            assert a.shape == b.shape
            np.testing.assert_array_equal(a, b)
    shuffled = list(range(60))
    random.Random(1).shuffle(shuffled)
    batch = encoder.embed_batch([sentences[i] for i in shuffled])
    for pos, i in enumerate(shuffled):
        np.testing.assert_array_equal(batch[pos], alone[i])


def test_warm_differs_from_zero(tiny_model: Path) -> None:
    zero = load_encoder(tiny_model, state="zero", device="cpu")
    warm = load_encoder(tiny_model, state="warm", device="cpu")
    sentence = "the bank is closed".split()
    a, b = zero.embed_sentence(sentence), warm.embed_sentence(sentence)
    np.testing.assert_allclose(a[0], b[0], atol=1e-6)
    assert np.abs(a[1] - b[1]).max() > 1e-4


def test_carry_depends_on_history_and_resumes(tiny_model: Path) -> None:
    encoder = load_encoder(tiny_model, state="carry", device="cpu")
    sentences = corpus(9, seed=3)
    first = encoder.embed_batch(sentences[:3])
    second = encoder.embed_batch(sentences[3:6])
    saved = encoder.export_state()
    third = encoder.embed_batch(sentences[6:9])
    fresh = load_encoder(tiny_model, state="carry", device="cpu")
    assert np.abs(fresh.embed_batch(sentences[3:6])[1][1] - second[1][1]).max() > 1e-5
    fresh.import_state(saved)
    for a, b in zip(fresh.embed_batch(sentences[6:9]), third, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert len(first) == 3
    streamed = list(
        load_encoder(tiny_model, state="carry", device="cpu").embed_sentences(
            sentences, carry_batch_size=3
        )
    )
    for a, b in zip(streamed, first + second + third, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_odd_input(tiny_model: Path) -> None:
    encoder = load_encoder(tiny_model, state="warm", device="cpu")
    assert encoder.embed_sentence([]).shape == (3, 0, 16)
    odd = ["x" * 5000, "\x00\x1b[31m", "\ud800", "日本語", "🙂", "", " "]
    out = encoder.embed_sentence(odd)
    assert out.shape == (3, len(odd), 16) and np.isfinite(out).all()
    # the 5000-character token is truncated to its first 48 bytes, as allennlp does
    same = encoder.embed_sentence(["x" * 48])
    np.testing.assert_allclose(out[0, 0], same[0, 0], atol=1e-6)
    results = list(encoder.embed_sentences([[], ["a"], []]))
    assert [r.shape[1] for r in results] == [0, 1, 0]


def test_carry_runs_a_batch_of_empty_sentences(tiny_model: Path) -> None:
    """Under ``carry`` an empty sentence still reads its boundaries, so its row's state moves
    on, as it does beside a sentence with tokens; even as the first batch of all."""
    empties = load_encoder(tiny_model, state="carry", device="cpu")
    assert [r.shape for r in empties.embed_batch([[], []])] == [(3, 0, 16)] * 2
    mixed = load_encoder(tiny_model, state="carry", device="cpu")
    assert [r.shape for r in mixed.embed_batch([[], ["a", "b"]])] == [(3, 0, 16), (3, 2, 16)]
    after_empty, after_mixed = empties.export_state(), mixed.export_state()
    np.testing.assert_allclose(after_empty["h"][:, :, 0], after_mixed["h"][:, :, 0], atol=1e-6)
    np.testing.assert_allclose(after_empty["c"][:, :, 0], after_mixed["c"][:, :, 0], atol=1e-6)
    assert np.abs(after_empty["h"]).max() > 0
    assert not np.allclose(after_empty["h"][:, :, 1], after_mixed["h"][:, :, 1], atol=1e-6)


def test_cache_reuses_token_vectors(tiny_model: Path) -> None:
    encoder = load_encoder(tiny_model, state="zero", device="cpu")
    list(encoder.embed_sentences(corpus(50, seed=4), batch_tokens=64))
    assert encoder.cache.hits > encoder.cache.misses
    assert len(encoder.cache) <= len(WORDS)


def test_describe_and_identity(tiny_model: Path, tmp_path: Path) -> None:
    encoder = load_encoder(tiny_model, state="zero", device="cpu")
    info = encoder.describe()
    assert info["dim"] == 16 and info["num_layers"] == 3 and info["state"] == "zero"
    assert len(encoder.identity) == 64
    from tests.indexer.encoder.fixtures import make_allennlp_model

    other = load_encoder(make_allennlp_model(tmp_path / "m", seed=1), state="zero", device="cpu")
    assert other.identity != encoder.identity


def test_bad_policy_and_device(tiny_model: Path) -> None:
    with pytest.raises(ConfigError, match="state policy"):
        load_encoder(tiny_model, state="sometimes")
    with pytest.raises(ConfigError, match="device"):
        load_encoder(tiny_model, device="tpu:9")


@pytest.mark.parametrize("state", ["zero", "warm"])
def test_first_step_run_once_gives_the_same_vectors(tiny_model: Path, state: str) -> None:
    encoder = load_encoder(tiny_model, state=state, device="cpu")
    sentences = corpus(40, seed=3)
    once = encoder.embed_batch(sentences)
    encoder._start = None  # every batch runs the boundary step itself
    every_batch = encoder.embed_batch(sentences)
    for a, b in zip(once, every_batch, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("state", ["warm", "carry"])
def test_float16_output_is_the_rounded_float32(tiny_model: Path, state: str) -> None:
    sentences = corpus(40, seed=9)
    full = list(load_encoder(tiny_model, state=state).embed_sentences(sentences))
    half = list(load_encoder(tiny_model, state=state).embed_sentences(sentences, dtype="float16"))
    assert all(h.dtype == np.float16 for h in half)
    for a, b in zip(full, half, strict=True):
        np.testing.assert_array_equal(a.astype(np.float16), b)
    with pytest.raises(ConfigError, match="bfloat16"):
        next(load_encoder(tiny_model).embed_sentences(sentences, dtype="bfloat16"))
