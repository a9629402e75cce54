"""What `indexer` says: a mistake in one line naming the option as typed, Ctrl-C in a build with
how to resume, an append that needs no option but the corpus, and optimize's own lines."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.builder import pipeline
from indexer.cli import app
from tests.indexer.builder.conftest import make_sentences, write_corpus
from tests.indexer.builder.fakes import FakeEncoder

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[3] / "configs" / "sample" / "corpus.txt"


@pytest.fixture
def fake_model(monkeypatch):
    monkeypatch.setattr(pipeline, "load_model", lambda config: FakeEncoder(state=config.state))


def one_error_line(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.stderr
    return lines[0]


def sample_lines(path: Path, first: int, last: int) -> Path:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[first:last]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--dtype", "float64"], "--dtype must be one of float16, float32, int8; got 'float64'"),
        (["--errors", "ignore"], "--errors must be one of strict, replace, skip; got 'ignore'"),
        (["--state", "hot"], "--state must be one of warm, zero, carry; got 'hot'"),
        (["--shard-rows", "0"], "--shard-rows must be at least 1, got 0"),
        (["--batch-tokens", "0"], "--batch-tokens must be at least 1, got 0"),
        (["--max-sentence-tokens", "0"], "--max-sentence-tokens must be at least 1, got 0"),
        (["--long-sentences", "cut"], "--long-sentences must be one of split, skip; got 'cut'"),
    ],
)
def test_a_setting_checked_in_the_library_is_named_as_typed(tmp_path, options, message):
    corpus = write_corpus(tmp_path / "c.txt", make_sentences(3))
    assert one_error_line("build", str(corpus), *options) == f"error: {message}"


def test_bad_utf8_names_the_errors_option(tmp_path, fake_model):
    corpus = tmp_path / "bad.txt"
    corpus.write_bytes(b"a b\nc \xff d\n")
    line = one_error_line("build", str(corpus), "--out", str(tmp_path / "idx"))
    assert line == (
        f"error: {corpus}:2: invalid UTF-8 at byte 3 of the line (read it with --errors "
        "replace or skip to go on)"
    )


def test_an_empty_corpus_says_so_in_one_line(tmp_path, fake_model):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    assert one_error_line("build", str(empty), "--out", str(tmp_path / "a")) == (
        f"error: {empty}: the corpus is empty; give a file with one sentence per line"
    )
    blank = tmp_path / "blank.txt"
    blank.write_text("\n\n  \n", encoding="utf-8")
    line = one_error_line("build", str(blank), "--out", str(tmp_path / "b"))
    assert line == (
        f"error: {blank}: no sentence to index in 5 bytes read (nothing skipped); check "
        "--format and the corpus"
    )
    assert "ReadStats" not in line


def test_an_append_takes_the_model_layers_and_dtype_from_the_index(tmp_path):
    first = sample_lines(tmp_path / "a.txt", 0, 120)
    more = sample_lines(tmp_path / "more.txt", 120, 200)
    out = str(tmp_path / "idx")
    options = ["--model", "demo", "--layers", "2", "--dtype", "float32", "--shard-rows", "500"]
    built = runner.invoke(app, ["build", str(first), *options, "--out", out, "--no-progress"])
    assert built.exit_code == 0, built.output
    before = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    appended = runner.invoke(app, ["build", str(more), "--append", "--out", out, "--no-progress"])
    assert appended.exit_code == 0, appended.output
    after = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert after["settings"] == before["settings"]
    assert after["settings"]["layers"] == [2] and after["settings"]["dtype"] == "float32"
    assert after["model"]["name"] == "demo" and len(after["corpora"]) == 2
    assert appended.stdout.startswith(f"appended the corpus to {out} in ")
    assert "(128-dim float32 vectors, layer 2)" in appended.stdout
    refused = runner.invoke(app, ["build", str(more), "--append", "--out", out, "--dtype", "int8"])
    assert refused.exit_code == 1
    assert "cannot be appended (dtype: 'float32' -> 'int8')" in refused.stderr.splitlines()[-1]


def test_ctrl_c_in_a_build_says_the_same_command_resumes_it(tmp_path):
    corpus = sample_lines(tmp_path / "c.txt", 0, 1500)
    command = [sys.executable, "-m", "indexer.cli", "build", str(corpus), "--model", "demo"]
    command += ["--layers", "2", "--shard-rows", "1000", "--progress-interval", "0.01"]
    command += ["--out", str(tmp_path / "idx")]
    build = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        manifest = tmp_path / "idx" / "manifest.json"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and build.poll() is None:
            if manifest.is_file() and json.loads(manifest.read_text())["shards"]:
                break  # a shard is committed
            time.sleep(0.05)
        build.send_signal(signal.SIGINT)
        _, err = build.communicate(timeout=60)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait(timeout=5)
    assert build.returncode == 130, err
    assert err.splitlines()[-1] == (
        "interrupted; the committed shards are kept: run the same command again to resume"
    )
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert re.search(r"resumed after shard \d+:", again.stdout.splitlines()[0])


def test_optimize_writes_its_own_lines_once(tmp_path, fake_model):
    first = write_corpus(tmp_path / "a.txt", make_sentences(40, seed=5))
    more = write_corpus(tmp_path / "b.txt", make_sentences(30, seed=6))
    out = str(tmp_path / "idx")
    for args in ([str(first)], [str(more), "--append"]):
        done = runner.invoke(app, ["build", *args, "--out", out, "--no-progress"])
        assert done.exit_code == 0, done.output
    merged = runner.invoke(app, ["optimize", out])
    assert merged.exit_code == 0, merged.output
    assert re.fullmatch(
        rf"merged the 2 segments of {re.escape(out)} into one in [\d.]+ s\n", merged.stdout
    )
    stamp, seconds = r"^\[\d\d:\d\d:\d\d\] ", r"in \d+\.\d s$"
    lines = [re.sub(seconds, "in T", re.sub(stamp, "", x)) for x in merged.stderr.splitlines()]
    assert lines == [
        "indexer optimize: merge 1/4: built the lexicon (45 token types)",
        "indexer optimize: layers 0, 1, 2: writing Flat indexes (exact: 443 vectors <= "
        "flat_max_vectors 100,000 and 13.8 KiB fits 4.0 GiB)",
        "indexer optimize: merge 2/4: layer 0: Flat, recall@10 1.000 in T",
        "indexer optimize: merge 3/4: layer 1: Flat, recall@10 1.000 in T",
        "indexer optimize: merge 4/4: layer 2: Flat, recall@10 1.000 in T",
    ]
