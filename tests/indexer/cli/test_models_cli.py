"""`indexer models list|download` through Typer's CliRunner, against a local HTTP server."""

from __future__ import annotations

import functools
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from indexer.cli import app
from indexer.encoder.download import CACHE_ENV
from indexer.encoder.registry import REGISTRY_ENV

runner = CliRunner()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, Path]]:
    """A directory of model files served over HTTP: (base URL, directory)."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "tiny_options.json").write_text('{"dim": 8}\n', encoding="utf-8")
    (root / "tiny_weights.hdf5").write_bytes(bytes(range(256)) * 40)
    handler = functools.partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()
    thread.join()


def use_registry(monkeypatch, tmp_path: Path, base: str) -> None:
    text = f"""
default = "tiny"

[models.tiny]
family = "allennlp"
description = "A tiny test model."
dim = 16

[[models.tiny.files]]
url = "{base}/tiny_options.json"
sha256 = ""

[[models.tiny.files]]
url = "{base}/tiny_weights.hdf5"
sha256 = ""
"""
    path = tmp_path / "models.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv(REGISTRY_ENV, str(path))


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch, tmp_path) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    monkeypatch.delenv(REGISTRY_ENV, raising=False)
    return cache


def test_list_shows_the_shipped_models():
    result = runner.invoke(app, ["models", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "dim", "cached", "description"]
    names = [line.split()[0] for line in lines[1:]]
    assert names == ["small", "medium", "original", "original-5.5b", "demo"]
    assert lines[1].split()[:5] == ["small", "(default)", "256", "no", "Official"]
    assert lines[4].split()[:3] == ["original-5.5b", "1024", "no"]
    assert "not a general English model." in lines[5]


def test_download_then_list_shows_it_cached(monkeypatch, tmp_path, served, empty_cache):
    base, root = served
    use_registry(monkeypatch, tmp_path, base)
    result = runner.invoke(app, ["models", "download", "tiny", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{empty_cache / 'tiny'}\n"
    for name in ("tiny_options.json", "tiny_weights.hdf5"):
        assert (empty_cache / "tiny" / name).read_bytes() == (root / name).read_bytes()
    listed = runner.invoke(app, ["models", "list"])
    assert listed.stdout.splitlines()[1].split()[:4] == ["tiny", "(default)", "16", "yes"]


def test_download_into_a_chosen_cache_dir(monkeypatch, tmp_path, served):
    base, _ = served
    use_registry(monkeypatch, tmp_path, base)
    chosen = tmp_path / "chosen"
    result = runner.invoke(app, ["models", "download", "tiny", "--cache-dir", str(chosen)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{chosen / 'tiny'}\n"
    assert (chosen / "tiny" / "tiny_weights.hdf5").is_file()


def test_unknown_model_is_one_error_line():
    result = runner.invoke(app, ["models", "download", "huge"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: unknown model 'huge'; known models: small, medium, original, original-5.5b, "
        "demo (or pass a model directory path)\n"
    )


def test_unreachable_server_is_one_error_line(monkeypatch, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    use_registry(monkeypatch, tmp_path, f"http://127.0.0.1:{port}")
    result = runner.invoke(app, ["models", "download", "tiny"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: cannot reach http://127.0.0.1:{port}/tiny_options.json: ")
    assert lines[0].endswith("--model PATH or --model demo")
    assert "Traceback" not in result.output


def test_bad_registry_is_one_error_line(monkeypatch, tmp_path):
    path = tmp_path / "models.toml"
    path.write_text("default = [", encoding="utf-8")
    monkeypatch.setenv(REGISTRY_ENV, str(path))
    result = runner.invoke(app, ["models", "list"])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {path}: not valid TOML")
