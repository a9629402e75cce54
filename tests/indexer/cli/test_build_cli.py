"""`indexer build` and `indexer info` through the real `indexer` app: exit codes and messages."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from indexer.builder import pipeline
from indexer.cli import app
from indexer.encoder.download import CACHE_ENV
from indexer.store.layout import DEFAULT_INDEX_DIR
from tests.indexer.builder.conftest import make_sentences, write_corpus
from tests.indexer.builder.fakes import FakeEncoder

runner = CliRunner()


@pytest.fixture
def fake_model(monkeypatch):
    monkeypatch.setattr(pipeline, "load_model", lambda config: FakeEncoder(state=config.state))


@pytest.fixture
def corpus(tmp_path):
    return write_corpus(tmp_path / "corpus.txt", make_sentences(40, seed=5))


def test_two_words_build_into_the_default_directory(tmp_path, corpus, fake_model, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["build", "corpus.txt", "--progress-interval", "0.000001"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / DEFAULT_INDEX_DIR / "manifest.json").is_file()
    assert result.stdout.startswith(f"built {DEFAULT_INDEX_DIR} in ")
    assert "corpus: 40 sentences" in result.stdout
    assert "layer 2: Flat, recall@10 1.000" in result.stdout
    # Not a terminal: plain progress lines on stderr, no bar.
    assert "indexer build: encoded " in result.stderr and "tokens/s" in result.stderr

    info = runner.invoke(app, ["info", "--verify"])
    assert info.exit_code == 0, info.output
    lines = info.stdout.splitlines()
    assert lines[0] == f"{DEFAULT_INDEX_DIR}: complete (format version 2)"
    assert "layers: 0, 1, 2 (float16, dim 8)" in lines
    assert lines[-1] == "verified: every file matches the manifest"
    data = json.loads(runner.invoke(app, ["info", "--json"]).stdout)
    assert data["complete"] is True and data["corpora"][0]["sentences"] == 40


def test_rerun_with_other_settings_is_refused_then_overwritten(tmp_path, corpus, fake_model):
    out = str(tmp_path / "idx")
    assert runner.invoke(app, ["build", str(corpus), "--out", out, "--no-progress"]).exit_code == 0
    again = runner.invoke(app, ["build", str(corpus), "--out", out, "--layers", "2"])
    assert again.exit_code == 1
    assert again.stderr.startswith(f"error: {out}: holds an index built with other settings")
    assert "layers: [0, 1, 2] -> [2]" in again.stderr and "--overwrite" in again.stderr
    assert "Traceback" not in again.output
    done = runner.invoke(app, ["build", str(corpus), "--out", out])
    assert done.exit_code == 0 and "already complete" in done.stdout
    over = runner.invoke(app, ["build", str(corpus), "--out", out, "--layers", "2", "--overwrite"])
    assert over.exit_code == 0, over.output
    assert "vectors, layer 2)" in over.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "missing.txt"], "error: missing.txt: no such file"),
        (["build", "{corpus}", "--dtype", "float8"], "dtype must be one of float16, float32"),
        (["build", "{corpus}", "--layers", "0,x"], "layers must be integers"),
        (["build", "{corpus}", "--layers", "5"], "layer 5 does not exist"),
        (["build", "{corpus}", "--resume", "--overwrite"], "exclude each other"),
        (["build", "{corpus}", "--max-index-memory", "lots"], "cannot read 'lots' as a size"),
        (["info", "nowhere"], "error: nowhere: not an index directory"),
    ],
)
def test_user_errors_are_one_line(tmp_path, corpus, fake_model, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [a.format(corpus=corpus) for a in args])
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_missing_default_model_names_the_ways_out(tmp_path, corpus, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "empty-cache"))
    result = runner.invoke(app, ["build", str(corpus), "--out", str(tmp_path / "idx")])
    assert result.exit_code == 1
    assert "--model demo" in result.stderr
    assert "`indexer models download small`" in result.stderr
    assert not (tmp_path / "idx").exists()


def test_append_optimize_and_upgrade_commands(tmp_path, corpus, fake_model):
    out = str(tmp_path / "idx")
    more = write_corpus(tmp_path / "more.txt", make_sentences(30, seed=6))
    assert runner.invoke(app, ["build", str(corpus), "--out", out, "--no-progress"]).exit_code == 0
    appended = runner.invoke(app, ["build", str(more), "--out", out, "--append", "--no-progress"])
    assert appended.exit_code == 0, appended.output
    assert "corpus: 70 sentences" in appended.stdout
    info = runner.invoke(app, ["info", out])
    assert "in 2 segments" in info.stdout and f"corpus: {more} (text" in info.stdout
    merged = runner.invoke(app, ["optimize", out, "--no-progress"])
    assert merged.exit_code == 0 and merged.stdout.startswith("merged the 2 segments of ")
    assert "nothing to merge" in runner.invoke(app, ["optimize", out]).stdout
    assert "already in format version 2" in runner.invoke(app, ["upgrade", out]).stdout
    wrong = runner.invoke(app, ["build", str(more), "--out", out, "--append", "--dtype", "float32"])
    assert wrong.exit_code == 1 and "cannot be appended (dtype: 'float16' -> 'float32')" in (
        wrong.stderr
    )
