"""A real ``query serve`` over small demo-model indexes, started on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from indexer.builder.pipeline import build
from tools.sample_corpus import generate

#: How long a server may take to answer /healthz after it is started.
START_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running server: its address and the indexes it serves, by name."""

    url: str
    indexes: dict[str, Path]
    process: subprocess.Popen[bytes]

    def client(self, **options: object) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **options)  # type: ignore[arg-type]


def start(indexes: dict[str, Path], *extra: str, env: dict[str, str] | None = None) -> Server:
    """Start ``query serve`` on a free port and wait (bounded) for /healthz."""
    port = free_port()
    command = [sys.executable, "-m", "query.cli", "serve", "--port", str(port)]
    for name, path in indexes.items():
        command += ["--index", f"{name}={path}"]
    process = subprocess.Popen(
        [*command, *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"query serve exited: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Server(url, indexes, process)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop(Server(url, indexes, process))
    raise RuntimeError(f"query serve did not answer within {START_SECONDS} s")


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=5)


def demo_index(root: Path, n_sentences: int, seed: int) -> Path:
    corpus = root / "corpus.txt"
    corpus.write_text("".join(f"{s.text}\n" for s in generate(n_sentences, seed)), encoding="utf-8")
    build(corpus, model="demo", out=str(root / "index"), progress=False)
    return root / "index"


@pytest.fixture(scope="session")
def demo_indexes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two small indexes of the demo model over different sample sentences."""
    return {
        "news": demo_index(tmp_path_factory.mktemp("serve-news"), 400, seed=5),
        "other": demo_index(tmp_path_factory.mktemp("serve-other"), 150, seed=6),
    }


@pytest.fixture(scope="module")
def server(demo_indexes: dict[str, Path]) -> Iterator[Server]:
    running = start(demo_indexes, "--batch-window-ms", "50")
    yield running
    stop(running)
