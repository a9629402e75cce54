"""The downloader against a real HTTP server on 127.0.0.1 that serves generated files."""

from __future__ import annotations

import hashlib
import random
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from indexer.encoder.download import (
    CACHE_ENV,
    cache_dir,
    download_model,
    is_downloaded,
    model_dir,
    resolve_cached,
)
from indexer.encoder.registry import BUNDLED_MODELS_DIR, ModelEntry, load_registry
from indexer.errors import DownloadError, ModelNotFoundError
from tests.indexer.durable import assert_published, record_fsyncs

OPTIONS = "elmo_2x1024_128_2048cnn_1xhighway_options.json"
WEIGHTS = "elmo_2x1024_128_2048cnn_1xhighway_weights.hdf5"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Site:
    """What the test server serves and what it was asked."""

    files: dict[str, bytes]
    honour_range: bool = True
    drop_after: dict[str, int] = field(default_factory=dict)  # name -> bytes sent, once
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    base: str = ""

    def ranges(self, name: str) -> list[str | None]:
        return [rng for path, rng in self.requests if path == f"/{name}"]


def make_handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested = self.headers.get("Range")
            site.requests.append((self.path, requested))
            body = site.files.get(self.path.lstrip("/"))
            if body is None:
                self.send_error(404)
                return
            start = 0
            if requested is not None and site.honour_range:
                start = int(requested.removeprefix("bytes=").split("-")[0])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            payload = body[start:]
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            name = self.path.lstrip("/")
            if name in site.drop_after:
                payload = payload[: site.drop_after.pop(name)]
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def site() -> Iterator[Site]:
    rng = random.Random(7)
    files = {OPTIONS: b'{"lstm": {"dim": 16}}\n', WEIGHTS: rng.randbytes(300_001)}
    site = Site(files=files)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(site))
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()
    thread.join()


def served_entry(site: Site, *, checksums: bool) -> ModelEntry:
    """The registry's `small` model, its URLs pointed at the test server."""
    official = load_registry().get("small")
    files = tuple(
        replace(
            f,
            url=f"{site.base}/{f.name}",
            sha256=sha256(site.files[f.name]) if checksums else None,
        )
        for f in official.files
    )
    return replace(official, files=files)


def test_full_download_checks_registry_checksums(site, tmp_path):
    entry = served_entry(site, checksums=True)
    directory = download_model(entry, cache=tmp_path)
    assert directory == tmp_path / "small"
    assert sorted(p.name for p in directory.iterdir()) == [OPTIONS, WEIGHTS]
    assert (directory / WEIGHTS).read_bytes() == site.files[WEIGHTS]
    assert (directory / OPTIONS).read_bytes() == site.files[OPTIONS]
    assert site.ranges(WEIGHTS) == [None]
    assert resolve_cached(entry, tmp_path) == directory
    assert download_model(entry, cache=tmp_path) == directory
    assert len(site.requests) == 2  # verified files are not fetched again


def test_progress_bar_counts_bytes(site, tmp_path, capsys):
    download_model(served_entry(site, checksums=True), cache=tmp_path, progress=True)
    err = capsys.readouterr().err
    assert WEIGHTS in err
    assert "293k/293k" in err  # 300_001 bytes in KiB, total from Content-Length


def test_resume_from_truncated_part(site, tmp_path):
    entry = served_entry(site, checksums=True)
    weights = site.files[WEIGHTS]
    directory = tmp_path / "small"
    directory.mkdir()
    (directory / f"{WEIGHTS}.part").write_bytes(weights[:123_457])
    download_model(entry, cache=tmp_path)
    assert site.ranges(WEIGHTS) == ["bytes=123457-"]
    assert (directory / WEIGHTS).read_bytes() == weights
    assert not (directory / f"{WEIGHTS}.part").exists()


def test_server_ignoring_range_gets_a_full_download(site, tmp_path):
    site.honour_range = False
    entry = served_entry(site, checksums=True)
    directory = tmp_path / "small"
    directory.mkdir()
    (directory / f"{WEIGHTS}.part").write_bytes(b"\0" * 1000)  # not even a prefix
    download_model(entry, cache=tmp_path)
    assert site.ranges(WEIGHTS) == ["bytes=1000-"]
    assert (directory / WEIGHTS).read_bytes() == site.files[WEIGHTS]


