"""``query serve`` on a terminal: the address it serves and a ready line, a busy port named with
the option to change, and a stopped line after Ctrl-C (a real server process on loopback)."""

from __future__ import annotations

import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from indexer.errors import QueryError
from query.serve.listen import bind, urls
from tests.query.serve.conftest import START_SECONDS

SERVE = [sys.executable, "-m", "query.cli", "serve"]


def next_line(process: subprocess.Popen[str], seconds: float) -> str:
    """The next line the process writes to stderr, waiting at most ``seconds``."""
    assert process.stderr is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        if not selector.select(timeout=seconds):
            raise AssertionError(f"no line from query serve within {seconds} s")
    return process.stderr.readline().rstrip("\n")


def test_serve_prints_its_address_and_ready_then_stopped_after_ctrl_c(
    demo_indexes: dict[str, Path],
):
    server = subprocess.Popen(
        [*SERVE, "--index", f"news={demo_indexes['news']}", "--port", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        serving = next_line(server, START_SECONDS)
        match = re.fullmatch(r"serving 1 index \(news\) at http://127\.0\.0\.1:(\d+)/", serving)
        assert match, serving
        port = int(match.group(1))
        assert next_line(server, START_SECONDS) == "ready; Ctrl-C stops"
        answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert answer.status_code == 200 and answer.json() == {"status": "ok"}

        busy = subprocess.run(
            [*SERVE, "--index", str(demo_indexes["news"]), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=START_SECONDS,
        )
        assert busy.returncode == 1
        assert busy.stderr.splitlines() == [
            f"error: 127.0.0.1:{port} is in use (another server?); choose another --port"
        ]

        server.send_signal(signal.SIGINT)
        assert next_line(server, 20) == "stopped"
        assert server.wait(timeout=20) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=5)


def test_a_missing_index_is_refused_before_anything_listens(tmp_path: Path):
    started = time.monotonic()
    done = subprocess.run(
        [*SERVE, "--index", str(tmp_path / "nowhere"), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
    )
    assert done.returncode == 1 and time.monotonic() - started < START_SECONDS
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"error: {tmp_path / 'nowhere'}") and "serving" not in done.stderr


def test_the_addresses_to_open():
    assert urls("127.0.0.1", 8765) == ["http://127.0.0.1:8765/"]
    assert urls("::1", 80) == ["http://[::1]:80/"]
    assert urls("0.0.0.0", 8000) == [
        f"http://{socket.gethostname()}:8000/",
        "http://127.0.0.1:8000/",
    ]


def test_a_port_in_use_names_the_option_setting():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(QueryError, match=rf"^127\.0\.0\.1:{port} is in use") as raised:
            bind("127.0.0.1", port)
    assert raised.value.setting == "port"
    free = bind("127.0.0.1", 0)
    try:
        assert free.getsockname()[1] > 0
    finally:
        free.close()
