"""Training runs of the micro preset: learning, the allennlp round trip, resuming, refusals."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from indexer.encoder.loader import load_encoder
from indexer.errors import ConfigError
from indexer.train import EvalRecord, train
from indexer.train.checkpoint import list_checkpoints, load_checkpoint
from indexer.train.data import TokenTypes, encode_sentences, stream_rows, window_frames
from indexer.train.lm import LanguageModel
from indexer.train.tensors import window_tensors
from indexer.train.vocab import Vocabulary
from tests.indexer.train.conftest import micro

SENTENCE = ["Anna", "sat", "on", "the", "bank", "of", "the", "river", "."]


def memory_vectors(model: LanguageModel, tokens: list[str]) -> np.ndarray:
    """(3, n, dim) vectors of one sentence computed by the training code path, zero state."""
    types = TokenTypes()
    rows_in, rows_target = stream_rows(encode_sentences([tokens], types), 1)
    inputs, targets = window_frames(rows_in, rows_target, 0, rows_in.shape[1])
    t = window_tensors(
        inputs, targets, types.char_table(), np.zeros(len(types), np.int64), torch.device("cpu")
    )
    model.eval()
    with torch.no_grad():
        x = model.frames(t.chars, t.index)
        layers, _ = model.bilm.lstm.forward_frames(x, [x.shape[2]], None)
    n = len(tokens)
    # forward position i reads <S> w1..wi; backward position n-i+1 reads </S> wn..wi
    fwd = torch.cat([x[0:1, 0], layers[:, 0, 0]])[:, 1 : n + 1]
    bwd = torch.cat([x[1:2, 0], layers[:, 1, 0]])[:, 1 : n + 1].flip(1)
    return torch.cat([fwd, bwd], dim=-1).numpy()


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    records: list[EvalRecord] = []
    result = train(
        corpus, out, micro(max_steps=40, eval_every=20, checkpoint_every=20), on_eval=records.append
    )
    return result, records


def test_training_lowers_heldout_perplexity_and_writes_an_allennlp_model(trained):
    result, records = trained
    assert [r.step for r in records] == [20, 40]
    assert records[1].perplexity < records[0].perplexity < len(result.model.softmax_bias)
    assert result.steps == 40 and result.tokens == 40 * 4 * 8
    assert not result.sampled_softmax
    files = {p.name for p in result.model_dir.iterdir()}
    assert {"options.json", "weights.hdf5", "vocab.txt", "train_log.jsonl", "checkpoints"} <= files
    options = json.loads((result.model_dir / "options.json").read_text())
    assert options["lstm"]["dim"] == 32 and options["lstm"]["projection_dim"] == 16
    assert options["char_cnn"]["filters"] == [[1, 8], [2, 8], [3, 16]]
    log = [json.loads(line) for line in (result.model_dir / "train_log.jsonl").open()]
    assert [r["step"] for r in log] == [20, 40]
    vocab = Vocabulary.load(result.model_dir / "vocab.txt")
    assert vocab.words[:3] == ("<S>", "</S>", "<UNK>") and "bank" in vocab.words


def test_saved_files_give_the_vectors_of_the_model_in_memory(trained):
    result, _ = trained
    expected = memory_vectors(result.model, SENTENCE)
    encoder = load_encoder(result.model_dir, state="zero", device="cpu")
    got = encoder.embed_sentence(SENTENCE)
    assert got.shape == expected.shape == (3, len(SENTENCE), 32)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert np.abs(got[2]).max() > 1e-3  # not a degenerate model


def test_resumed_training_equals_uninterrupted_training(corpus, tmp_path):
    whole = train(corpus, tmp_path / "whole", micro(max_steps=6, checkpoint_every=3))
    first = train(corpus, tmp_path / "split", micro(max_steps=3, checkpoint_every=3))
    assert first.steps == 3
    second = train(corpus, tmp_path / "split", micro(max_steps=6, checkpoint_every=3), resume=True)
    assert second.resumed_from == 3 and second.steps == 6
    for (name, a), (_, b) in zip(
        whole.model.state_dict().items(), second.model.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name
    assert [p.name for p in list_checkpoints(tmp_path / "split")] == [
        "step-000000003.pt",
        "step-000000006.pt",
    ]


def test_checkpoints_are_pruned_and_load_with_weights_only(corpus, tmp_path):
    train(corpus, tmp_path, micro(max_steps=8, checkpoint_every=2, keep_checkpoints=2))
    names = [p.name for p in list_checkpoints(tmp_path)]
    assert names == ["step-000000006.pt", "step-000000008.pt"]
    checkpoint = load_checkpoint(list_checkpoints(tmp_path)[-1])
    assert checkpoint["step"] == 8 and checkpoint["lstm_state"]["h"].shape == (2, 2, 4, 16)


def test_sampled_softmax_above_the_threshold(corpus, tmp_path):
    preset = micro(max_steps=4, sampled_softmax_threshold=50, n_samples=40)
    result = train(corpus, tmp_path, preset)
    assert result.sampled_softmax and result.perplexity is not None


def test_an_existing_model_needs_resume_or_overwrite(trained, corpus, tmp_path):
    result, _ = trained
    with pytest.raises(ConfigError, match=r"--resume .* --overwrite"):
        train(corpus, result.model_dir, micro())
    again = train(corpus, tmp_path / "fresh", micro(max_steps=2))
    redone = train(corpus, again.model_dir, micro(max_steps=3), overwrite=True)
    assert redone.steps == 3 and redone.resumed_from is None
    with pytest.raises(ConfigError, match="no checkpoint"):
        train(corpus, tmp_path / "empty", micro(), resume=True)


def test_resume_refuses_changed_data_settings(trained, corpus):
    result, _ = trained
    with pytest.raises(ConfigError, match="batch_size=4"):
        train(corpus, result.model_dir, micro(batch_size=8), resume=True)