def test_part_longer_than_file_is_restarted(site, tmp_path):
    entry = served_entry(site, checksums=True)
    directory = tmp_path / "small"
    directory.mkdir()
    (directory / f"{WEIGHTS}.part").write_bytes(b"\0" * 400_000)
    download_model(entry, cache=tmp_path)
    assert site.ranges(WEIGHTS) == ["bytes=400000-", None]
    assert (directory / WEIGHTS).read_bytes() == site.files[WEIGHTS]


def test_dropped_connection_keeps_the_part_and_resumes(site, tmp_path):
    entry = served_entry(site, checksums=False)
    site.drop_after[WEIGHTS] = 5000
    with pytest.raises(DownloadError, match=r"dropped after 5000 of 300001 bytes.*resume"):
        download_model(entry, cache=tmp_path)
    part = tmp_path / "small" / f"{WEIGHTS}.part"
    assert part.read_bytes() == site.files[WEIGHTS][:5000]
    download_model(entry, cache=tmp_path)
    assert site.ranges(WEIGHTS) == [None, "bytes=5000-"]
    assert (tmp_path / "small" / WEIGHTS).read_bytes() == site.files[WEIGHTS]


def test_checksum_mismatch_deletes_the_download(site, tmp_path):
    entry = served_entry(site, checksums=True)
    wrong = "0" * 64
    entry = replace(entry, files=(entry.files[0], replace(entry.files[1], sha256=wrong)))
    with pytest.raises(DownloadError) as info:
        download_model(entry, cache=tmp_path)
    message = str(info.value)
    assert f"checksum mismatch for {site.base}/{WEIGHTS}" in message
    assert f"expected sha256 {wrong} (from the registry)" in message
    assert f"got {sha256(site.files[WEIGHTS])}" in message
    assert sorted(p.name for p in (tmp_path / "small").iterdir()) == [OPTIONS]
    assert resolve_cached(entry, tmp_path) is None
    assert not is_downloaded(entry, tmp_path)


def test_corrupt_part_fails_the_checksum_then_downloads_cleanly(site, tmp_path):
    entry = served_entry(site, checksums=True)
    directory = tmp_path / "small"
    directory.mkdir()
    (directory / f"{WEIGHTS}.part").write_bytes(b"\0" * 1000)
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download_model(entry, cache=tmp_path)
    assert not (directory / f"{WEIGHTS}.part").exists()
    download_model(entry, cache=tmp_path)
    assert (directory / WEIGHTS).read_bytes() == site.files[WEIGHTS]


