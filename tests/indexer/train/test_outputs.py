"""The files of a model directory that are read back are replaced durably: the exported model,
its vocabulary and the progress log cut back on resume."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict

from indexer.encoder.allennlp_format import load_allennlp
from indexer.encoder.model import BiLM
from indexer.train.outputs import LOG_FILE, VOCAB_FILE, EvalRecord, export_model, truncate_log
from indexer.train.vocab import Vocabulary, build_vocabulary
from tests.indexer.durable import assert_published, record_fsyncs
from tests.indexer.train.conftest import MICRO


def record(step: int) -> EvalRecord:
    return EvalRecord(step, 10, step / 10, 8 * step, 1.0 / step, None, None, None, 100.0)


def test_truncate_log_replaces_the_log_durably(tmp_path, monkeypatch):
    log = tmp_path / LOG_FILE
    lines = [json.dumps(asdict(record(step))) + "\n" for step in (1, 2, 3)]
    log.write_text("".join(lines) + '{"step": 4, "tok', encoding="utf-8")  # cut by a kill
    synced = record_fsyncs(monkeypatch)
    truncate_log(tmp_path, 2)
    assert log.read_text(encoding="utf-8") == "".join(lines[:2])
    assert_published(synced, log)
    assert [p.name for p in tmp_path.iterdir()] == [LOG_FILE]


def test_export_writes_every_model_file_durably(tmp_path, monkeypatch):
    bilm = BiLM.random(MICRO.model, seed=3)
    vocab = build_vocabulary(Counter({"a": 3, "b": 1}), n_sentences=2, max_words=2)
    synced = record_fsyncs(monkeypatch)
    export_model(bilm, vocab, tmp_path)
    for name in ("options.json", "weights.hdf5", VOCAB_FILE):
        assert_published(synced, tmp_path / name)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "options.json",
        VOCAB_FILE,
        "weights.hdf5",
    ]
    assert Vocabulary.load(tmp_path / VOCAB_FILE) == vocab
    weights, _ = load_allennlp(tmp_path / "options.json", tmp_path / "weights.hdf5")
    assert weights.num_layers == bilm.to_weights().num_layers