def test_unreachable_server_says_so_in_one_sentence(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    entry = load_registry().get("small")
    url = f"http://127.0.0.1:{port}/{OPTIONS}"
    entry = replace(entry, files=(replace(entry.files[0], url=url),))
    with pytest.raises(DownloadError) as info:
        download_model(entry, cache=tmp_path, timeout=5.0)
    message = str(info.value)
    assert message.startswith(f"cannot reach {url}: ")
    assert message.endswith(
        "; you are offline or the server is down; "
        "pass a local model directory with --model PATH or --model demo"
    )
    assert "\n" not in message


def test_http_error_names_url_and_status(site, tmp_path):
    del site.files[OPTIONS]
    with pytest.raises(DownloadError, match=f"{site.base}/{OPTIONS} answered HTTP 404"):
        download_model(served_entry(site, checksums=False), cache=tmp_path)


def test_first_download_records_digests(site, tmp_path):
    entry = served_entry(site, checksums=False)
    directory = download_model(entry, cache=tmp_path)
    for name in (OPTIONS, WEIGHTS):
        record = (directory / f"{name}.sha256").read_text(encoding="utf-8")
        assert record == f"{sha256(site.files[name])}  {name}\n"
    assert resolve_cached(entry, tmp_path) == directory


def test_tampered_cached_file_is_detected_and_fetched_again(site, tmp_path):
    entry = served_entry(site, checksums=False)
    directory = download_model(entry, cache=tmp_path)
    weights = directory / WEIGHTS
    weights.write_bytes(weights.read_bytes()[:-1] + b"!")
    assert resolve_cached(entry, tmp_path) is None
    assert is_downloaded(entry, tmp_path)  # present, though not verified
    download_model(entry, cache=tmp_path)
    assert weights.read_bytes() == site.files[WEIGHTS]
    assert site.ranges(WEIGHTS) == [None, None]


def test_file_changed_upstream_is_rejected_against_the_record(site, tmp_path):
    entry = served_entry(site, checksums=False)
    directory = download_model(entry, cache=tmp_path)
    recorded = sha256(site.files[WEIGHTS])
    (directory / WEIGHTS).unlink()
    site.files[WEIGHTS] = site.files[WEIGHTS][::-1]
    with pytest.raises(DownloadError) as info:
        download_model(entry, cache=tmp_path)
    message = str(info.value)
    assert f"expected sha256 {recorded} (from {directory / WEIGHTS}.sha256)" in message
    assert f"got {sha256(site.files[WEIGHTS])}" in message
    assert not (directory / WEIGHTS).exists()
    assert not (directory / f"{WEIGHTS}.part").exists()


def test_file_without_any_checksum_is_not_trusted(site, tmp_path):
    entry = served_entry(site, checksums=False)
    directory = download_model(entry, cache=tmp_path)
    (directory / f"{WEIGHTS}.sha256").unlink()
    assert resolve_cached(entry, tmp_path) is None


def test_cache_dir_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "env"
    monkeypatch.delenv(CACHE_ENV)
    assert cache_dir() == tmp_path / "xdg" / "elmo-index"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "elmo-index"


def test_download_uses_the_env_cache(site, monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "env"))
    directory = download_model(served_entry(site, checksums=True))
    assert directory == tmp_path / "env" / "small"
    assert (directory / WEIGHTS).read_bytes() == site.files[WEIGHTS]


def test_path_entry_is_returned_without_download(site, tmp_path):
    entry = ModelEntry("mine", "allennlp", "d", None, (), str(tmp_path))
    assert download_model(entry, cache=tmp_path / "cache") == tmp_path
    assert resolve_cached(entry) == tmp_path
    assert is_downloaded(entry)
    assert site.requests == []
    missing = replace(entry, path=str(tmp_path / "absent"))
    assert resolve_cached(missing) is None
    with pytest.raises(ModelNotFoundError, match="absent, which does not exist"):
        download_model(missing)


def test_demo_resolves_to_the_bundled_directory(tmp_path):
    demo = load_registry().get("demo")
    assert model_dir(demo, tmp_path) == BUNDLED_MODELS_DIR / "demo"


def test_a_finished_download_and_its_record_are_put_in_place_durably(site, tmp_path, monkeypatch):
    synced = record_fsyncs(monkeypatch)
    directory = download_model(served_entry(site, checksums=False), cache=tmp_path)
    for name in (OPTIONS, WEIGHTS):
        assert_published(synced, directory / name, written_as=directory / f"{name}.part")
        assert_published(synced, directory / f"{name}.sha256")
    names = [OPTIONS, f"{OPTIONS}.sha256", WEIGHTS, f"{WEIGHTS}.sha256"]
    assert sorted(p.name for p in directory.iterdir()) == names


def test_a_record_that_cannot_be_written_is_a_download_error(site, tmp_path):
    directory = tmp_path / "small"
    (directory / f"{WEIGHTS}.sha256").mkdir(parents=True)  # a folder where the record goes
    with pytest.raises(DownloadError, match=rf"{WEIGHTS}\.sha256: cannot store the download"):
        download_model(served_entry(site, checksums=False), cache=tmp_path)
    assert (directory / f"{WEIGHTS}.part").read_bytes() == site.files[WEIGHTS]  # kept
    assert not (directory / WEIGHTS).exists()
    assert not list(directory.glob("*tmp*"))


def test_a_download_that_cannot_be_put_in_place_is_a_download_error(site, tmp_path):
    directory = tmp_path / "small"
    (directory / WEIGHTS).mkdir(parents=True)  # a folder where the file goes
    with pytest.raises(DownloadError, match=rf"{WEIGHTS}: cannot store the download"):
        download_model(served_entry(site, checksums=True), cache=tmp_path)
    assert (directory / f"{WEIGHTS}.part").read_bytes() == site.files[WEIGHTS]  # kept
    assert (directory / WEIGHTS).is_dir()
